import { describe, expect, it } from 'vitest';
import { formatIP, formatPrefix, maskedPrefix, netmaskOf, parseCIDR, parseIP, prefixLengthOf } from '../../src/net/ip.ts';

describe('IP parsing and canonical form', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['fe80:0000::0001', 'fe80::1'],
    ['::1.2.3.4', '::102:304'],
  ])('%s -> %s', (input, canonical) => {
    const ip = parseIP(input);
    expect(ip).toBeDefined();
    expect(formatIP(ip!)).toBe(canonical);
  });

  it.each(['10.0.0.256', '10.0.0', '10.0.0.01', '1:2:3:4:5:6:7:8:9', '1::2::3', 'fe80::1%eth0', '::ffff:1.2.3.4', 'abc', '12345::'])(
    'rejects %s in strict mode', (input) => {
      expect(parseIP(input)).toBeUndefined();
    },
  );

  it('accepts leading zeros and IPv4-mapped addresses in sloppy mode, as the OpenAPI formats do', () => {
    expect(parseIP('010.0.0.1', false)).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIP('::ffff:1.2.3.4', false)).toEqual({ family: 4, value: 0x01020304n });
  });

  it('parses prefixes and masks them', () => {
    expect(parseCIDR('10.0.0.0/33')).toBeUndefined();
    expect(parseCIDR('10.0.0.0/08')).toBeUndefined();
    expect(parseCIDR('fd00::/129')).toBeUndefined();
    expect(formatPrefix(maskedPrefix(parseCIDR('10.1.2.3/12')!))).toBe('10.0.0.0/12');
    expect(formatPrefix(maskedPrefix(parseCIDR('fd00:1:2:3::1/48')!))).toBe('fd00:1:2::/48');
    expect(formatPrefix(maskedPrefix(parseCIDR('10.1.2.3/0')!))).toBe('0.0.0.0/0');
  });
});

describe('IPv4 netmasks', () => {
  it('converts prefix lengths and contiguous netmasks both ways, and refuses the others', () => {
    expect([1, 8, 24, 31, 32].map(netmaskOf)).toEqual(['128.0.0.0', '255.0.0.0', '255.255.255.0', '255.255.255.254', '255.255.255.255']);
    expect(['128.0.0.0', '255.255.0.0', '255.255.255.128', '255.255.255.255'].map(prefixLengthOf)).toEqual([1, 16, 25, 32]);
    expect(prefixLengthOf('0.0.0.0')).toBe(0);
    expect(['255.0.255.0', '255.255.255.1', 'fd00::', 'mask'].map(prefixLengthOf)).toEqual([undefined, undefined, undefined, undefined]);
  });
});
