import { STATUS_CODES } from 'node:http';
import { CloudError, kindForStatus, type CloudErrorKind } from '../errors.ts';
import type { ErrorResponse } from '../http.ts';

/**
 * Exoscale error classification, in one place. The official clients read two body shapes:
 *   classic   {"message": M} or {"error": M}
 *   RFC 9457  {"type", "title", "status", "detail", "errors": [{"detail", "location"}]}
 * 404 is gone; 400/403/409/412 are refusals of the request as specified; 429 and 5xx (not 501,
 * which the official clients do not retry either) are transient, with Retry-After honoured.
 */

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The message of an error body of either shape, or undefined when it has none. */
export function parseExoscaleErrorBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const root = body as Record<string, unknown>;
  const classic = text(root.message) ?? text(root.error);
  if (classic) return classic;
  const problem = text(root.detail) ?? text(root.title);
  if (!problem) return undefined;
  const details = Array.isArray(root.errors)
    ? root.errors.flatMap((e) => {
        const item = e as Record<string, unknown>;
        const detail = text(item?.detail);
        return detail ? [text(item.location) ? `${text(item.location)}: ${detail}` : detail] : [];
      })
    : [];
  return [problem, ...details].join('; ');
}

function kindFor(status: number): CloudErrorKind {
  if (status === 404) return 'notFound';
  if (status === 401) return 'unauthorized';
  if (status === 501) return 'terminal';
  if (status === 429 || status >= 500) return 'transient';
  if (status === 400 || status === 403 || status === 409 || status === 412) return 'terminal';
  return kindForStatus(status);
}

/** `Forbidden`, `Conflict`, ...: the status's reason phrase, as the body carries no error code. */
const codeOf = (status: number): string => (STATUS_CODES[status] ?? `HTTP${status}`).replace(/[^A-Za-z]/g, '');

export function classifyExoscaleError(response: ErrorResponse): CloudError {
  return new CloudError({
    provider: response.provider,
    service: response.service,
    operation: response.operation,
    status: response.status,
    code: codeOf(response.status),
    message: parseExoscaleErrorBody(response.body) ?? (response.text.slice(0, 500) || `HTTP ${response.status}`),
    kind: kindFor(response.status),
    retryAfterMs: response.retryAfterMs,
  });
}
