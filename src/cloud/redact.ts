/**
 * Removes known secret values (passwords, tokens, application credential secrets, API keys)
 * from any text before it reaches an error message, a log line or a metric label.
 * Secrets are registered by value because clouds echo them in unpredictable places.
 */
export const REDACTED = '[REDACTED]';

/** Shorter values would redact ordinary words; no real credential is this short. */
const MIN_SECRET_LENGTH = 4;

/** Python's json.dumps (ensure_ascii, what OpenStack services answer with) escapes every non-ASCII character. */
const asciiJson = (json: string): string => json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * The ways a cloud may echo a value: as sent, inside a URL (percent-encoded, or form-encoded as
 * query strings are), and inside a JSON string (escaped, and ASCII-only escaped).
 */
export function echoedForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  return [...new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), json, asciiJson(json)])];
}

/** Counted: a value added by two users (two creates with the same user data) stays until both removed it. */
export class Redactor {
  readonly #secrets = new Map<string, number>();
  /** Every form of every secret, longest first: a secret that contains another is removed whole. */
  #forms: string[] = [];

  add(...values: Array<string | undefined>): void {
    for (const value of values) {
      if (value === undefined || value.length < MIN_SECRET_LENGTH) continue;
      const count = this.#secrets.get(value) ?? 0;
      this.#secrets.set(value, count + 1);
      if (count === 0) this.#index();
    }
  }

  remove(value: string | undefined): void {
    const count = value === undefined ? undefined : this.#secrets.get(value);
    if (count === undefined) return;
    if (count > 1) {
      this.#secrets.set(value!, count - 1);
      return;
    }
    this.#secrets.delete(value!);
    this.#index();
  }

  redact(text: string): string {
    let out = text;
    for (const form of this.#forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  }

  #index(): void {
    this.#forms = [...new Set([...this.#secrets.keys()].flatMap(echoedForms))].sort((a, b) => b.length - a.length);
  }
}
