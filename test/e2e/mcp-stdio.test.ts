/**
 * Issue 18 part 1, over stdio: the real MCP SDK Client with StdioClientTransport spawns the
 * built `palyrad mcp` against a real daemon with real agents (filesystem, shell and the
 * example hello plugin). Initialize, list, call a filesystem and a shell tool, a fan-out by
 * selector, progress notifications, cancellation reaching the node (the dispatch ends
 * cancelled, the process is gone), list_changed when an agent joins and when it is removed,
 * tokens (through --daemon and PALYRA_TOKEN) without the compat permissions seeing and
 * calling nothing, and an audit entry per call with the token as the actor.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema, type CallToolResult, type Progress, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectErrorLine } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { readPids, startAgent, waitForPidGone, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRAD, TEST_ENV, TempDirs, pollUntil, runBin, stopProcesses, type RunningProcess } from '../helpers/processes.js';
import { TIMEOUT_GRACE_MS } from '../../daemon/src/tools/callTool.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const HELLO_PLUGIN = join(REPO, 'examples', 'hello-plugin');
const dirs = new TempDirs();
let daemon: DaemonProcess;
let base = '';
let alphaRoot = '';
let alphaId = '';
let betaId = '';
const agents: RunningProcess[] = [];
/** A local page for browser.screenshot. */
let site: Server | undefined;
let origin = '';
const clients: Client[] = [];

interface AuditRow {
  action: string;
  actor: { kind: string; tokenId?: string };
  outcome: string;
  node?: string;
  capability?: string;
}
interface DispatchRow {
  dispatchId: string;
  capability: string;
  state: string;
  createdAt: string;
  deadlineAt: string;
}

/** A connected MCP client running `palyrad mcp` with these arguments and environment. */
async function connect(args: string[] = ['--state-dir', daemon.stateDir], env: Record<string, string> = {}): Promise<{ client: Client; stderr: () => string; errors: Error[] }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [PALYRAD, 'mcp', ...args],
    env: { ...stringEnv(process.env), ...stringEnv(TEST_ENV), PALYRA_STATE_DIR: '', PALYRA_PROFILE: '', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'palyra-e2e', version: '1.0.0' });
  // A line on stdout that is not a JSON-RPC message (a log, a banner) is reported here.
  const errors: Error[] = [];
  client.onerror = (error) => errors.push(error);
  clients.push(client);
  await client.connect(transport);
  return { client, stderr: () => stderr, errors };
}

function stringEnv(env: NodeJS.ProcessEnv | Readonly<NodeJS.ProcessEnv>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

async function mintToken(name: string, role: string, extra: string[] = []): Promise<{ token: string; id: string }> {
  return daemon.json<{ token: string; id: string }>('tokens', 'create', '--name', name, '--role', role, '--ttl', '1h', ...extra);
}

/** `palyrad mcp --daemon` as this token: the remote admin endpoint, the token in PALYRA_TOKEN. */
function asToken(token: string): Promise<{ client: Client; stderr: () => string; errors: Error[] }> {
  const adminTls = (daemon.ready as { adminTls?: string }).adminTls ?? '';
  return connect(['--daemon', adminTls], { PALYRA_TOKEN: token, PALYRA_CA_FINGERPRINT: daemon.ready.ca });
}

function structured(result: unknown): Record<string, unknown> {
  return (result as CallToolResult).structuredContent as Record<string, unknown>;
}

/** Resolves at the next notifications/tools/list_changed of `client`. */
function nextListChanged(client: Client): Promise<void> {
  return new Promise((resolveChanged) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolveChanged()));
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name);
}

