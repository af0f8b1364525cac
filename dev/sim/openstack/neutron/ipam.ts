// Address management: default allocation pools, pool validation and first-free allocation.
import { cidrContains, formatIp, hostRange, parseCidr, parseIp, type Cidr } from '../ip.ts';
import type { NeutronState, Pool, Subnet } from './model.ts';

/** Neutron's default pools: the usable range minus the gateway (split around it when it sits inside). */
export function defaultPools(cidr: Cidr, gateway: bigint | undefined): Pool[] {
  const { first, last } = hostRange(cidr);
  const ranges: [bigint, bigint][] = [];
  if (gateway !== undefined && gateway >= first && gateway <= last) {
    if (gateway > first) ranges.push([first, gateway - 1n]);
    if (gateway < last) ranges.push([gateway + 1n, last]);
  } else {
    ranges.push([first, last]);
  }
  return ranges.map(([s, e]) => ({ start: formatIp(cidr.version, s), end: formatIp(cidr.version, e) }));
}

const subnetCidr = (subnet: Subnet): Cidr => {
  const cidr = parseCidr(subnet.cidr);
  if (!cidr) throw new Error(`stored subnet ${subnet.id} has an invalid cidr ${subnet.cidr}`);
  return cidr;
};

export function usedIps(state: NeutronState, subnetId: string): Set<string> {
  const used = new Set<string>();
  for (const port of state.ports.values()) for (const ip of port.fixed_ips) if (ip.subnet_id === subnetId) used.add(ip.ip_address);
  return used;
}

/** The canonical text of an address, or undefined when it is not an address of the subnet's CIDR. */
export function addressIn(subnet: Subnet, text: string): string | undefined {
  const ip = parseIp(text);
  const cidr = subnetCidr(subnet);
  return ip && cidrContains(cidr, ip.version, ip.value) ? formatIp(ip.version, ip.value) : undefined;
}

/** Neutron's IPAM draws from the first this-many free addresses of a pool. */
const ALLOCATION_WINDOW = 1000;

/**
 * A free address of the subnet's pools, or undefined when they are exhausted. As Neutron's IPAM does: the
 * first pool with room, an address drawn at random among its first ALLOCATION_WINDOW free ones.
 */
export function allocate(subnet: Subnet, taken: Set<string>, random: () => number): string | undefined {
  for (const pool of subnet.allocation_pools) {
    const start = parseIp(pool.start)?.value;
    const end = parseIp(pool.end)?.value;
    if (start === undefined || end === undefined) continue;
    const free: string[] = [];
    for (let v = start; v <= end && free.length < ALLOCATION_WINDOW; v++) {
      const text = formatIp(subnet.ip_version, v);
      if (!taken.has(text)) free.push(text);
    }
    if (free.length > 0) return free[Math.floor(random() * free.length)];
  }
  return undefined;
}

/** SLAAC and DHCPv6-stateless subnets address ports by EUI-64 from the MAC, not from the pools. */
export const isAutoAddressed = (subnet: Subnet): boolean => subnet.ip_version === 6 && (subnet.ipv6_address_mode === 'slaac' || subnet.ipv6_address_mode === 'dhcpv6-stateless');

export function eui64(subnet: Subnet, mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const iid = [(b[0] ?? 0) ^ 0x02, b[1] ?? 0, b[2] ?? 0, 0xff, 0xfe, b[3] ?? 0, b[4] ?? 0, b[5] ?? 0].reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
  return formatIp(6, subnetCidr(subnet).network | iid);
}
