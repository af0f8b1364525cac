import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

const secretKeys = ['password', 'token', 'secret', 'apiSecret', 'apiKey', 'applicationCredentialSecret', 'authorization', '["x-auth-token"]'];

/** Secret-bearing keys at the top level and up to three levels down (pino's `*` matches one level). */
export const redactPaths: string[] = secretKeys.flatMap((key) => {
  const sep = key.startsWith('[') ? '' : '.';
  return [key, `*${sep}${key}`, `*.*${sep}${key}`, `*.*.*${sep}${key}`];
});

/** JSON logs on stdout (or `destination`), secrets redacted. */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { name: 'cloudnet-operator' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths, censor: '[REDACTED]' },
    },
    options.destination,
  );
}
