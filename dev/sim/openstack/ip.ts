// CIDR arithmetic for the simulator's IPAM, on the project's IP parser (src/net/ip.ts).
import { formatIP, parseIP } from '../../../src/net/ip.ts';

export type IpVersion = 4 | 6;

export type Cidr = { version: IpVersion; network: bigint; prefix: number };

const bitsOf = (version: IpVersion): number => (version === 4 ? 32 : 128);

export function parseIp(text: string): { version: IpVersion; value: bigint } | undefined {
  const ip = parseIP(text, false);
  return ip && { version: ip.family, value: ip.value };
}

export const formatIp = (version: IpVersion, value: bigint): string => formatIP({ family: version, value });

/** Parses "a.b.c.d/n"; host bits are cleared, as Neutron does (10.30.0.5/24 -> 10.30.0.0/24). */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const ip = parseIp(match[1] ?? '');
  const prefix = Number(match[2]);
  if (!ip || prefix > bitsOf(ip.version)) return undefined;
  const hostBits = BigInt(bitsOf(ip.version) - prefix);
  return { version: ip.version, network: (ip.value >> hostBits) << hostBits, prefix };
}

export const formatCidr = (c: Cidr): string => `${formatIp(c.version, c.network)}/${c.prefix}`;

export const lastAddress = (c: Cidr): bigint => c.network + (1n << BigInt(bitsOf(c.version) - c.prefix)) - 1n;

export const cidrContains = (c: Cidr, version: IpVersion, value: bigint): boolean =>
  version === c.version && value >= c.network && value <= lastAddress(c);

export const cidrsOverlap = (a: Cidr, b: Cidr): boolean =>
  a.version === b.version && a.network <= lastAddress(b) && b.network <= lastAddress(a);

/** The usable host range: IPv4 skips the network and broadcast addresses, IPv6 the subnet-router anycast. */
export function hostRange(c: Cidr): { first: bigint; last: bigint } {
  const last = lastAddress(c);
  if (c.version === 4 && c.prefix >= 31) return { first: c.network, last };
  return { first: c.network + 1n, last: c.version === 4 ? last - 1n : last };
}
