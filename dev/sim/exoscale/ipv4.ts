// IPv4 arithmetic for DHCP ranges and leases, on the project's IP parser (src/net/ip.ts).
import { formatIP, parseIP } from '../../../src/net/ip.ts';

/** The address as a number; undefined when it is no IPv4 address (the spec's ipv4 format is checked first). */
export function ipv4(text: string): bigint | undefined {
  const ip = parseIP(text, false);
  return ip?.family === 4 ? ip.value : undefined;
}

export const formatIpv4 = (value: bigint): string => formatIP({ family: 4, value });

/** A netmask is ones, then zeros: 255.255.255.0, not 255.0.255.0. */
export function isContiguousMask(mask: bigint): boolean {
  const hostBits = ~mask & 0xffffffffn;
  return (hostBits & (hostBits + 1n)) === 0n;
}

/** The network an address is in under a netmask. */
export const networkOf = (address: bigint, mask: bigint): bigint => address & mask;

/** "10.0.0.0/24" of an address and netmask, for messages. */
export function cidrText(address: bigint, mask: bigint): string {
  let prefix = 0;
  for (let bit = 31n; bit >= 0n && (mask >> bit) & 1n; bit--) prefix++;
  return `${formatIpv4(networkOf(address, mask))}/${prefix}`;
}
