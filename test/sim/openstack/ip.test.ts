import { describe, expect, it } from 'vitest';
import { cidrsOverlap, formatCidr, formatIp, hostRange, parseCidr, parseIp } from '../../../dev/sim/openstack/ip.ts';

describe('ip arithmetic', () => {
  it('parses and formats IPv4 and IPv6 canonically (RFC 5952)', () => {
    expect(parseIp('10.300.0.1')).toBeUndefined();
    expect(parseIp('1.2.3')).toBeUndefined();
    const v6 = (text: string): string => {
      const ip = parseIp(text);
      if (!ip) throw new Error(`unparsed ${text}`);
      return formatIp(ip.version, ip.value);
    };
    expect(v6('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(v6('2001:db8:1:0:0:0:0:0')).toBe('2001:db8:1::');
    expect(v6('2001:db8:1:0:1:0:0:1')).toBe('2001:db8:1:0:1::1');
    expect(v6('::')).toBe('::');
    expect(v6('192.168.1.20')).toBe('192.168.1.20');
    expect(parseIp('1::2::3')).toBeUndefined();
  });

  it('normalises host bits, computes host ranges and overlaps', () => {
    const c = parseCidr('10.30.0.5/24');
    if (!c) throw new Error('unparsed');
    expect(formatCidr(c)).toBe('10.30.0.0/24');
    expect(hostRange(c)).toEqual({ first: (10n << 24n) + (30n << 16n) + 1n, last: (10n << 24n) + (30n << 16n) + 254n });
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
    const a = parseCidr('10.0.0.0/16');
    const b = parseCidr('10.0.200.0/24');
    const d = parseCidr('10.1.0.0/24');
    if (!a || !b || !d) throw new Error('unparsed');
    expect(cidrsOverlap(a, b)).toBe(true);
    expect(cidrsOverlap(a, d)).toBe(false);
  });
});
