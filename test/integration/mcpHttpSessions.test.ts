/**
 * Bounds of the remote admin endpoint's MCP sessions (issue 18), against an in-process daemon
 * with small limits: sessions per token and in total, the idle timeout freeing a slot, and the
 * daemon's stop ending an open session stream. Real TLS, real HTTP, the real SDK transport on
 * the server side; the sessions are opened with raw initialize requests.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pollUntil } from '../helpers/processes.js';
import { tlsFetch, type TlsFetch } from '../helpers/tlsFetch.js';
import { CA_SETUP_TIMEOUT_MS, Scope, TEST_TIMEOUT_MS, prepareCas, startDaemon, within, type RunningDaemon } from './harness.js';

let scope: Scope;
const LIMITS = { perToken: 2, total: 3, idleMs: 1_000 };
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INITIALIZE = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'limits', version: '1' } } });

beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

async function setup(): Promise<{ d: RunningDaemon; http: TlsFetch; endpoint: string; mint: (name: string) => Promise<string> }> {
  const d = await startDaemon(scope, { daemon: { adminListen: { host: '127.0.0.1', port: 0 }, mcpSessionLimits: LIMITS } });
  const http = tlsFetch(d.caCertPem);
  scope.defer(() => http.close());
  const endpoint = `https://${d.daemon.info.adminTlsAddress ?? ''}`;
  const mint = async (name: string): Promise<string> => (await d.control.createToken({ name, role: 'viewer', ttlSeconds: 600 })).token;
  return { d, http, endpoint, mint };
}

/** Opens a session: its id, or the HTTP status and error code of the refusal. */
async function open(http: TlsFetch, endpoint: string, token: string): Promise<{ id?: string; status: number; code?: string }> {
  const response = await http.fetch(`${endpoint}/mcp`, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: INITIALIZE });
  const text = await response.text();
  const id = response.headers.get('mcp-session-id') ?? undefined;
  if (response.status !== 200 || id === undefined) return { status: response.status, code: (JSON.parse(text) as { error?: { code?: string } }).error?.code };
  return { id, status: 200 };
}

describe('MCP sessions on the remote admin endpoint', () => {
  it(
    'are bounded per token and in total; an idle session is closed and frees its slot',
    async () => {
      const { http, endpoint, mint } = await setup();
      const [a, b] = [await mint('sessions-a'), await mint('sessions-b')];
      const first = await open(http, endpoint, a);
      expect((await open(http, endpoint, a)).status).toBe(200);
      expect(await open(http, endpoint, a)).toEqual({ status: 429, code: 'PALYRA_E_LIMIT_EXCEEDED' });
      expect((await open(http, endpoint, b)).status).toBe(200);
      // Three in all: b has room of its own, the endpoint has none.
      expect(await open(http, endpoint, b)).toEqual({ status: 429, code: 'PALYRA_E_LIMIT_EXCEEDED' });
      // Nothing uses a's sessions: they idle out, and a may open one again.
      const reopened = await pollUntil(async () => {
        const attempt = await open(http, endpoint, a);
        return attempt.status === 200 ? attempt : undefined;
      }, { what: 'an idle session to be closed', timeoutMs: 20_000, intervalMs: 200 });
      expect(reopened.id).not.toBe(first.id);
      const gone = await http.fetch(`${endpoint}/mcp`, { method: 'DELETE', headers: { authorization: `Bearer ${a}`, 'mcp-session-id': first.id ?? '' } });
      expect(gone.status).toBe(404);
      await gone.text();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a token's expiry ends its session: the open session stream ends, and the token is refused after",
    async () => {
      const { d, http, endpoint } = await setup();
      const token = (await d.control.createToken({ name: 'sessions-expiring', role: 'viewer', ttlSeconds: 3 })).token;
      const { id } = await open(http, endpoint, token);
      const stream = await http.fetch(`${endpoint}/mcp`, { method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'mcp-session-id': id ?? '', 'mcp-protocol-version': '2025-06-18' } });
      expect(stream.status).toBe(200);
      const ended = stream.text().then(
        () => 'ended',
        () => 'ended',
      );
      expect(await within(ended, 15_000, 'the session stream to end at expiry')).toBe('ended');
      const after = await http.fetch(`${endpoint}/mcp`, { method: 'DELETE', headers: { authorization: `Bearer ${token}`, 'mcp-session-id': id ?? '' } });
      expect(after.status).toBe(401);
      await after.text();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "the daemon's stop ends an open session stream",
    async () => {
      const { d, http, endpoint, mint } = await setup();
      const token = await mint('sessions-stop');
      const { id } = await open(http, endpoint, token);
      const stream = await http.fetch(`${endpoint}/mcp`, { method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'mcp-session-id': id ?? '', 'mcp-protocol-version': '2025-06-18' } });
      expect(stream.status).toBe(200);
      const ended = stream.text().then(
        () => 'ended',
        () => 'ended',
      );
      await d.daemon.stop();
      expect(await within(ended, 10_000, 'the session stream to end')).toBe('ended');
    },
    TEST_TIMEOUT_MS,
  );
});
