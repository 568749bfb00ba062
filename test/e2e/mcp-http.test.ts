/**
 * Issue 18 over HTTP, on the remote admin endpoint's port (ALPN http/1.1): the real MCP SDK
 * Client with StreamableHTTPClientTransport (a fetch trusting the daemon's CA) against a real
 * daemon with real agents (filesystem, shell and the example hello plugin): initialize, list,
 * call, fan-out, progress, cancellation reaching the node, list_changed, a session bound to its
 * token, revocation closing the session, a token without the compat permissions seeing and
 * calling nothing, an audit entry per call with the token and the HTTP peer's address. Then the
 * OpenAI-compatible endpoints with request and response shapes from OpenAI's API reference,
 * and gRPC clients still served on the same port.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect as tlsConnect } from 'node:tls';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema, type CallToolResult, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_WRITE_STALL_MS } from '../../daemon/src/admin/http/createAdminHttpServer.js';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import { remoteAdminClient } from '../helpers/adminRemote.js';
import { DaemonProcess, pairNode } from '../helpers/daemonHarness.js';
import { readPids, startAgent, waitForPidGone, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, TempDirs, pollUntil, stopProcesses, type RunningProcess } from '../helpers/processes.js';
import { tlsFetch, type TlsFetch } from '../helpers/tlsFetch.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const HELLO_PLUGIN = join(REPO, 'examples', 'hello-plugin');
const dirs = new TempDirs();
let daemon: DaemonProcess;
let base = '';
let alphaRoot = '';
let alphaId = '';
let betaId = '';
let caPem = '';
let endpoint = '';
const agents: RunningProcess[] = [];
const clients: Client[] = [];
const fetches: TlsFetch[] = [];

interface AuditRow {
  action: string;
  actor: { kind: string; tokenId?: string };
  outcome: string;
  node?: string;
  capability?: string;
  remoteAddress?: string;
  details?: Record<string, unknown>;
}
interface DispatchRow {
  dispatchId: string;
  capability: string;
  state: string;
}
interface OpenAiError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

function httpFetch(): typeof fetch {
  const f = tlsFetch(caPem);
  fetches.push(f);
  return f.fetch;
}

async function mintToken(name: string, role: string, extra: string[] = []): Promise<{ token: string; id: string }> {
  return daemon.json<{ token: string; id: string }>('tokens', 'create', '--name', name, '--role', role, '--ttl', '1h', ...extra);
}

/** An MCP client on `/mcp` presenting `token`. */
async function mcpClient(token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${endpoint}/mcp`), { fetch: httpFetch(), requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'palyra-e2e-http', version: '1.0.0' });
  clients.push(client);
  await client.connect(transport);
  return { client, transport };
}

function structured(result: unknown): Record<string, unknown> {
  return (result as CallToolResult).structuredContent as Record<string, unknown>;
}

function nextListChanged(client: Client): Promise<void> {
  return new Promise((resolveChanged) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolveChanged()));
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name);
}

/** One HTTP request to the endpoint; the JSON body (or undefined) and the response. */
async function http(path: string, init: RequestInit & { token?: string } = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
  const { token, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  const response = await httpFetch()(`${endpoint}${path}`, { ...rest, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

function expectOpenAiError(body: unknown, type: string, code: string): void {
  expect(body).toEqual({ error: { message: expect.any(String), type, param: expect.toSatisfy((p: unknown) => p === null || typeof p === 'string'), code } });
}

beforeAll(async () => {
  base = await dirs.make('palyra-e2e-mcp-http-');
  daemon = await DaemonProcess.start(join(base, 'daemon'), ['--admin-listen', '127.0.0.1:0', '--quic-listen', 'off']);
  endpoint = `https://${(daemon.ready as { adminTls?: string }).adminTls ?? ''}`;
  caPem = await readFile(join(daemon.stateDir, 'ca.crt'), 'utf8');
  alphaRoot = join(base, 'alpha-root');
  const betaRoot = join(base, 'beta-root');
  await mkdir(alphaRoot);
  await mkdir(betaRoot);
  await writeFile(join(alphaRoot, 'hello.txt'), 'hello from alpha');
  const shell = (root: string): unknown => ({ use: 'shell', grants: { commands: ['sh'], roots: [root], timeoutMs: 120_000 } });
  const alphaConfig = await writeNodeConfig(base, { labels: { group: 'mcp' }, plugins: [{ use: 'filesystem', grants: { roots: [alphaRoot] } }, shell(alphaRoot)] }, 'alpha.json');
  const betaConfig = await writeNodeConfig(base, { labels: { group: 'mcp' }, plugins: [shell(betaRoot), { use: HELLO_PLUGIN, grants: { maxSleepMs: 10_000 }, capabilities: ['hello.greet'] }] }, 'beta.json');
  alphaId = await pairNode(daemon, join(base, 'alpha'), 'alpha');
  betaId = await pairNode(daemon, join(base, 'beta'), 'beta');
  agents.push(...(await Promise.all([startAgent(join(base, 'alpha'), alphaConfig), startAgent(join(base, 'beta'), betaConfig)])));
  // Both agents' capabilities are known before the first listing.
  await pollUntil(async () => {
    const nodes = await daemon.json<{ status: string }[]>('nodes', 'list');
    return nodes.filter((n) => n.status === 'online').length === 2 ? true : undefined;
  }, { what: 'both agents online' });
}, E2E_HOOK_TIMEOUT_MS);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const f of fetches.splice(0)) f.close();
});

