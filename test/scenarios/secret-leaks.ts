// The secret-leak check every scenario runs (the harness closes each scenario with it): every credential
// value of the Secrets written while the scenario ran (and what else a harness registers, such as the
// tokens Keystone issued) is looked for in everything the operator showed meanwhile (its log lines,
// every Event, every status of a cloudnet object, every metric label value), as sent and in the forms a
// leak takes (URL- and form-encoded, JSON-escaped, base64).
import { randomBytes } from 'node:crypto';
import { load } from 'js-yaml';

export type Source = 'log' | 'event' | 'status' | 'metric';
const SOURCES: readonly Source[] = ['log', 'event', 'status', 'metric'];

declare module 'vitest' {
  interface TaskMeta {
    /** Set by the scenario harness, summed by test/plain-summary-reporter.ts: credentials looked for, texts looked at, occurrences found (must be 0). */
    secretLeaks?: { credentials: number; texts: number; found: number };
  }
}

/** Shorter values (a test's deliberately wrong password "wrong") would match ordinary words. */
const MIN_LENGTH = 8;

/** Secret keys holding a credential as such; keys ending in .yaml are read as a clouds.yaml. */
const CREDENTIAL_KEY = /password|token|secret/i;
const CLOUDS_YAML_AUTH = ['password', 'token', 'application_credential_secret'];

/**
 * A credential value for a test Secret: long and random, so that finding it anywhere means a leak,
 * with characters every encoding changes (and a non-ASCII one that Python's JSON escapes).
 */
export function testCredential(label: string): string {
  return `${label}-${randomBytes(24).toString('base64url')} /+=&%"\\é`;
}

/** The forms a leaked value takes, by name; written apart from the redactor's echoedForms on purpose, so the check shares no code with what it checks. */
function leakedForms(value: string): [string, string][] {
  const json = JSON.stringify(value).slice(1, -1);
  const forms: [string, string][] = [
    ['as is', value],
    ['URL-encoded', encodeURIComponent(value)],
    ['form-encoded', new URLSearchParams({ v: value }).toString().slice(2)],
    ['JSON-escaped', json],
    ['JSON-escaped (ASCII)', json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)],
    ['base64', Buffer.from(value).toString('base64')],
    ['base64url', Buffer.from(value).toString('base64url')],
  ];
  // A form identical to an earlier one is looked for once.
  return forms.filter(([, text], i) => forms.findIndex(([, other]) => other === text) === i);
}

export interface LeakReport {
  /** Distinct credential values looked for. */
  credentials: number;
  /** Texts looked at, by source: log lines, Event writes, distinct statuses, metric label values. */
  texts: Record<Source, number>;
  /** Occurrences of any form of any credential: must be 0. */
  found: number;
  /** One line per leaked form and source, the value itself masked. */
  leaks: string[];
}

export class LeakCollector {
  /** Credential value -> what it is, for the failure message. */
  readonly #credentials = new Map<string, string>();
  readonly #texts: Record<Source, string[]> = { log: [], event: [], status: [], metric: [] };
  /** Statuses are written again unchanged (a retried write, another condition's update): each is looked at once. */
  readonly #statuses = new Set<string>();

  credential(value: string | undefined, what: string): void {
    if (value !== undefined && value.length >= MIN_LENGTH && !this.#credentials.has(value)) this.#credentials.set(value, what);
  }

  /** The credentials a Secret holds: keys named like one, and the auth secrets of a clouds.yaml; and the data itself, as stored. */
  secret(secret: { metadata?: { name?: string }; data?: Record<string, string> }): void {
    const name = secret.metadata?.name;
    for (const [key, stored] of Object.entries(secret.data ?? {})) {
      const value = Buffer.from(stored, 'base64').toString('utf8');
      const candidates = key.endsWith('.yaml') ? cloudsYamlCredentials(value) : CREDENTIAL_KEY.test(key) ? [['', value] as const] : [];
      const found = candidates.filter(([, credential]) => credential.length >= MIN_LENGTH);
      for (const [field, credential] of found) this.credential(credential, `Secret ${name} key ${key}${field}`);
      if (found.length > 0) this.credential(stored, `Secret ${name} key ${key} as stored (base64)`);
    }
  }

  record(source: Source, text: string): void {
    if (source === 'status') {
      if (this.#statuses.has(text)) return;
      this.#statuses.add(text);
    }
    this.#texts[source].push(text);
  }

  texts(source: Source): readonly string[] {
    return this.#texts[source];
  }

  /** Every label value of a Prometheus exposition (escaped as it has them: the JSON-escaped form matches). */
  metrics(exposition: string): void {
    for (const [, value] of exposition.matchAll(/\w+="((?:[^"\\]|\\.)*)"/g)) this.record('metric', value!);
  }

  report(): LeakReport {
    const leaks: string[] = [];
    let found = 0;
    const corpora = SOURCES.map((source) => [source, this.#texts[source].join('\n')] as const);
    for (const [value, what] of this.#credentials) {
      for (const [form, needle] of leakedForms(value)) {
        for (const [source, corpus] of corpora) {
          const at = corpus.indexOf(needle);
          if (at < 0) continue;
          const count = corpus.split(needle).length - 1;
          found += count;
          const context = corpus.slice(Math.max(0, at - 120), at + needle.length + 120).split(needle).join(`<${form}>`);
          leaks.push(`${what}, ${form}, ${count}x in ${source}: …${context}…`);
        }
      }
    }
    const texts = Object.fromEntries(SOURCES.map((source) => [source, this.#texts[source].length])) as Record<Source, number>;
    return { credentials: this.#credentials.size, texts, found, leaks };
  }
}

/** The auth secrets of every cloud of a clouds.yaml (or secure.yaml), with where they are. */
function cloudsYamlCredentials(text: string): (readonly [string, string])[] {
  let document: unknown;
  try {
    document = load(text);
  } catch {
    return [];
  }
  const clouds = (document as { clouds?: Record<string, { auth?: Record<string, unknown> }> } | null)?.clouds ?? {};
  return Object.entries(clouds).flatMap(([cloud, entry]) =>
    CLOUDS_YAML_AUTH.flatMap((field) => {
      const value = entry?.auth?.[field];
      return typeof value === 'string' ? [[` clouds.${cloud}.auth.${field}`, value] as const] : [];
    }),
  );
}
