import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

/**
 * One HTTP exchange over keep-alive agents owned by one client. Built on node:http(s) rather
 * than global fetch: fetch can only take a private CA bundle through an undici Agent, and
 * undici is not a declared dependency of this package (Node's bundled copy is not importable).
 */
export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer | undefined;
  signal: AbortSignal;
}

export interface TransportResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface TlsOptions {
  /** Extra trusted CA certificates (PEM), e.g. from a Secret; added to the system roots. */
  caBundle?: string;
  /** TLS verification is on unless this is explicitly false. */
  verify?: boolean;
}

export class Transport {
  readonly #http: http.Agent;
  readonly #https: https.Agent;

  constructor(tlsOptions: TlsOptions = {}) {
    this.#http = new http.Agent({ keepAlive: true });
    this.#https = new https.Agent({
      keepAlive: true,
      rejectUnauthorized: tlsOptions.verify !== false,
      ...(tlsOptions.caBundle ? { ca: [...tls.rootCertificates, tlsOptions.caBundle] } : {}),
    });
  }

  send(req: TransportRequest): Promise<TransportResponse> {
    const isHttps = req.url.protocol === 'https:';
    const lib = isHttps ? https : http;
    const headers = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(req.body.length);
    return new Promise((resolve, reject) => {
      const request = lib.request(
        req.url,
        { method: req.method, headers, agent: isHttps ? this.#https : this.#http, signal: req.signal },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const flat: Record<string, string> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({ status: response.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks) });
          });
        },
      );
      request.on('error', reject);
      request.end(req.body);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}