afterAll(async () => {
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('MCP over Streamable HTTP on the remote admin endpoint', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('initializes, lists, calls fs and shell tools, fans out, and reports progress', async () => {
    const operator = await mintToken('http-operator', 'operator');
    const { client, transport } = await mcpClient(operator.token);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
    expect(await toolNames(client)).toEqual(expect.arrayContaining(['fs_read', 'shell_exec', 'hello_greet']));

    const read = await client.callTool({ name: 'fs_read', arguments: { node: 'alpha', path: 'hello.txt' } });
    expect(read.isError).toBe(false);
    expect(structured(read)).toMatchObject({ content: 'hello from alpha' });
    const shell = await client.callTool({ name: 'shell_exec', arguments: { node: alphaId, command: 'sh', args: ['-c', 'basename "$PWD"'] } });
    expect(structured(shell)).toMatchObject({ exitCode: 0, stdout: 'alpha-root\n' });

    const fanout = await client.callTool({ name: 'shell_exec', arguments: { selector: 'group=mcp', command: 'sh', args: ['-c', 'basename "$PWD"'] } });
    const { results, summary } = structured(fanout) as { results: Array<{ deviceId: string; ok: boolean; output: { stdout: string } }>; summary: unknown };
    expect(summary).toEqual({ total: 2, succeeded: 2, failed: 0 });
    expect(results.map((r) => [r.deviceId, r.ok, r.output.stdout])).toEqual(
      expect.arrayContaining([
        [alphaId, true, 'alpha-root\n'],
        [betaId, true, 'beta-root\n'],
      ]),
    );

    const seen: Progress[] = [];
    const greeted = await client.callTool({ name: 'hello_greet', arguments: { node: 'beta', name: 'HTTP' } }, undefined, { onprogress: (p) => seen.push(p) });
    expect(structured(greeted)).toEqual({ greeting: 'Hello, HTTP!' });
    expect(seen.length).toBeGreaterThan(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress);
  });

  it('cancelling a call cancels the dispatch on the node', async () => {
    const operator = await mintToken('http-cancel', 'operator');
    const { client } = await mcpClient(operator.token);
    const controller = new AbortController();
    const started = new Promise<void>((resolveStarted) => {
      const call = client.callTool({ name: 'shell_exec', arguments: { node: 'alpha', command: 'sh', args: ['-c', 'echo $$ > http-cancel.pid; echo started; exec sleep 120'] } }, undefined, {
        signal: controller.signal,
        timeout: 180_000,
        onprogress: (p) => {
          if (p.message?.includes('started') === true) resolveStarted();
        },
      });
      void call.catch(() => undefined);
    });
    await started;
    const [pid] = await readPids(join(alphaRoot, 'http-cancel.pid'), 1);
    controller.abort();
    const cancelled = await pollUntil(
      async () => {
        const rows = await daemon.json<DispatchRow[]>('dispatches', 'list', '--node', alphaId, '--limit', '1');
        return rows[0]?.capability === 'shell.exec' && rows[0].state === 'cancelled' ? rows[0] : undefined;
      },
      { what: 'the dispatch to end cancelled' },
    );
    expect(cancelled.state).toBe('cancelled');
    await waitForPidGone(pid!, 'the cancelled command');
  });

  it('sends list_changed when an agent joins and when it is removed', async () => {
    const viewer = await mintToken('http-watch', 'viewer');
    const { client } = await mcpClient(viewer.token);
    expect(await toolNames(client)).not.toContain('hello_sleep');
    const gammaDir = join(base, 'gamma');
    const gammaConfig = await writeNodeConfig(base, { plugins: [{ use: HELLO_PLUGIN, grants: { maxSleepMs: 10_000 }, capabilities: ['hello.sleep'] }] }, 'gamma.json');
    const gammaId = await pairNode(daemon, gammaDir, 'gamma');
    const joined = nextListChanged(client);
    const gamma = await startAgent(gammaDir, gammaConfig);
    await joined;
    expect(await toolNames(client)).toContain('hello_sleep');
    const left = nextListChanged(client);
    expect((await daemon.cli('nodes', 'remove', gammaId)).code).toBe(0);
    await left;
    expect(await toolNames(client)).not.toContain('hello_sleep');
    await gamma.stop();
  });

  it('a session belongs to the token that created it: another token gets 404, as an unknown id does', async () => {
    const owner = await mintToken('http-session-a', 'viewer');
    const other = await mintToken('http-session-b', 'viewer');
    const { transport } = await mcpClient(owner.token);
    const sessionId = transport.sessionId ?? '';
    const list = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
    const stolen = await http('/mcp', { method: 'POST', token: other.token, headers, body: list });
    expect(stolen.status).toBe(404);
    expectOpenAiError(stolen.body, 'invalid_request_error', 'PALYRA_E_HTTP_NOT_FOUND');
    const unknown = await http('/mcp', { method: 'POST', token: owner.token, headers: { ...headers, 'mcp-session-id': '00000000-0000-4000-8000-000000000000' }, body: list });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(stolen.body);
    // Not initialize and no session: 400.
    const noSession = await http('/mcp', { method: 'POST', token: owner.token, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: list });
    expect(noSession.status).toBe(400);
  });

  it('revoking the token closes its session: an open SSE stream ends, and the session is gone', async () => {
    const doomed = await mintToken('http-doomed', 'viewer');
    // A session made by hand (the SDK client would hold the one standalone SSE stream itself).
    const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    const opened = await httpFetch()(`${endpoint}/mcp`, { method: 'POST', headers: { ...mcpHeaders, authorization: `Bearer ${doomed.token}` }, body: JSON.stringify(initialize) });
    expect(opened.status).toBe(200);
    await opened.text();
    const sessionId = opened.headers.get('mcp-session-id') ?? '';
    expect(sessionId).not.toBe('');
    // The session's standalone SSE stream, read raw: it ends when the daemon closes the session.
    const stream = await httpFetch()(`${endpoint}/mcp`, {
      method: 'GET',
      headers: { authorization: `Bearer ${doomed.token}`, accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
    });
    expect(stream.status).toBe(200);
    const drained = stream.text().then(
      () => 'ended',
      () => 'ended',
    );
    await daemon.json('tokens', 'revoke', doomed.id);
    expect(await drained).toBe('ended');
    const after = await http('/v1/tools', { token: doomed.token });
    expect(after.status).toBe(401);
    expectOpenAiError(after.body, 'invalid_request_error', 'PALYRA_E_UNAUTHENTICATED');
  });

  it('a token without compat.tools.list sees nothing; without compat.tools.call calls nothing (MCP and OpenAI formats)', async () => {
    const bare = await mintToken('http-bare', 'operator', ['--permission', 'nodes.read,dispatch.invoke']);
    const { client } = await mcpClient(bare.token);
    expect((await client.listTools()).tools).toEqual([]);
    const refused = await client.callTool({ name: 'fs_read', arguments: { node: 'alpha', path: 'hello.txt' } });
    expect(refused.isError).toBe(true);
    expect(structured(refused)).toMatchObject({ error: { code: 'PALYRA_E_FORBIDDEN', details: { permission: 'compat.tools.call' } } });

    expect((await http('/v1/tools', { token: bare.token })).body).toEqual({ object: 'list', data: [] });
    const call = await http('/v1/tool_calls', {
      method: 'POST',
      token: bare.token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'fs_read', arguments: '{"node":"alpha","path":"hello.txt"}' } }] }),
    });
    expect(call.status).toBe(403);
    expectOpenAiError(call.body, 'permission_error', 'PALYRA_E_FORBIDDEN');
    const audit = await daemon.json<AuditRow[]>('audit', '--actor', `token:${bare.id}`, '--action', 'dispatch');
    expect(audit.filter((e) => e.action === 'dispatch')).toEqual([]);
    // Both refusals are on record (auth.denied, the token as actor, from the HTTP peer).
    const denied = await pollUntil(
      async () => {
        const rows = await daemon.json<AuditRow[]>('audit', '--actor', `token:${bare.id}`, '--action', 'auth.denied');
        return rows.length >= 2 ? rows : undefined;
      },
      { what: 'the auth.denied entries of both refused calls' },
    );
    expect(denied.map((e) => [e.details?.method, e.details?.permission, e.outcome])).toEqual([
      ['tools/call', 'compat.tools.call', 'refused'],
      ['POST /v1/tool_calls', 'compat.tools.call', 'refused'],
    ]);
    for (const entry of denied) expect(entry.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('every call is audited with the token as the actor and the HTTP peer as the address', async () => {
    const scoped = await mintToken('http-audited', 'operator', ['--scope', 'fs.*']);
    const { client } = await mcpClient(scoped.token);
    expect(structured(await client.callTool({ name: 'fs_read', arguments: { node: 'alpha', path: 'hello.txt' } }))).toMatchObject({ content: 'hello from alpha' });
    const outOfScope = await client.callTool({ name: 'shell_exec', arguments: { node: 'alpha', command: 'sh', args: ['-c', 'true'] } });
    expect(structured(outOfScope)).toMatchObject({ error: { code: 'PALYRA_E_FORBIDDEN' } });
    const entries = await pollUntil(
      async () => {
        const rows = (await daemon.json<AuditRow[]>('audit', '--actor', `token:${scoped.id}`)).filter((e) => e.capability !== undefined);
        return rows.length >= 2 ? rows : undefined;
      },
      { what: 'the audit entries of both calls' },
    );
    expect(entries.map((e) => [e.actor.tokenId, e.capability, e.remoteAddress])).toEqual(
      expect.arrayContaining([
        [scoped.id, 'fs.read', expect.stringMatching(/^127\.0\.0\.1:\d+$/)],
        [scoped.id, 'shell.exec', expect.stringMatching(/^127\.0\.0\.1:\d+$/)],
      ]),
    );
  });
});