beforeAll(async () => {
  base = await dirs.make('palyra-e2e-mcp-');
  daemon = await DaemonProcess.start(join(base, 'daemon'), ['--admin-listen', '127.0.0.1:0', '--quic-listen', 'off']);
  alphaRoot = join(base, 'alpha-root');
  const betaRoot = join(base, 'beta-root');
  await mkdir(alphaRoot);
  await mkdir(betaRoot);
  await writeFile(join(alphaRoot, 'hello.txt'), 'hello from alpha');
  const shell = (root: string): unknown => ({ use: 'shell', grants: { commands: ['sh'], roots: [root], timeoutMs: 120_000 } });
  site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>MCP page</title><h1>Seen through MCP</h1>'));
  await new Promise<void>((resolveListen) => site?.listen(0, '127.0.0.1', resolveListen));
  const address = site.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  const browser = { use: 'browser', grants: { allowUrls: ['http://127.0.0.1:*'], denyHosts: [daemon.ready.grpc], profilesDir: join(base, 'browser-profiles') } };
  const alphaConfig = await writeNodeConfig(base, { labels: { group: 'mcp' }, plugins: [{ use: 'filesystem', grants: { roots: [alphaRoot] } }, shell(alphaRoot), browser] }, 'alpha.json');
  const betaConfig = await writeNodeConfig(base, { labels: { group: 'mcp' }, plugins: [shell(betaRoot), { use: HELLO_PLUGIN, grants: { maxSleepMs: 10_000 }, capabilities: ['hello.greet'] }] }, 'beta.json');
  // One after the other: a new PIN replaces the previous one.
  alphaId = await pairNode(daemon, join(base, 'alpha'), 'alpha');
  betaId = await pairNode(daemon, join(base, 'beta'), 'beta');
  agents.push(...(await Promise.all([startAgent(join(base, 'alpha'), alphaConfig), startAgent(join(base, 'beta'), betaConfig)])));
}, E2E_HOOK_TIMEOUT_MS);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await stopProcesses();
  await new Promise<void>((resolveClose) => (site === undefined ? resolveClose() : site.close(() => resolveClose())));
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('palyrad mcp (stdio) with the real MCP client', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('palyrad tools list shows the mapping: name, capability, kind, plugins, nodes (text and JSON)', async () => {
    const listed = await daemon.json<Array<{ name: string; capability: string; kind: string; plugins: string[]; nodes: Array<{ deviceId: string; name: string; online: boolean }>; annotations: unknown; inputSchema: unknown }>>('tools', 'list');
    const shell = listed.find((t) => t.name === 'shell_exec');
    expect(shell).toMatchObject({ capability: 'shell.exec', kind: 'exec', plugins: ['shell'], annotations: { destructiveHint: true } });
    expect(shell?.nodes).toEqual([
      { deviceId: alphaId, name: 'alpha', online: true },
      { deviceId: betaId, name: 'beta', online: true },
    ]);
    expect(listed.find((t) => t.name === 'hello_greet')).toMatchObject({ capability: 'hello.greet', kind: 'read', plugins: ['hello'], nodes: [{ name: 'beta' }] });
    const text = await daemon.cli('tools', 'list');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^hello_greet\s+hello\.greet {2}read {2}hello {2}1 node \(1 online\): beta$/m);
    expect(text.stdout).toMatch(/^shell_exec\s+shell\.exec {2}exec {2}shell {2}2 nodes \(2 online\): alpha, beta$/m);
  });

  it('initializes, lists one tool per capability with target keys and annotations, and nothing but the protocol on stdout', async () => {
    const { client, errors } = await connect();
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
    expect(client.getServerVersion()?.name).toBe('palyrad');
    const { tools } = await client.listTools();
    const byName = new Map<string, Tool>(tools.map((t) => [t.name, t]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['fs_read', 'fs_write', 'fs_list', 'shell_exec', 'hello_greet']));
    const read = byName.get('fs_read')!;
    expect(read.annotations).toMatchObject({ title: 'fs.read', readOnlyHint: true, destructiveHint: false, openWorldHint: false });
    expect(read.description).toContain('plugin filesystem');
    expect(read.inputSchema.properties).toMatchObject({ path: expect.any(Object), node: { type: 'string' }, selector: { type: 'string' } });
    expect(byName.get('shell_exec')?.annotations).toMatchObject({ destructiveHint: true, readOnlyHint: false });
    expect(byName.get('fs_write')?.annotations?.destructiveHint).toBe(true);
    expect(errors).toEqual([]);
  });

  it('calls fs.read and shell.exec on one node by name and by device id; a bad target is an error result', async () => {
    const { client } = await connect();
    const read = await client.callTool({ name: 'fs_read', arguments: { node: 'alpha', path: 'hello.txt' } });
    expect(read.isError).toBe(false);
    expect(structured(read)).toMatchObject({ content: 'hello from alpha' });
    expect(JSON.parse((read.content as Array<{ type: string; text: string }>)[0]!.text)).toEqual(structured(read));

    const shell = await client.callTool({ name: 'shell_exec', arguments: { node: alphaId, command: 'sh', args: ['-c', 'echo "in $(basename "$PWD")"'] } });
    expect(shell.isError).toBe(false);
    expect(structured(shell)).toMatchObject({ exitCode: 0, stdout: 'in alpha-root\n' });

    const both = await client.callTool({ name: 'fs_read', arguments: { node: 'alpha', selector: 'group=mcp', path: 'hello.txt' } });
    expect(both.isError).toBe(true);
    expect(structured(both)).toMatchObject({ error: { code: 'PALYRA_E_TOOL_ARGUMENTS' } });
    const missing = await client.callTool({ name: 'fs_read', arguments: { node: 'no-such-node', path: 'hello.txt' } });
    expect(missing.isError).toBe(true);
    expect(structured(missing)).toMatchObject({ error: { code: 'PALYRA_E_NODE_NOT_FOUND' } });
    await expect(client.callTool({ name: 'no_such_tool', arguments: { node: 'alpha' } })).rejects.toThrow(/PALYRA_E_TOOL_UNKNOWN/);
  });

  it('exits 0 when stdin closes, and fails fast with PALYRA_E_DAEMON_UNREACHABLE and nothing on stdout when no daemon runs', async () => {
    const ended = await runBin(PALYRAD, ['mcp', '--state-dir', daemon.stateDir], {}, { stdin: '' });
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stdout).toBe('');
    const nowhere = await runBin(PALYRAD, ['mcp', '--state-dir', join(await dirs.make('palyra-e2e-mcp-none-'), 'state')], {}, { stdin: '' });
    expectErrorLine(nowhere, 'PALYRA_E_DAEMON_UNREACHABLE', 69);
    expect(nowhere.stdout).toBe('');
  });

  it('browser.screenshot: the PNG as image content, its base64 left out of the structured result', async () => {
    const { client } = await connect();
    const shot = await client.callTool({ name: 'browser_screenshot', arguments: { node: 'alpha', url: `${origin}/` } }, undefined, { timeout: 120_000 });
    expect(shot.isError, JSON.stringify(shot).slice(0, 500)).toBe(false);
    const content = shot.content as Array<{ type: string; text?: string; data?: string; mimeType?: string }>;
    expect(content.map((c) => c.type)).toEqual(['text', 'image']);
    expect(content[1]).toMatchObject({ mimeType: 'image/png', data: expect.stringMatching(/^iVBORw0KGgo/) });
    expect(structured(shot)).toMatchObject({ mimeType: 'image/png', bytes: expect.any(Number) });
    expect(structured(shot)).not.toHaveProperty('data');
    expect(content[0]!.text).not.toContain(content[1]!.data!.slice(0, 100));
  });

  it('fans out by selector: one result per node and a summary', async () => {
    const { client } = await connect();
    const result = await client.callTool({ name: 'shell_exec', arguments: { selector: 'group=mcp', command: 'sh', args: ['-c', 'basename "$PWD"'] } });
    expect(result.isError).toBe(false);
    const { results, summary } = structured(result) as { results: Array<{ node: string; deviceId: string; status: string; ok: boolean; output: { stdout: string } }>; summary: unknown };
    expect(summary).toEqual({ total: 2, succeeded: 2, failed: 0 });
    expect(results.map((r) => [r.node, r.deviceId, r.status, r.ok, r.output.stdout])).toEqual([
      ['alpha', alphaId, 'succeeded', true, 'alpha-root\n'],
      ['beta', betaId, 'succeeded', true, 'beta-root\n'],
    ]);
  });

  it('sends progress notifications (strictly increasing) for streamed output', async () => {
    const { client } = await connect();
    const seen: Progress[] = [];
    // Output written just before the command exits arrives with the result: the server's
    // ProgressBarrier makes the SDK client handle every notification before the result.
    const result = await client.callTool({ name: 'shell_exec', arguments: { node: 'alpha', command: 'sh', args: ['-c', 'for i in 1 2 3; do echo "line $i"; done'] } }, undefined, {
      onprogress: (p) => seen.push(p),
    });
    expect(structured(result)).toMatchObject({ exitCode: 0, stdout: 'line 1\nline 2\nline 3\n' });
    // The lines may come in one chunk or several, but all of them before the result.
    expect(seen.map((p) => p.message).join('')).toBe('line 1\nline 2\nline 3\n');
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress);
    // Without a progress token the server sends none (and the call works the same).
    expect(structured(await client.callTool({ name: 'shell_exec', arguments: { node: 'alpha', command: 'sh', args: ['-c', 'echo quiet'] } }))).toMatchObject({ stdout: 'quiet\n' });
  });

  it('cancelling the request cancels the dispatch on the node: it ends cancelled and its process is gone', async () => {
    const { client } = await connect();
    const controller = new AbortController();
    const started = new Promise<void>((resolveStarted) => {
      const call = client.callTool({ name: 'shell_exec', arguments: { node: 'alpha', command: 'sh', args: ['-c', 'echo $$ > cancel.pid; echo started; exec sleep 120'] } }, undefined, {
        signal: controller.signal,
        timeout: 180_000,
        onprogress: (p) => {
          if (p.message?.includes('started') === true) resolveStarted();
        },
      });
      void call.catch(() => undefined);
    });
    await started;
    const [pid] = await readPids(join(alphaRoot, 'cancel.pid'), 1);
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

  it("gives a dispatch the input's own timeoutMs plus the grace, not the daemon's 30 s default", async () => {
    const { client } = await connect();
    const result = await client.callTool({ name: 'shell_exec', arguments: { node: 'alpha', command: 'sh', args: ['-c', 'echo long'], timeoutMs: 90_000 } });
    expect(structured(result)).toMatchObject({ stdout: 'long\n' });
    const [row] = await daemon.json<DispatchRow[]>('dispatches', 'list', '--node', alphaId, '--limit', '1');
    expect(row?.capability).toBe('shell.exec');
    expect(Date.parse(row!.deadlineAt) - Date.parse(row!.createdAt)).toBe(90_000 + TIMEOUT_GRACE_MS);
  });

  it('sends list_changed when an agent with a new capability joins, and when it is removed', async () => {
    const { client } = await connect();
    expect(await toolNames(client)).not.toContain('hello_sleep');
    const gammaDir = join(base, 'gamma');
    const gammaConfig = await writeNodeConfig(base, { plugins: [{ use: HELLO_PLUGIN, grants: { maxSleepMs: 10_000 }, capabilities: ['hello.sleep'] }] }, 'gamma.json');
    const gammaId = await pairNode(daemon, gammaDir, 'gamma');
    const joined = nextListChanged(client);
    const gamma = await startAgent(gammaDir, gammaConfig);
    await joined;
    expect(await toolNames(client)).toContain('hello_sleep');
    // The capability's own progress events (ratio and message) as progress notifications.
    const seen: Progress[] = [];
    const slept = await client.callTool({ name: 'hello_sleep', arguments: { node: 'gamma', ms: 800 } }, undefined, { onprogress: (p) => seen.push(p) });
    expect(slept.isError).toBe(false);
    expect(seen.slice(0, 3).map((p) => p.message)).toEqual(['25% slept 200 ms', '50% slept 400 ms', '75% slept 600 ms']);

    const left = nextListChanged(client);
    const removed = await daemon.cli('nodes', 'remove', gammaId);
    expect(removed.code, removed.stderr).toBe(0);
    await left;
    expect(await toolNames(client)).not.toContain('hello_sleep');
    await gamma.stop();
  });

  it('a token without compat.tools.list sees no tool; without compat.tools.call every call is PALYRA_E_FORBIDDEN', async () => {
    // This one through a saved profile (auth login), as an operator's agent would use it.
    const bare = await mintToken('mcp-bare', 'operator', ['--permission', 'nodes.read,dispatch.invoke']);
    const configHome = await dirs.make('palyra-e2e-mcp-config-');
    const adminTls = (daemon.ready as { adminTls?: string }).adminTls ?? '';
    const login = await runBin(PALYRAD, ['auth', 'login', '--profile', 'bare', '--daemon', adminTls, '--ca-fingerprint', daemon.ready.ca], { XDG_CONFIG_HOME: configHome }, { stdin: `${bare.token}\n` });
    expect(login.code, login.stderr).toBe(0);
    const { client: bareClient } = await connect(['--profile', 'bare'], { XDG_CONFIG_HOME: configHome });
    expect((await bareClient.listTools()).tools).toEqual([]);
    const refused = await bareClient.callTool({ name: 'fs_read', arguments: { node: 'alpha', path: 'hello.txt' } });
    expect(refused.isError).toBe(true);
    expect(structured(refused)).toMatchObject({ error: { code: 'PALYRA_E_FORBIDDEN', details: { permission: 'compat.tools.call' } } });

    const viewer = await mintToken('mcp-viewer', 'viewer');
    const { client: viewerClient } = await asToken(viewer.token);
    expect(await toolNames(viewerClient)).toContain('fs_read');
    const viewerCall = await viewerClient.callTool({ name: 'fs_read', arguments: { node: 'alpha', path: 'hello.txt' } });
    expect(structured(viewerCall)).toMatchObject({ error: { code: 'PALYRA_E_FORBIDDEN', details: { permission: 'compat.tools.call' } } });

    // palyrad tools list refuses the token without compat.tools.list, and lists for the viewer.
    const refusedList = await runBin(PALYRAD, ['tools', 'list', '--profile', 'bare'], { XDG_CONFIG_HOME: configHome });
    expectErrorLine(refusedList, 'PALYRA_E_FORBIDDEN', 77);
    const viewerList = await runBin(PALYRAD, ['tools', 'list', '--json', '--daemon', adminTls], { PALYRA_TOKEN: viewer.token, PALYRA_CA_FINGERPRINT: daemon.ready.ca });
    expect(viewerList.code, viewerList.stderr).toBe(0);
    expect((JSON.parse(viewerList.stdout) as Array<{ name: string }>).map((t) => t.name)).toContain('fs_read');

    // Neither reached a node: no dispatch is audited for them.
    const audit = await daemon.json<AuditRow[]>('audit', '--action', 'dispatch');
    expect(audit.filter((e) => e.actor.tokenId === bare.id || e.actor.tokenId === viewer.id)).toEqual([]);
  });

  it('every call is audited with the token as the actor; scopes and node selectors are the daemon’s', async () => {
    const scoped = await mintToken('mcp-operator', 'operator', ['--scope', 'fs.*', '--nodes', 'name=alpha']);
    const { client } = await asToken(scoped.token);
    // The token's node selector hides beta: its tools and targets are alpha's only. Its scopes
    // (fs.*) hide the capabilities it may not dispatch: only what the token may do is listed.
    const names = await toolNames(client);
    expect(names).toContain('fs_read');
    expect(names).not.toContain('hello_greet');
    expect(names.filter((n) => !n.startsWith('fs_'))).toEqual([]);
    const adminTls = (daemon.ready as { adminTls?: string }).adminTls ?? '';
    const listed = await runBin(PALYRAD, ['tools', 'list', '--json', '--daemon', adminTls], { PALYRA_TOKEN: scoped.token, PALYRA_CA_FINGERPRINT: daemon.ready.ca });
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((t) => t.name).filter((n) => !n.startsWith('fs_'))).toEqual([]);
    // Calling an unlisted tool anyway is the daemon's to refuse, and to audit.
    const read = await client.callTool({ name: 'fs_read', arguments: { node: 'alpha', path: 'hello.txt' } });
    expect(structured(read)).toMatchObject({ content: 'hello from alpha' });
    const outOfScope = await client.callTool({ name: 'shell_exec', arguments: { node: 'alpha', command: 'sh', args: ['-c', 'true'] } });
    expect(outOfScope.isError).toBe(true);
    expect(structured(outOfScope)).toMatchObject({ error: { code: 'PALYRA_E_FORBIDDEN' } });

    const entries = await pollUntil(
      async () => {
        const rows = await daemon.json<AuditRow[]>('audit', '--actor', `token:${scoped.id}`);
        return rows.length >= 2 ? rows : undefined;
      },
      { what: 'the audit entries of both calls' },
    );
    // The call that ran is a dispatch entry; the one outside the token's scopes a refusal.
    expect(entries.map((e) => [e.action, e.actor.kind, e.actor.tokenId, e.node, e.capability, e.outcome])).toEqual([
      ['dispatch', 'token', scoped.id, alphaId, 'fs.read', 'succeeded'],
      ['auth.denied', 'token', scoped.id, alphaId, 'shell.exec', 'refused'],
    ]);
    const nodes = await daemon.json<NodeRow[]>('nodes', 'list');
    expect(nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['alpha', 'beta']));
  });
});
