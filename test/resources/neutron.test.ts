import { describe, expect, it } from 'vitest';
import { canonicalCIDR, canonicalIP, changedFields, compared, defined, sameRoutes } from '../../src/resources/neutron.ts';

describe('address normalisation', () => {
  it('prints IPv6 as Neutron does and leaves IPv4 and garbage alone', () => {
    expect(canonicalIP('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIP('2001:db8::1')).toBe('2001:db8::1');
    expect(canonicalIP('10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIP('nope')).toBe('nope');
  });

  it('clears host bits of CIDRs like Neutron', () => {
    expect(canonicalCIDR('10.30.0.5/24')).toBe('10.30.0.0/24');
    expect(canonicalCIDR('10.30.0.5/32')).toBe('10.30.0.5/32');
    expect(canonicalCIDR('10.30.0.5/0')).toBe('0.0.0.0/0');
    expect(canonicalCIDR('2001:DB8:0:1:ffff::1/64')).toBe('2001:db8:0:1::/64');
    expect(canonicalCIDR('2001:db8::/128')).toBe('2001:db8::/128');
    expect(canonicalCIDR('::1/0')).toBe('::/0');
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/x', '10.300.0.0/24', '10.0.0.0/24/1']) expect(canonicalCIDR(bad)).toBe(bad);
  });

  it('compares routes as sets of normalised routes', () => {
    const desired = [
      { destination: '2001:DB8::/64', nexthop: '2001:DB8::1' },
      { destination: '10.0.0.0/8', nexthop: '10.1.0.1' },
    ];
    expect(sameRoutes(desired, [{ destination: '10.0.0.0/8', nexthop: '10.1.0.1' }, { destination: '2001:db8::/64', nexthop: '2001:db8::1' }])).toBe(true);
    expect(sameRoutes(desired, [{ destination: '10.0.0.0/8', nexthop: '10.1.0.1' }])).toBe(false);
    expect(sameRoutes([], undefined)).toBe(false);
  });
});

describe('changedFields with compared values', () => {
  const sameIP = (d: string, o: unknown) => typeof o === 'string' && canonicalIP(o) === canonicalIP(d);

  it('uses the comparison, sends the desired value, and leaves unset fields alone', () => {
    const observed = { gateway_ip: '2001:db8::1', name: 'a', description: 'x' };
    expect(changedFields({ gateway_ip: compared('2001:DB8::1', sameIP), name: 'a', description: undefined }, observed)).toBeUndefined();
    expect(changedFields({ gateway_ip: compared('2001:db8::2', sameIP), name: 'b' }, observed)).toEqual({ gateway_ip: '2001:db8::2', name: 'b' });
    expect(changedFields({ gateway_ip: compared(undefined, sameIP) }, observed)).toBeUndefined();
    expect(changedFields({ gateway_ip: null }, observed)).toEqual({ gateway_ip: null });
  });

  it('unwraps compared values in create bodies', () => {
    expect(defined({ a: compared(['x'], () => true), b: undefined, c: null })).toEqual({ a: ['x'], c: null });
  });
});
