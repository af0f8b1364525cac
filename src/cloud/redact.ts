/**
 * Removes known secret values (passwords, tokens, application credential secrets, API keys)
 * from any text before it reaches an error message, a log line or a metric label.
 * Secrets are registered by value because clouds echo them in unpredictable places.
 */
export const REDACTED = '[REDACTED]';

/** Shorter values would redact ordinary words; no real credential is this short. */
const MIN_SECRET_LENGTH = 4;

/** Counted: a value added by two users (two creates with the same user data) stays until both removed it. */
export class Redactor {
  readonly #secrets = new Map<string, number>();

  add(...values: Array<string | undefined>): void {
    for (const value of values) {
      if (value !== undefined && value.length >= MIN_SECRET_LENGTH) this.#secrets.set(value, (this.#secrets.get(value) ?? 0) + 1);
    }
  }

  remove(value: string | undefined): void {
    const count = value === undefined ? undefined : this.#secrets.get(value);
    if (count === undefined) return;
    if (count > 1) this.#secrets.set(value!, count - 1);
    else this.#secrets.delete(value!);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets.keys()) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(REDACTED);
    }
    return out;
  }
}
