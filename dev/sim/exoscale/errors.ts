// The simulator's answers and refusals. The spec documents only 200 on the paths simulated, so the error
// bodies are the two shapes the official clients parse (README: "Errors"): the classic {"message"} for
// authentication, missing resources and refused changes, and RFC 9457 problem details, with the
// offending places in `errors`, for requests that break the spec's schemas.
import type { Problem } from './spec.ts';

export type SimResponse = { status: number; body: unknown; contentType?: string };

export const json = (status: number, body: unknown): SimResponse => ({ status, body });

/** A refusal, thrown by handlers and answered as it is. */
export class ExoscaleError extends Error {
  readonly response: SimResponse;

  constructor(response: SimResponse) {
    super(JSON.stringify(response.body));
    this.response = response;
  }
}

/** {"message": ...} with this status. */
export const refused = (status: number, message: string): ExoscaleError => new ExoscaleError(json(status, { message }));

export const notFound = (message: string): ExoscaleError => refused(404, message);

/** RFC 9457: 400 with every problem of the request, each {detail, location}. */
export function invalid(problems: Problem[]): ExoscaleError {
  return new ExoscaleError({
    status: 400,
    contentType: 'application/problem+json',
    body: {
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: `invalid request: ${problems.map((p) => `${p.location} ${p.detail}`).join('; ')}`,
      errors: problems.map((p) => ({ detail: p.detail, location: p.location })),
    },
  });
}