describe('OpenAI-compatible tool endpoints', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('GET /v1/tools lists the tools in the function-calling format', async () => {
    const viewer = await mintToken('openai-viewer', 'viewer');
    const { status, body } = await http('/v1/tools', { token: viewer.token });
    expect(status).toBe(200);
    const list = body as { object: string; data: Array<{ type: string; function: { name: string; description: string; parameters: { type: string; properties: Record<string, unknown> } } }> };
    expect(list.object).toBe('list');
    const read = list.data.find((t) => t.function.name === 'fs_read');
    // The shape of a chat completions `tools` entry (OpenAI API reference, "Function calling").
    expect(read).toEqual({ type: 'function', function: { name: 'fs_read', description: expect.stringContaining('plugin filesystem'), parameters: expect.objectContaining({ type: 'object' }) } });
    expect(read?.function.parameters.properties).toMatchObject({ path: expect.any(Object), node: expect.any(Object), selector: expect.any(Object) });
    for (const tool of list.data) expect(tool.function.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    // A token with scopes sees only the tools of the capabilities they admit, as over MCP.
    const scoped = await mintToken('openai-scoped', 'viewer', ['--scope', 'fs.*']);
    const narrowed = (await http('/v1/tools', { token: scoped.token })).body as typeof list;
    const names = narrowed.data.map((t) => t.function.name);
    expect(names).toContain('fs_read');
    expect(names.filter((n) => !n.startsWith('fs_'))).toEqual([]);
  });

  it('POST /v1/tool_calls takes an assistant message and answers the tool messages, a failed call as a tool message', async () => {
    const operator = await mintToken('openai-operator', 'operator');
    // An assistant message as chat completions returns it (API reference: message.tool_calls).
    const assistant = {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_abc123', type: 'function', function: { name: 'fs_read', arguments: '{"node":"alpha","path":"hello.txt"}' } },
        { id: 'call_def456', type: 'function', function: { name: 'shell_exec', arguments: '{"selector":"group=mcp","command":"sh","args":["-c","basename \\"$PWD\\""]}' } },
        { id: 'call_ghi789', type: 'function', function: { name: 'fs_read', arguments: '{"node":"no-such-node","path":"hello.txt"}' } },
        { id: 'call_jkl012', type: 'function', function: { name: 'no_such_tool', arguments: '{}' } },
        { id: 'call_mno345', type: 'function', function: { name: 'fs_read', arguments: '{"node":' } },
      ],
    };
    const { status, body } = await http('/v1/tool_calls', { method: 'POST', token: operator.token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(assistant) });
    expect(status).toBe(200);
    const { object, data } = body as { object: string; data: Array<{ role: string; tool_call_id: string; content: string }> };
    expect(object).toBe('list');
    // Tool messages as a conversation takes them: role "tool", the call's id, string content; in order.
    expect(data.map((m) => [m.role, m.tool_call_id, typeof m.content])).toEqual(assistant.tool_calls.map((c) => ['tool', c.id, 'string']));
    expect(JSON.parse(data[0]!.content)).toMatchObject({ content: 'hello from alpha' });
    expect(JSON.parse(data[1]!.content)).toMatchObject({ summary: { total: 2, succeeded: 2, failed: 0 } });
    expect(JSON.parse(data[2]!.content)).toMatchObject({ error: { code: 'PALYRA_E_NODE_NOT_FOUND' } });
    expect(JSON.parse(data[3]!.content)).toMatchObject({ error: { code: 'PALYRA_E_TOOL_UNKNOWN' } });
    expect(JSON.parse(data[4]!.content)).toMatchObject({ error: { code: 'PALYRA_E_TOOL_ARGUMENTS' } });
  });

  it('request errors are OpenAI error objects with the right status: 401, 400, 404, 413, 429 with Retry-After', async () => {
    const none = await http('/v1/tools');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expectOpenAiError(none.body, 'invalid_request_error', 'PALYRA_E_UNAUTHENTICATED');

    const operator = await mintToken('openai-errors', 'operator');
    const post = (body: string): Promise<{ status: number; body: unknown }> => http('/v1/tool_calls', { method: 'POST', token: operator.token, headers: { 'content-type': 'application/json' }, body });
    const notJson = await post('{"tool_calls": [');
    expect(notJson.status).toBe(400);
    expectOpenAiError(notJson.body, 'invalid_request_error', 'PALYRA_E_INVALID_ARGUMENT');
    const noId = await post(JSON.stringify({ tool_calls: [{ type: 'function', function: { name: 'fs_read', arguments: '{}' } }] }));
    expect(noId.status).toBe(400);
    expect((noId.body as OpenAiError).error.param).toBe('tool_calls[0].id');
    const huge = await post(JSON.stringify({ tool_calls: [], pad: 'x'.repeat(1024 * 1024) }));
    expect(huge.status).toBe(413);
    expectOpenAiError(huge.body, 'invalid_request_error', 'PALYRA_E_BODY_TOO_LARGE');
    const unknown = await http('/v1/chat/completions', { method: 'POST', token: operator.token, body: '{}' });
    expect(unknown.status).toBe(404);
    expectOpenAiError(unknown.body, 'invalid_request_error', 'PALYRA_E_HTTP_NOT_FOUND');

    const slow = await mintToken('openai-slow', 'viewer', ['--rate', '1/m']);
    let limited: { status: number; headers: Headers; body: unknown } | undefined;
    for (let i = 0; i < 5 && limited === undefined; i++) {
      const answer = await http('/v1/tools', { token: slow.token });
      if (answer.status === 429) limited = answer;
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expectOpenAiError(limited?.body, 'rate_limit_error', 'PALYRA_E_RATE_LIMITED');
  });
});

