/**
 * Nova v2.1 and Glance v2 objects as the APIs return them (snake_case and Nova's prefixed
 * extension attributes, as on the wire), at the compute microversions this client negotiates.
 */

/** An address of a server on one network (`addresses[<network name>][]`). */
export interface NovaAddress {
  addr: string;
  version: 4 | 6;
  'OS-EXT-IPS:type'?: 'fixed' | 'floating';
  'OS-EXT-IPS-MAC:mac_addr'?: string;
}

/** A server's flavor as embedded from microversion 2.47 on (no id: Nova copies the flavor). */
export interface NovaEmbeddedFlavor {
  original_name: string;
  vcpus: number;
  ram: number;
  disk: number;
  ephemeral?: number;
  swap?: number;
  extra_specs?: Record<string, string>;
}

export interface NovaFault {
  code: number;
  message: string;
  created?: string;
  details?: string;
}

export interface NovaServer {
  id: string;
  name: string;
  /** ACTIVE, BUILD, SHUTOFF, RESIZE, VERIFY_RESIZE, REBOOT, HARD_REBOOT, ERROR, DELETED... */
  status: string;
  'OS-EXT-STS:task_state': string | null;
  'OS-EXT-STS:vm_state': string;
  /** 0 NOSTATE, 1 RUNNING, 3 PAUSED, 4 SHUTDOWN, 6 CRASHED, 7 SUSPENDED. */
  'OS-EXT-STS:power_state': number;
  'OS-EXT-AZ:availability_zone'?: string;
  addresses: Record<string, NovaAddress[]>;
  flavor: NovaEmbeddedFlavor;
  /** `""` for a server booted from a volume. */
  image: { id: string } | '';
  key_name: string | null;
  metadata: Record<string, string>;
  tags: string[];
  security_groups?: { name: string }[];
  config_drive: string;
  fault?: NovaFault;
  tenant_id: string;
  created: string;
  updated: string;
}

/** What POST /servers answers (202): the id and little else. */
export interface NovaCreatedServer {
  id: string;
  links?: unknown[];
}

/** One entry of `networks` in a create request. */
export type NovaNetworkRequest = { uuid: string; fixed_ip?: string } | { port: string };

export interface NovaServerCreate {
  name: string;
  imageRef: string;
  flavorRef: string;
  /** From 2.37 on a list, or "none" / "auto". */
  networks: NovaNetworkRequest[] | 'none' | 'auto';
  security_groups?: { name: string }[];
  key_name?: string;
  /** Base64. */
  user_data?: string;
  metadata?: Record<string, string>;
  /** From 2.52 on. */
  tags?: string[];
  availability_zone?: string;
  config_drive?: boolean;
}

export interface NovaFlavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  'os-flavor-access:is_public'?: boolean;
}

export interface NovaKeypair {
  name: string;
  fingerprint: string;
  type?: string;
}

/** An interface of a server (os-interface): one port. */
export interface NovaInterface {
  port_id: string;
  net_id: string;
  mac_addr: string;
  port_state: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
}

export interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  min_disk?: number;
  min_ram?: number;
}
