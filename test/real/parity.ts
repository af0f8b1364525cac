// Differential testing of the OpenStack simulator against real Keystone + Neutron: one request sequence runs
// against each backend; every answer is reduced to what must agree (status, error type and message, the
// body with ids, timestamps and MACs replaced by stable labels) and the two transcripts are compared.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export type User = 'demo' | 'admin';
export type Reply = { status: number; body: Json; headers: Headers };

/** One answer as compared across backends. */
export type Observation = { step: string; status: number; error?: { type: string; message: string }; body?: Json };

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{32}\b/g;
/** API timestamps (Z), and the database ones Nova shows as they are (launched_at: microseconds, no zone). */
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+Z?|Z)$/;
/** Nova's hostId: sha224 of project and host. */
const HOST_ID = /^[0-9a-f]{56}$/;
const MAC = /^fa:16:3e(:[0-9a-f]{2}){3}$/;
/** Counters that differ between clouds by history alone. */
const COUNTERS = new Set(['standard_attr_id', 'provider:segmentation_id']);
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class Target {
  readonly kind: 'sim' | 'real';
  readonly authUrl: string;
  networkUrl = '';
  /** Nova's endpoint as the catalog lists it (…/v2.1), and Glance's; '' when the cloud has none. */
  computeUrl = '';
  imageUrl = '';
  readonly projects: Record<User, string> = { demo: '', admin: '' };
  readonly log: Observation[] = [];
  readonly #tokens: Record<User, string> = { demo: '', admin: '' };
  readonly #labels = new Map<string, string>();
  /** Labels given in order of appearance, per transcript. */
  readonly #ordinals = new Map<string, string>();
  /** Addresses Neutron picked at random, and the label each stands for (plus their dns hostname form). */
  readonly #addresses = new Map<string, string>();
  readonly #cleanups: (() => Promise<unknown>)[] = [];

  constructor(kind: 'sim' | 'real', authUrl: string) {
    this.kind = kind;
    this.authUrl = authUrl;
  }

  /** Tokens for both users over HTTP, the network endpoint from the catalog, project ids labelled. */
  async init(): Promise<void> {
    for (const user of ['admin', 'demo'] as const) {
      const reply = await this.issueToken(user);
      if (reply.status !== 201) throw new Error(`${this.kind}: no token for ${user}: ${reply.status}`);
      this.#tokens[user] = reply.headers.get('x-subject-token') ?? '';
      this.projects[user] = reply.body.token.project.id;
      this.label(this.projects[user], `${user}-project`);
      const endpoint = (type: string): string =>
        reply.body.token.catalog.find((s: Json) => s.type === type)?.endpoints.find((e: Json) => e.interface === 'public').url.replace(/\/$/, '') ?? '';
      this.networkUrl = endpoint('network');
      this.computeUrl = endpoint('compute');
      this.imageUrl = endpoint('image');
    }
  }

  /** Where Nova's unversioned URLs start (its bookmark links): the compute endpoint without /v2.1. */
  get computeRoot(): string {
    return this.computeUrl.replace(/\/v2\.1$/, '');
  }

  /** Starts a new transcript (named labels stay: they name the same things on both sides). */
  begin(): void {
    this.log.length = 0;
    this.#addresses.clear();
    this.#ordinals.clear();
  }

  issueToken(user: string, password = user): Promise<Reply> {
    const domain = { id: 'default' };
    return send(`${this.authUrl}/auth/tokens`, 'POST', {
      body: { auth: { identity: { methods: ['password'], password: { user: { name: user, domain, password } } }, scope: { project: { name: user, domain } } } },
    });
  }

  token(user: User): string {
    return this.#tokens[user];
  }

  /** A Neutron request: `path` is relative to <network endpoint>/v2.0. */
  neutron(user: User | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const auth: Record<string, string> = user ? { 'X-Auth-Token': this.#tokens[user] } : {};
    return send(`${this.networkUrl}/v2.0${path}`, method, { ...(body === undefined ? {} : { body }), headers: { ...auth, ...headers } });
  }

  /**
   * A Nova request: `path` is relative to the compute endpoint (…/v2.1), at microversion `version` (default the
   * newest, 2.93; null: no microversion header, i.e. 2.1).
   */
  nova(user: User | null, method: string, path: string, body?: unknown, opts: { version?: string | null; headers?: Record<string, string> } = {}): Promise<Reply> {
    const version = opts.version === undefined ? '2.93' : opts.version;
    const headers: Record<string, string> = { ...(user ? { 'X-Auth-Token': this.#tokens[user] } : {}), ...(version === null ? {} : { 'OpenStack-API-Version': `compute ${version}` }), ...opts.headers };
    return send(`${this.computeUrl}${path}`, method, { ...(body === undefined ? {} : { body }), headers });
  }

  /** A Glance request: `path` is relative to the image endpoint (e.g. "/v2/images"). */
  glance(user: User | null, path: string): Promise<Reply> {
    return send(`${this.imageUrl}${path}`, 'GET', { headers: user ? { 'X-Auth-Token': this.#tokens[user] } : {} });
  }

  raw(method: string, url: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
    return send(url, method, opts);
  }

  /** Names an id so transcripts read well; ids never named get ordinal labels in order of appearance. */
  label(id: string, name: string): string {
    this.#labels.set(id, `<${name}>`);
    return id;
  }

  /**
   * Labels the addresses Neutron allocated at random to a port (fixed_ips), a router (gateway) or a floating IP,
   * so transcripts compare the allocation, not the draw.
   */
  labelAddresses(resource: Json, label: string): void {
    const ips: string[] = [
      ...(resource?.fixed_ips ?? []),
      ...(resource?.external_gateway_info?.external_fixed_ips ?? []),
    ].map((f: Json) => f.ip_address);
    if (resource?.floating_ip_address) ips.push(resource.floating_ip_address);
    ips.forEach((ip, i) => {
      const name = `${label}-ip${i}`;
      this.#addresses.set(ip, `<${name}>`);
      this.#addresses.set(`host-${ip.replace(/[.:]/g, '-')}`, `host-<${name}>`);
    });
  }

  /**
   * Records an answer: status, NeutronError type/message, and (unless `body: false`) the normalised body.
   * `mask`: parts of the error message that are drawn at random (replaced by <masked>).
   */
  see(step: string, reply: Reply, opts: { body?: boolean; pick?: (body: Json) => Json; mask?: RegExp } = {}): Reply {
    const obs: Observation = { step, status: reply.status };
    const err = reply.body?.NeutronError;
    if (err) obs.error = { type: err.type, message: this.norm(opts.mask ? err.message.replace(opts.mask, '<masked>') : err.message) };
    else if (opts.body !== false && reply.body !== undefined) obs.body = this.norm(opts.pick ? opts.pick(reply.body) : reply.body);
    this.log.push(obs);
    return reply;
  }

  /** POSTs a resource as `user`, labels its id, records the answer and schedules its deletion (as admin). */
  async create(step: string, user: User, path: string, body: Json, label: string): Promise<Json> {
    const singular = Object.keys(body)[0] ?? '';
    const reply = await this.neutron(user, 'POST', path, body);
    const created = reply.body?.[singular];
    if (reply.status === 201 && created?.id) {
      this.label(created.id, label);
      this.labelAddresses(created, label);
      this.cleanup(() => this.neutron('admin', 'DELETE', `${path}/${created.id}`));
    }
    this.see(step, reply);
    return created;
  }

  /** Records a value computed by the test (already comparable). */
  note(step: string, value: Json): void {
    this.log.push({ step, status: 0, body: this.norm(value) });
  }

  /** Runs `fn` at the end of the sequence (last registered first), also on failure. */
  cleanup(fn: () => Promise<unknown>): void {
    this.#cleanups.push(fn);
  }

  /** Runs the cleanups; those refused (e.g. a group still used by a port deleted later) get a second pass. */
  async runCleanups(): Promise<void> {
    const refused: (() => Promise<unknown>)[] = [];
    for (const pass of [this.#cleanups.reverse(), refused]) {
      for (const fn of pass.splice(0)) {
        const reply = await fn().catch(() => undefined);
        const status = (reply as Reply | undefined)?.status ?? 0;
        if (pass !== refused && status >= 400 && status !== 404) refused.push(fn);
      }
    }
  }

  /** Ids -> labels, timestamps -> <time>, fa:16:3e MACs -> <mac>, endpoint URLs -> <network>, <compute>, <image>. */
  norm(value: Json): Json {
    if (typeof value === 'string') {
      if (TIME.test(value)) return '<time>';
      if (MAC.test(value)) return '<mac>';
      if (HOST_ID.test(value)) return '<host-id>';
      let out = value.replaceAll(this.networkUrl, '<network>');
      if (this.computeUrl) out = out.replaceAll(this.computeRoot, '<compute>').replaceAll(this.imageUrl, '<image>');
      out = out.replace(UUID, (id) => this.#labelOf(id));
      for (const [ip, label] of this.#addresses) out = out.replace(new RegExp(`(?<![\\w.:-])${escape(ip)}(?![\\w:]|\\.\\d)`, 'g'), label);
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => this.norm(v));
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => {
          if (COUNTERS.has(k) && typeof v === 'number') return [k, '<n>'];
          // A group's rules come in no particular order: sort them by content before their ids get labels.
          if (k === 'security_group_rules' && Array.isArray(v)) return [k, this.norm([...v].sort((a, b) => ruleKey(a).localeCompare(ruleKey(b))))];
          return [k, this.norm(v)];
        }),
      );
    }
    return value;
  }

  #labelOf(id: string): string {
    let label = this.#labels.get(id) ?? this.#ordinals.get(id);
    if (!label) {
      label = `<id${this.#ordinals.size}>`;
      this.#ordinals.set(id, label);
    }
    return label;
  }
}

export async function send(url: string, method: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  const text = await res.text();
  let body: Json;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

const ruleKey = (rule: Json): string =>
  JSON.stringify([rule.direction, rule.ethertype, rule.protocol, rule.port_range_min, rule.port_range_max, rule.remote_ip_prefix, rule.remote_group_id === rule.security_group_id, rule.description]);

/** Sorts a list of (normalised) items so that listing order does not matter. */
export const unordered = (items: Json[]): Json[] => [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/**
 * Runs `seq` against each target (the simulator, then the real cloud), each with the argument
 * `argOf` gives it (and labels), and expects equal, non-empty transcripts. CLOUDNET_PARITY_DUMP=<dir>
 * writes both as JSON files, for reading a difference side by side.
 */
export async function expectSameTranscripts<A>(targets: readonly Target[], name: string, argOf: (t: Target) => A, seq: (t: Target, arg: A) => Promise<void>): Promise<void> {
  const logs: Json[] = [];
  for (const t of targets) {
    t.begin();
    const arg = argOf(t);
    try {
      await seq(t, arg);
    } finally {
      await t.runCleanups();
    }
    logs.push(structuredClone(t.log));
  }
  const dump = process.env.CLOUDNET_PARITY_DUMP;
  if (dump) {
    mkdirSync(dump, { recursive: true });
    for (const [i, t] of targets.entries()) writeFileSync(join(dump, `${name.replace(/\W+/g, '-')}.${t.kind}.json`), JSON.stringify(logs[i], null, 1));
  }
  const [simLog, realLog] = logs;
  expect(simLog.length).toBeGreaterThan(0);
  expect(simLog).toEqual(realLog);
}
