// The spec validator the Exoscale tests rely on (test/support/exoscale-spec.ts) catches what it must.
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../../dev/sim/exoscale/index.ts';
import { checkCall, checkRequest, checkResponse, expectCallsValid } from '../../support/exoscale-spec.ts';

const ID = '5b1e4a7e-1f8c-4c36-9d0a-3a3b0e4c9f11';

describe('the Exoscale spec validator', () => {
  it('accepts valid requests, under /{zone}/v2 or /v2', () => {
    expect(checkRequest({ method: 'POST', path: '/ch-gva-2/v2/private-network', body: { name: 'n', 'start-ip': '10.0.0.1', 'end-ip': '10.0.0.9', netmask: '255.255.255.0', labels: { a: 'b' }, options: { 'domain-search': ['x'] } } })).toEqual([]);
    expect(checkRequest({ method: 'PUT', path: `/v2/private-network/${ID}:detach`, body: { instance: { id: ID } } })).toEqual([]);
    expect(checkRequest({ method: 'GET', path: '/v2/instance', query: { 'manager-type': 'instance-pool' } })).toEqual([]);
  });

  it('catches bad request bodies, read-only and unknown properties, parameters, and paths', () => {
    expect(checkRequest({ method: 'POST', path: '/ch-gva-2/v2/private-network', body: { name: 7, netmask: '255.255.255.256', id: ID, vni: 3 } })).toEqual([
      'POST /ch-gva-2/v2/private-network request: body.name must be string',
      'POST /ch-gva-2/v2/private-network request: body.netmask must match format "ipv4"',
      'POST /ch-gva-2/v2/private-network request: body.id is not a property of the spec',
      'POST /ch-gva-2/v2/private-network request: body.vni is not a property of the spec',
    ]);
    expect(checkRequest({ method: 'PUT', path: `/v2/private-network/${ID}:detach`, body: { instance: { id: ID, state: 'running' } } })).toEqual([
      `PUT /v2/private-network/${ID}:detach request: body.instance.state is read-only and must not be sent`,
    ]);
    expect(checkRequest({ method: 'POST', path: '/v2/private-network' })).toEqual(['POST /v2/private-network request: body is required']);
    expect(checkRequest({ method: 'GET', path: '/v2/private-network/abc', query: { limit: '3' } })).toEqual([
      'GET /v2/private-network/abc request: path.id must match format "uuid"',
      'GET /v2/private-network/abc request: query.limit is not a parameter of this operation',
    ]);
    expect(checkRequest({ method: 'PATCH', path: '/v2/zone' })).toEqual(['PATCH /v2/zone request: the spec has no PATCH /zone']);
    expect(checkRequest({ method: 'GET', path: '/xx-yyy-1/v2/zone' })).toEqual(['GET /xx-yyy-1/v2/zone request: xx-yyy-1 is not a zone of the spec (at-vie-1, at-vie-2, bg-sof-1, ch-dk-2, ch-gva-2, de-fra-1, de-muc-1, hr-zag-1)']);
  });

  it('catches bad response bodies and error bodies of neither shape', () => {
    const ok = { method: 'GET', path: `/v2/private-network/${ID}`, status: 200 };
    expect(checkResponse({ ...ok, body: { id: ID, name: 'n', vni: 1, leases: [{ ip: '10.0.0.1', 'instance-id': ID }] } })).toEqual([]);
    expect(checkResponse({ ...ok, body: { id: 'nope', name: '', vni: 0, leases: [{ ip: '10.0.0.1' }], mtu: 1500 } })).toEqual([
      `GET /v2/private-network/${ID} response 200: body.name must NOT have fewer than 1 characters`,
      `GET /v2/private-network/${ID} response 200: body.id must match format "uuid"`,
      `GET /v2/private-network/${ID} response 200: body.vni must be > 0`,
      `GET /v2/private-network/${ID} response 200: body.mtu is not a property of the spec`,
    ]);
    expect(checkResponse({ method: 'GET', path: `/v2/operation/${ID}`, status: 200, body: { id: ID, state: 'done' } })).toEqual([
      `GET /v2/operation/${ID} response 200: body.state must be equal to one of the allowed values: "failure", "pending", "success", "timeout"`,
    ]);
    expect(checkResponse({ ...ok, status: 404, body: { message: 'gone' } })).toEqual([]);
    expect(checkResponse({ ...ok, status: 400, body: { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'd', errors: [] } })).toEqual([]);
    expect(checkResponse({ ...ok, status: 409, body: { error: 'conflict' } })).toEqual([
      `GET /v2/private-network/${ID} response 409: body is neither {"message": <string>} nor RFC 9457 problem details`,
      `GET /v2/private-network/${ID} response 409: body.type must have required property 'type'`,
      `GET /v2/private-network/${ID} response 409: body.title must have required property 'title'`,
      `GET /v2/private-network/${ID} response 409: body.status must have required property 'status'`,
      `GET /v2/private-network/${ID} response 409: body.detail must have required property 'detail'`,
    ]);
  });

  it('checks call records: operation label, request and response, and throws listing them', () => {
    const call: CallRecord = { method: 'PUT', path: `/ch-gva-2/v2/private-network/${ID}:attach`, query: {}, zone: 'ch-gva-2', operation: 'attach-instance-to-private-network', requestBody: { instance: { id: ID } }, status: 200, responseBody: { id: ID, state: 'pending', reference: { id: ID } }, at: 0 };
    expect(checkCall(call)).toEqual([]);
    const bad: CallRecord = { ...call, operation: 'attach', requestBody: { instance: { id: ID }, ip: 'x' }, responseBody: { id: ID, state: 'pending', reference: { id: 'y' } } };
    expect(() => expectCallsValid({ records: [call, bad] })).toThrow(
      [
        '3 problem(s) with the Exoscale exchanges:',
        `- PUT /ch-gva-2/v2/private-network/${ID}:attach request: body.ip must match format "ipv4"`,
        `- PUT /ch-gva-2/v2/private-network/${ID}:attach: recorded as operation attach, the spec's is attach-instance-to-private-network`,
        `- PUT /ch-gva-2/v2/private-network/${ID}:attach response 200: body.reference.id must match format "uuid"`,
      ].join('\n'),
    );
    expect(() => expectCallsValid({ records: [call] }, { invalidRequest: () => true })).toThrow('expected an invalid request, the spec accepts it');
    expect(() => expectCallsValid({ records: [{ ...bad, operation: call.operation, responseBody: call.responseBody }] }, { invalidRequest: () => true })).not.toThrow();
  });
});
