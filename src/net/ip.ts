// IP addresses and CIDR prefixes on bigints: the one parser and formatter of the project (the
// operator's comparisons, the local API server's CEL library and formats, the simulator's IPAM).
// `strict` follows Go's netip (Kubernetes' CEL library): no leading zeros in IPv4 octets, no zones.
// Non-strict follows netutils' "sloppy" parsing (the ipv4/ipv6/cidr OpenAPI formats).

export interface IPAddr {
  family: 4 | 6;
  value: bigint;
}

export interface Prefix {
  ip: IPAddr;
  length: number;
}

function bits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function parseIPv4(s: string, strict: boolean): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || (strict && part.length > 1 && part.startsWith('0'))) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIPv6(s: string): bigint | undefined {
  if (s.includes('%')) return undefined;
  let head = s;
  let tailV4: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIPv4(s.slice(lastColon + 1), true);
    if (tailV4 === undefined) return undefined;
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groupsOf(halves[0] ?? '');
  const right = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

export function parseIP(s: string, strict = true): IPAddr | undefined {
  if (s.includes(':')) {
    const value = parseIPv6(s);
    if (value === undefined) return undefined;
    // Kubernetes' CEL ip() rejects IPv4-mapped IPv6 addresses; netutils treats them as IPv4.
    if (value >> 32n === 0xffffn) return strict ? undefined : { family: 4, value: value & 0xffffffffn };
    return { family: 6, value };
  }
  const value = parseIPv4(s, strict);
  return value === undefined ? undefined : { family: 4, value };
}

export function parseCIDR(s: string, strict = true): Prefix | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash), strict);
  const lengthText = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(lengthText) || (lengthText.length > 1 && lengthText.startsWith('0'))) return undefined;
  const length = Number(lengthText);
  if (length > bits(ip.family)) return undefined;
  return { ip, length };
}

export function formatIP(ip: IPAddr): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

export function formatPrefix(p: Prefix): string {
  return `${formatIP(p.ip)}/${p.length}`;
}

export function maskedPrefix(p: Prefix): Prefix {
  const hostBits = BigInt(bits(p.ip.family) - p.length);
  return { ip: { family: p.ip.family, value: (p.ip.value >> hostBits) << hostBits }, length: p.length };
}

export function prefixContainsIP(p: Prefix, ip: IPAddr): boolean {
  if (p.ip.family !== ip.family) return false;
  const hostBits = BigInt(bits(ip.family) - p.length);
  return p.ip.value >> hostBits === ip.value >> hostBits;
}

export function prefixContainsPrefix(p: Prefix, other: Prefix): boolean {
  return other.length >= p.length && prefixContainsIP(p, other.ip);
}

/** The IPv4 netmask of a prefix length, e.g. 24 -> 255.255.255.0. */
export function netmaskOf(prefixLength: number): string {
  const all = (1n << 32n) - 1n;
  return formatIP({ family: 4, value: all ^ ((1n << BigInt(32 - prefixLength)) - 1n) });
}

/** The prefix length of a contiguous IPv4 netmask, e.g. 255.255.255.0 -> 24; undefined for anything else. */
export function prefixLengthOf(netmask: string): number | undefined {
  const ip = parseIP(netmask);
  if (ip?.family !== 4) return undefined;
  const length = ip.value.toString(2).replace(/0+$/, '').length;
  return netmaskOf(length) === netmask ? length : undefined;
}
