import { describe, expect, it } from 'vitest';
import { compileSchema } from '../../dev/kube/schema/index.ts';

type Obj = Record<string, unknown>;
const withSpec = (spec: Obj, extra: Obj = {}) => ({ type: 'object', properties: { spec: { type: 'object', ...extra, properties: spec } } });
const object = (spec: unknown) => ({ apiVersion: 'cloudnet.io/v1alpha1', kind: 'Subnet', metadata: { name: 'a' }, spec });

describe('CEL rules', () => {
  const immutable = compileSchema(withSpec({
    cidr: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'cidr is immutable' }] },
    name: { type: 'string' },
  }));

  it('self == oldSelf passes on create, passes unchanged, fails when changed with the message', () => {
    expect(immutable.validate(object({ cidr: '10.0.0.0/24' }))).toEqual([]);
    expect(immutable.validate(object({ cidr: '10.0.0.0/24', name: 'x' }), object({ cidr: '10.0.0.0/24' }))).toEqual([]);
    expect(immutable.validate(object({ cidr: '10.0.1.0/24' }), object({ cidr: '10.0.0.0/24' }))).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.cidr', message: 'Invalid value: "string": cidr is immutable' },
    ]);
  });

  it('does not run a transition rule when the field is new in the update', () => {
    expect(immutable.validate(object({ cidr: '10.0.1.0/24' }), object({}))).toEqual([]);
  });

  it('guards optional fields with has() on self and oldSelf', () => {
    const schema = compileSchema(withSpec({ networkID: { type: 'string' } }, {
      'x-kubernetes-validations': [{ rule: '!has(oldSelf.networkID) || has(self.networkID)', message: 'networkID cannot be removed once set' }],
    }));
    expect(schema.validate(object({}))).toEqual([]);
    expect(schema.validate(object({ networkID: 'n' }), object({}))).toEqual([]);
    expect(schema.validate(object({ networkID: 'n' }), object({ networkID: 'n' }))).toEqual([]);
    expect(schema.validate(object({}), object({ networkID: 'n' }))).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": networkID cannot be removed once set' },
    ]);
  });

  it('binds oldSelf as an optional with optionalOldSelf, also on create', () => {
    const schema = compileSchema(withSpec({ mtu: { type: 'integer' } }, {
      'x-kubernetes-validations': [{ rule: 'oldSelf.hasValue() ? oldSelf.value().mtu <= self.mtu : self.mtu >= 1280', optionalOldSelf: true, message: 'mtu may only grow' }],
    }));
    expect(schema.validate(object({ mtu: 1000 })).map((c) => c.message)).toEqual(['Invalid value: "object": mtu may only grow']);
    expect(schema.validate(object({ mtu: 1500 }))).toEqual([]);
    expect(schema.validate(object({ mtu: 1400 }), object({ mtu: 1500 }))).toHaveLength(1);
    expect(schema.validate(object({ mtu: 1600 }), object({ mtu: 1500 }))).toEqual([]);
  });

  const subnet = compileSchema(withSpec({
    cidr: { type: 'string' },
    gateway: { type: 'string' },
    pools: { type: 'array', items: { type: 'object', properties: { start: { type: 'string' }, end: { type: 'string' } } } },
  }, {
    required: ['cidr'],
    'x-kubernetes-validations': [
      { rule: 'isCIDR(self.cidr) && (!has(self.gateway) || cidr(self.cidr).containsIP(self.gateway))', message: 'gateway must be inside cidr', fieldPath: '.gateway' },
      { rule: '!has(self.pools) || self.pools.all(p, cidr(self.cidr).containsIP(ip(p.start)) && cidr(self.cidr).containsIP(p.end))', message: 'allocation pools must be inside cidr' },
    ],
  }));

  it.each([
    { spec: { cidr: '10.0.0.0/24', gateway: '10.0.0.1' }, messages: [] },
    { spec: { cidr: '10.0.0.0/24' }, messages: [] },
    { spec: { cidr: '10.0.0.0/24', gateway: '10.0.1.1' }, messages: ['spec.gateway: Invalid value: "object": gateway must be inside cidr'] },
    { spec: { cidr: 'nonsense', gateway: '10.0.1.1' }, messages: ['spec.gateway: Invalid value: "object": gateway must be inside cidr'] },
    { spec: { cidr: 'fd00::/64', gateway: 'fd00::1' }, messages: [] },
    { spec: { cidr: 'fd00::/64', gateway: '10.0.0.1' }, messages: ['spec.gateway: Invalid value: "object": gateway must be inside cidr'] },
    { spec: { cidr: '10.0.0.0/24', pools: [{ start: '10.0.0.10', end: '10.0.0.20' }] }, messages: [] },
    { spec: { cidr: '10.0.0.0/24', pools: [{ start: '10.0.0.10', end: '10.0.1.20' }] }, messages: ['spec: Invalid value: "object": allocation pools must be inside cidr'] },
  ])('subnet rules for $spec', ({ spec, messages }) => {
    expect(subnet.validate(object(spec)).map((c) => `${c.field}: ${c.message}`)).toEqual(messages);
  });

  it.each([
    'ip("10.0.0.1").family() == 4',
    'ip("fd00::1").family() == 6',
    'ip("0.0.0.0").isUnspecified()',
    'ip("127.0.0.1").isLoopback() && ip("::1").isLoopback()',
    'ip("169.254.1.1").isLinkLocalUnicast() && ip("fe80::1").isLinkLocalUnicast()',
    'ip("8.8.8.8").isGlobalUnicast() && !ip("224.0.0.1").isGlobalUnicast()',
    'ip("fd00:0::1") == ip("fd00::1") && string(ip("fd00:0::1")) == "fd00::1"',
    'ip.isCanonical("fd00::1") && !ip.isCanonical("fd00:0::1")',
    'isIP("10.0.0.1") && !isIP("10.0.0.01") && !isIP("::ffff:1.2.3.4") && !isIP("10.0.0.0/8")',
    'isCIDR("10.0.0.0/8") && !isCIDR("10.0.0.0/33") && !isCIDR("10.0.0.0")',
    'cidr("10.0.0.0/8").containsCIDR("10.1.0.0/16") && !cidr("10.1.0.0/16").containsCIDR(cidr("10.0.0.0/8"))',
    'cidr("10.0.0.0/8").containsIP(ip("10.255.255.255")) && !cidr("10.0.0.0/8").containsIP("11.0.0.0")',
    'cidr("10.1.2.3/8").ip() == ip("10.1.2.3") && cidr("10.1.2.3/8").masked() == cidr("10.0.0.0/8")',
    'cidr("fd00::/48").prefixLength() == 48 && string(cidr("10.1.2.3/8").masked()) == "10.0.0.0/8"',
    '"Ab-C".lowerAscii() == "ab-c" && "a,b".split(",") == ["a", "b"] && ["a", "b"].join("-") == "a-b" && "abc".indexOf("c") == 2',
    '[1, 2, 3].isSorted() && [3, 1, 2].max() == 3 && [3, 1, 2].min() == 1 && [1, 2, 3].sum() == 6',
    '[1, 2, 1].indexOf(1) == 0 && [1, 2, 1].lastIndexOf(1) == 2',
    'sets.contains([1, 2, 3], [1, 2]) && sets.equivalent([1, 2], [2, 1]) && sets.intersects([1], [1, 5]) && !sets.contains([1], [2])',
    '"abc 123".find("[0-9]+") == "123" && "a1b2".findAll("[0-9]") == ["1", "2"] && "a1b2c3".findAll("[0-9]", 2) == ["1", "2"]',
    '[1, 2, 3].exists(x, x == 2) && [1, 2].all(x, x > 0) && [1, 2].map(x, x * 2) == [2, 4] && [1, 2, 3].filter(x, x > 1).size() == 2',
    '"abc".matches("^a.c$") && size("abc") == 3',
    'optional.of(1).value() == 1 && !optional.none().hasValue() && optional.none().orValue(2) == 2',
    // Go's url.ParseRequestURI: a host with a space is no URL, a port is only checked for digits, `host:5000/v3` is an opaque URL of scheme "host".
    'isURL("https://keystone.example.com:5000/v3") && isURL("/v3") && !isURL("https://bad host/v3") && !isURL("api.example.com") && isURL("https://h:99999/")',
    '!isURL("http://h:x/") && !isURL("http://h/a%zz") && !isURL("http://h%41/") && isURL("api.example.com:5000/v3") && url("api.example.com:5000/v3").getHostname() == ""',
    'url("HTTPS://Host:5000/v3?x=1").getScheme() == "https" && url("https://Host:5000/v3").getHost() == "Host:5000" && url("https://Host:5000/v3").getPort() == "5000"',
    'url("http://[::1]:80/").getHostname() == "::1" && url("http://[::1]/").getPort() == "" && url("https://h/a b").getEscapedPath() == "/a%20b" && url("https://h/%41").getEscapedPath() == "/%41"',
  ])('library: %s', (rule) => {
    const schema = compileSchema(withSpec({}, { 'x-kubernetes-validations': [{ rule }] }));
    expect(schema.validate(object({}))).toEqual([]);
  });

  it('fails a library rule that is false (the library tests above can fail)', () => {
    const schema = compileSchema(withSpec({}, { 'x-kubernetes-validations': [{ rule: 'cidr("10.0.0.0/8").containsIP("11.0.0.1")' }] }));
    expect(schema.validate(object({}))).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": failed rule: cidr("10.0.0.0/8").containsIP("11.0.0.1")' },
    ]);
  });

  it('binds integers as int and numbers as double', () => {
    const schema = compileSchema(withSpec({ count: { type: 'integer' }, ratio: { type: 'number' } }, {
      'x-kubernetes-validations': [{ rule: 'type(self.count) == int && type(self.ratio) == double && self.count + 1 == 3' }],
    }));
    expect(schema.validate(object({ count: 2, ratio: 2 }))).toEqual([]);
    expect(schema.validate(object({ count: 3, ratio: 2 }))).toHaveLength(1);
  });

  it('escapes property names and types formatted strings as Kubernetes does', () => {
    const schema = compileSchema(withSpec({
      'x-y': { type: 'string' }, namespace: { type: 'string' }, 'a.b': { type: 'string' },
      expires: { type: 'string', format: 'date-time' }, period: { type: 'string', format: 'duration' }, key: { type: 'string', format: 'byte' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
    }, {
      'x-kubernetes-validations': [{
        rule: 'self.x__dash__y == "1" && self.__namespace__ == "2" && self.a__dot__b == "3" && self.labels["app-name"] == "4"'
          + ' && self.expires > timestamp("2026-01-01T00:00:00Z") && self.period == duration("90m") && size(self.key) == 5',
      }],
    }));
    const spec = { 'x-y': '1', namespace: '2', 'a.b': '3', labels: { 'app-name': '4' }, expires: '2026-06-01T00:00:00Z', period: '1h30m', key: 'aGVsbG8=' };
    expect(schema.validate(object(spec))).toEqual([]);
    expect(schema.validate(object({ ...spec, expires: '2025-06-01T00:00:00Z' }))).toHaveLength(1);
  });

  it('uses messageExpression, falling back to message when it yields nothing', () => {
    const schema = compileSchema(withSpec({ mtu: { type: 'integer' } }, {
      'x-kubernetes-validations': [
        { rule: 'self.mtu <= 9000', messageExpression: "'mtu ' + string(self.mtu) + ' is above 9000'" },
        { rule: 'self.mtu % 2 == 0', messageExpression: "''", message: 'mtu must be even' },
      ],
    }));
    expect(schema.validate(object({ mtu: 9001 })).map((c) => c.message)).toEqual([
      'Invalid value: "object": mtu 9001 is above 9000',
      'Invalid value: "object": mtu must be even',
    ]);
  });

  it('reports reason, and evaluation errors with the rule', () => {
    const schema = compileSchema(withSpec({ a: { type: 'string' } }, {
      'x-kubernetes-validations': [
        { rule: 'has(self.a)', reason: 'FieldValueRequired', message: 'a is required', fieldPath: '.a' },
        { rule: 'self.a == "x"' },
      ],
    }));
    const causes = schema.validate(object({}));
    expect(causes[0]).toEqual({ reason: 'FieldValueRequired', field: 'spec.a', message: 'Required value: a is required' });
    expect(causes[1]).toMatchObject({ reason: 'FieldValueInvalid', field: 'spec' });
    expect(causes[1]?.message).toMatch(/^Invalid value: "object": .* evaluating rule: self\.a == "x"$/);
  });

  it('correlates list-map items by key for transition rules', () => {
    const schema = compileSchema(withSpec({
      ports: {
        type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
        items: {
          type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } },
          'x-kubernetes-validations': [{ rule: 'self.port == oldSelf.port', message: 'port is immutable' }],
        },
      },
    }));
    const old = object({ ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] });
    expect(schema.validate(object({ ports: [{ name: 'b', port: 2 }, { name: 'a', port: 1 }, { name: 'c', port: 3 }] }), old)).toEqual([]);
    expect(schema.validate(object({ ports: [{ name: 'b', port: 5 }] }), old)).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.ports[0]', message: 'Invalid value: "object": port is immutable' },
    ]);
  });

  it('sees only name and generateName of the root metadata', () => {
    const schema = compileSchema({
      type: 'object',
      'x-kubernetes-validations': [{ rule: 'self.metadata.name.startsWith("net-") && !has(self.metadata.labels)' }],
    });
    expect(schema.validate({ metadata: { name: 'net-a', labels: { a: 'b' } } })).toEqual([]);
    expect(schema.validate({ metadata: { name: 'x' } })).toEqual([
      { reason: 'FieldValueInvalid', field: '<nil>', message: 'Invalid value: "object": failed rule: self.metadata.name.startsWith("net-") && !has(self.metadata.labels)' },
    ]);
  });

  it('skips rules of absent fields, and all rules when the object has the wrong shape', () => {
    const schema = compileSchema(withSpec({ n: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self > 0' }] }, m: { type: 'integer', minimum: 5 } }));
    expect(schema.validate(object({}))).toEqual([]);
    expect(schema.validate(object({ n: 0, m: 1 })).map((c) => c.field)).toEqual(['spec.m', 'spec.n']);
    expect(schema.validate(object({ n: 'x' }))).toEqual([
      { reason: 'FieldValueTypeInvalid', field: 'spec.n', message: 'Invalid value: "string": spec.n in body must be of type integer: "string"' },
      { reason: 'FieldValueInvalid', field: '<nil>', message: 'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation' },
    ]);
  });

  it('ratchets non-transition rules on unchanged values but still runs transition rules', () => {
    const schema = compileSchema(withSpec({
      name: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.lowerAscii() == self', message: 'name must be lowercase' }] },
      cidr: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'cidr is immutable' }] },
      mtu: { type: 'integer' },
    }));
    const old = object({ name: 'UPPER', cidr: '10.0.0.0/24', mtu: 1 });
    expect(schema.validate(object({ name: 'UPPER', cidr: '10.0.0.0/24', mtu: 2 }), old)).toEqual([]);
    expect(schema.validate(object({ name: 'OTHER', cidr: '10.0.0.0/24', mtu: 2 }), old).map((c) => c.message)).toEqual(['Invalid value: "string": name must be lowercase']);
    expect(schema.validate(object({ name: 'UPPER', cidr: '10.0.1.0/24', mtu: 2 }), old).map((c) => c.message)).toEqual(['Invalid value: "string": cidr is immutable']);
  });
});
