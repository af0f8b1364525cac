// The HTTP server and process lifecycle every simulator shares.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimClock } from './clock.ts';

export interface Listening {
  /** http://host:port */
  origin: string;
  /** Stops the clock's timers, then the server, dropping kept-alive connections. */
  close(): Promise<void>;
}

/** Serves `handle` on host:port (0: any free port); a handler that throws drops the connection. */
export async function listen(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>, options: { host?: string; port?: number; clock: SimClock }): Promise<Listening> {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    origin: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        options.clock.cancelAll();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A simulator run as a process: stopped on SIGTERM or SIGINT, exiting 0 once closed. */
export function closeOnSignals(close: () => Promise<void>): void {
  const stop = (): void => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
