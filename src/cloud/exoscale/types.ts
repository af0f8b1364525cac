// The Exoscale API v2 objects the operator reads and writes, as third_party/exoscale/openapi.json
// describes them (kebab-case field names, as on the wire).

export type Labels = Record<string, string>;

export interface PrivateNetworkOptions {
  routers?: string[];
  'dns-servers'?: string[];
  'ntp-servers'?: string[];
  'domain-search'?: string[];
}

export interface PrivateNetworkLease {
  ip?: string;
  'instance-id'?: string;
}

export interface PrivateNetwork {
  id: string;
  name: string;
  description?: string;
  'start-ip'?: string;
  'end-ip'?: string;
  netmask?: string;
  labels?: Labels;
  options?: PrivateNetworkOptions;
  vni?: number;
  leases?: PrivateNetworkLease[];
}

/** What create and update send: the writable fields. */
export type PrivateNetworkFields = Partial<Pick<PrivateNetwork, 'name' | 'description' | 'start-ip' | 'end-ip' | 'netmask' | 'labels' | 'options'>>;

export type OperationState = 'pending' | 'success' | 'failure' | 'timeout';

export type OperationReason =
  | 'busy'
  | 'conflict'
  | 'fault'
  | 'forbidden'
  | 'incorrect'
  | 'interrupted'
  | 'not-found'
  | 'partial'
  | 'unavailable'
  | 'unknown'
  | 'unsupported';

export interface Operation {
  id: string;
  state: OperationState;
  reason?: OperationReason;
  message?: string;
  reference?: { id?: string; link?: string; command?: string };
}

export interface Instance {
  id: string;
  name?: string;
  state?: string;
  'private-networks'?: { id?: string; 'mac-address'?: string }[];
}

export interface Zone {
  name?: string;
  'api-endpoint'?: string;
}
