import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';

export const FIXTURES = new URL('./fixtures/', import.meta.url);

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export function fixture(name: string): Record<string, unknown> {
  return load(fixtureText(name)) as Record<string, unknown>;
}

/** The status code and metav1.Status body of a failed client-node call. */
export async function failure(call: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await call;
  } catch (err) {
    const { code, body } = err as { code: number; body: unknown };
    const status = typeof body === 'string' ? (JSON.parse(body) as Record<string, unknown>) : (body as Record<string, unknown>);
    return { code, status };
  }
  throw new Error('expected the call to fail');
}
