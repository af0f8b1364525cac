// The classification methods of Kubernetes' CEL IP type, on the project's IP parser.
import { parseCIDR, prefixContainsIP, type IPAddr } from '../../../src/net/ip.ts';

function inPrefix(ip: IPAddr, text: string): boolean {
  const p = parseCIDR(text);
  return p !== undefined && prefixContainsIP(p, ip);
}

/** The classification methods of Kubernetes' CEL IP type, as Go's net/netip defines them. */
export const ipPredicates = {
  isUnspecified: (ip: IPAddr) => ip.value === 0n,
  isLoopback: (ip: IPAddr) => (ip.family === 4 ? inPrefix(ip, '127.0.0.0/8') : ip.value === 1n),
  isLinkLocalMulticast: (ip: IPAddr) => (ip.family === 4 ? inPrefix(ip, '224.0.0.0/24') : inPrefix(ip, 'ff02::/16')),
  isLinkLocalUnicast: (ip: IPAddr) => (ip.family === 4 ? inPrefix(ip, '169.254.0.0/16') : inPrefix(ip, 'fe80::/10')),
  isGlobalUnicast: (ip: IPAddr) => {
    if (ip.value === 0n) return false;
    if (ip.family === 4) {
      return !(ip.value === 0xffffffffn || inPrefix(ip, '127.0.0.0/8') || inPrefix(ip, '224.0.0.0/4') || inPrefix(ip, '169.254.0.0/16'));
    }
    return !(ip.value === 1n || inPrefix(ip, 'ff00::/8') || inPrefix(ip, 'fe80::/10'));
  },
};
