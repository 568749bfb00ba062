import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { DAEMON_TLS_NAME, checkDaemonCertificate } from '@palyra/shared/x509/daemonIdentity';

/**
 * A fetch that trusts exactly the daemon's CA (and checks the daemon's certificate as every
 * Palyra client does), over HTTP/1.1 as a browser or the MCP SDK would: the remote admin
 * endpoint routes such a connection (ALPN http/1.1) to its HTTP API. node:https, no extra
 * dependency; bodies stream (an MCP SSE stream is read as it comes).
 */
export interface TlsFetch {
  fetch: typeof fetch;
  close(): void;
}

export function tlsFetch(caPem: string): TlsFetch {
  const agent = new Agent({ ca: [caPem], keepAlive: true, servername: DAEMON_TLS_NAME, ALPNProtocols: ['http/1.1'], checkServerIdentity: (_host, cert) => checkDaemonCertificate(cert) });
  const run = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      const headers = Object.fromEntries(new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined)).entries());
      const body = init.body;
      if (body !== undefined && body !== null && typeof body !== 'string') {
        reject(new TypeError('tlsFetch sends string bodies only'));
        return;
      }
      const req = request(url, { method: init.method ?? 'GET', headers, agent, ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
        const status = res.statusCode ?? 500;
        const nullBody = status === 204 || status === 205 || status === 304;
        if (nullBody) res.resume();
        resolve(new Response(nullBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers: toHeaders(res.headers) }));
      });
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  return { fetch: run as typeof fetch, close: () => agent.destroy() };
}

function toHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(key, one);
  }
  return headers;
}