describe('a client that stops reading', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('loses its connection once its answer has not moved for HTTP_WRITE_STALL_MS (no slot held for ever)', async () => {
    const operator = await mintToken('http-stall', 'operator');
    await writeFile(join(alphaRoot, 'big.txt'), 'a'.repeat(400 * 1024));
    const body = JSON.stringify({
      tool_calls: Array.from({ length: 16 }, (_, i) => ({ id: `call_${i}`, type: 'function', function: { name: 'fs_read', arguments: JSON.stringify({ node: 'alpha', path: 'big.txt' }) } })),
    });
    const url = new URL(endpoint);
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ca: [caPem], servername: 'palyrad', ALPNProtocols: ['http/1.1'], checkServerIdentity: () => undefined });
    socket.on('error', () => undefined);
    try {
      await new Promise<void>((resolveConnect) => socket.once('secureConnect', () => resolveConnect()));
      // Never read: the ~6.5 MB answer fills the socket buffers both ways and the daemon's writes stall.
      socket.pause();
      socket.write(`POST /v1/tool_calls HTTP/1.1\r\nHost: palyra\r\nAuthorization: Bearer ${operator.token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      await daemon.process.waitFor(/closed an admin HTTP connection whose client read nothing/, HTTP_WRITE_STALL_MS + 60_000, 'stderr');
      // Reading now gets what was in flight, then the end: the answer is cut short.
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const ended = new Promise<void>((resolveEnd) => socket.once('close', () => resolveEnd()));
      socket.resume();
      await ended;
      expect(received).toMatch(/^HTTP\/1\.1 200 /);
      expect(received).not.toContain('call_15');
    } finally {
      socket.destroy();
    }
  });
});

describe('one port, two protocols', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('ALPN: http/1.1 when offered, else h2; gRPC clients (unary and streaming) still work on the port', async () => {
    const [host, port] = [endpoint.slice('https://'.length, endpoint.lastIndexOf(':')), Number(endpoint.slice(endpoint.lastIndexOf(':') + 1))];
    const negotiated = (protocols: string[]): Promise<string | false | null> =>
      new Promise((resolveProtocol, reject) => {
        const socket = tlsConnect({ host, port, ca: [caPem], servername: 'palyrad', ALPNProtocols: protocols, checkServerIdentity: () => undefined }, () => {
          resolveProtocol(socket.alpnProtocol);
          socket.destroy();
        });
        socket.on('error', reject);
      });
    expect(await negotiated(['h2', 'http/1.1'])).toBe('http/1.1');
    expect(await negotiated(['h2'])).toBe('h2');
    await expect(negotiated(['spdy/3'])).rejects.toThrow();

    const operator = await mintToken('grpc-beside-http', 'operator');
    const raw = await remoteAdminClient(endpoint.slice('https://'.length), daemon.stateDir, operator.token);
    try {
      expect(await raw.unary('WhoAmI')).toMatchObject({ tokenName: 'grpc-beside-http' });
    } finally {
      raw.close();
    }
    const control = await ControlClient.connectRemote({ address: endpoint.slice('https://'.length), caFingerprint: daemon.ready.ca, token: operator.token });
    try {
      expect((await control.listNodes()).map((n) => n.name)).toEqual(expect.arrayContaining(['alpha', 'beta']));
      // A streaming call (Invoke) through grpc-js on the same port.
      let output: unknown;
      for await (const event of control.invoke({ deviceId: alphaId, capability: 'fs.read', input: { path: 'hello.txt' } })) {
        if (event.type === 'result') output = event.result.output;
      }
      expect(output).toMatchObject({ content: 'hello from alpha' });
    } finally {
      control.close();
    }
  });
});
