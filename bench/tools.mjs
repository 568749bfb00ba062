// bench/tools: what the tools layer of issue 18 costs per call, beside the raw admin API in the
// same run. One real daemon (with --admin-listen and an operator token) and one real agent
// (filesystem plugin, gRPC transport) on 127.0.0.1; every path runs the same small fs.read
// (a 64-byte file) on that node:
//   - baseline:   ControlClient.invokeAndWait on the admin socket (the local owner);
//   - remoteGrpc: ControlClient.connectRemote with the token (TLS + gRPC on --admin-listen),
//                 the baseline of "a remote caller with a token";
//   - mcpStdio:   the MCP SDK Client's tools/call through `palyrad mcp` (StdioClientTransport,
//                 a child process that talks to the admin socket);
//   - mcpHttp:    the MCP SDK Client's tools/call over Streamable HTTP on /mcp (one session);
//   - openAi:     POST /v1/tool_calls with one tool call (keep-alive HTTPS connections).
// For each: per-call wall latency (median, p95) and CPU per call of the daemon (all threads;
// for mcpStdio also of the `palyrad mcp` process), sequentially and with 8 in flight, in
// --rounds rounds with the paths in a rotating order (load from elsewhere falls on all alike).
// Then tools/list with a second real agent announcing --capabilities N (bench/fixtures/
// many-plugin.js) beside ListNodes (what the catalog is built from), and POST /v1/tool_calls
// again with that larger catalog (it rebuilds the catalog per request).
// Flags: --quick, --rounds N (default 2), --capabilities N (default 200, 0 to skip the listing),
// --paths remoteGrpc,mcpStdio,mcpHttp,openAi (a subset; the baseline always runs).
/* global Request, Headers, Response */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { PALYRAD, PALYRA_NODE, childEnv, cleanupAll, machine, nowMs, pairInProcess, parseArgs, pkgs, procCpuMs, round, spawnNode, startDaemon, tempDir, writeResult } from './lib.mjs';

const MANY_PLUGIN = new URL('./fixtures/many-plugin.js', import.meta.url).pathname;
const FILE_TEXT = 'palyra bench: a small file that fs.read returns whole, 64 bytes.\n'.slice(0, 64);

/** Median, p95, p99 (ms) of latency samples. */
function latency(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { n: s.length, median: round(q(0.5)), p95: round(q(0.95)), p99: round(q(0.99)), min: round(s[0]), max: round(s[s.length - 1]) };
}

/**
 * Runs `fn` `ops` times over `inFlight` concurrent loops: each call's wall time, calls per
 * second, and CPU per call (µs, user + system, all threads) of each process in `pids` and of
 * this one ("client").
 */
async function measure(fn, { ops, inFlight, pids }) {
  const cpu = () => {
    const u = process.cpuUsage();
    return { client: (u.user + u.system) / 1000, ...Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuMs(pid)])) };
  };
  const samples = [];
  const before = cpu();
  const t0 = nowMs();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < ops) {
        const t = nowMs();
        await fn();
        samples.push(nowMs() - t);
      }
    }),
  );
  const wallMs = nowMs() - t0;
  const after = cpu();
  const cpuUsPerCall = Object.fromEntries(Object.keys(before).map((k) => [k, round(((after[k] - before[k]) * 1000) / ops, 0)]));
  return { ops, inFlight, perSecond: round((ops * 1000) / wallMs, 1), latencyMs: latency(samples), cpuUsPerCall };
}

/**
 * A fetch over HTTP/1.1 (ALPN) that trusts exactly the daemon's CA and checks its certificate
 * as Palyra clients do (the bench twin of test/helpers/tlsFetch.ts); keep-alive connections.
 */
async function tlsFetch(caPem) {
  const { DAEMON_TLS_NAME, checkDaemonCertificate } = await import('@palyra/shared/x509/daemonIdentity');
  const agent = new Agent({ ca: [caPem], keepAlive: true, servername: DAEMON_TLS_NAME, ALPNProtocols: ['http/1.1'], checkServerIdentity: (_host, cert) => checkDaemonCertificate(cert) });
  const fetch = (input, init = {}) =>
    new Promise((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      const headers = Object.fromEntries(new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined)).entries());
      const req = request(url, { method: init.method ?? 'GET', headers, agent, ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
        const status = res.statusCode ?? 500;
        const nullBody = status === 204 || status === 205 || status === 304;
        if (nullBody) res.resume();
        const out = new Headers();
        for (const [k, v] of Object.entries(res.headers)) for (const one of [v ?? []].flat()) out.append(k, one);
        resolve(new Response(nullBody ? null : Readable.toWeb(res), { status, headers: out }));
      });
      req.on('error', reject);
      req.end(init.body ?? undefined);
    });
  return { fetch, close: () => agent.destroy() };
}

/** Pairs a node in process and runs `palyra-node run` with `plugins` (gRPC transport). */
async function startAgent(client, grpcAddress, base, name, plugins, env = {}) {
  const { FileIdentityStore } = await pkgs();
  const nodeDir = join(base, name);
  await mkdir(nodeDir, { recursive: true, mode: 0o700 });
  const identity = await pairInProcess(client, grpcAddress, name);
  await new FileIdentityStore(nodeDir).save(identity);
  const config = join(base, `${name}.config.json`);
  await writeFile(config, `${JSON.stringify({ plugins: [{ use: 'shell', enabled: false }, { use: 'browser', enabled: false }, ...plugins] }, null, 2)}\n`);
  const proc = spawnNode(PALYRA_NODE, ['run', '--state-dir', nodeDir, '--config', config, '--vault', 'file', '--transport-fallback', 'always'], { label: `palyra-node ${name}`, env: childEnv(env) });
  await proc.waitFor(/^palyra-node ready device=\S+$/m, 60_000);
  return { proc, deviceId: identity.deviceId };
}

async function waitFor(what, check, timeoutMs = 30_000) {
  const end = nowMs() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (nowMs() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function checkToolResult(name, result) {
  const content = result.structuredContent?.content;
  if (result.isError || content !== FILE_TEXT) throw new Error(`${name}: fs_read answered ${JSON.stringify(result).slice(0, 500)}`);
}

export async function runTools(opts = {}) {
  const quick = opts.quick ?? false;
  const cfg = {
    rounds: Number(opts.rounds ?? 2),
    warmup: quick ? 60 : 150,
    sequential: quick ? 100 : 200,
    concurrent: quick ? 240 : 480,
    inFlight: 8,
    capabilities: Number(opts.capabilities ?? 200),
    listCalls: quick ? 40 : 60,
  };
  const { ControlClient } = await pkgs();
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');

  const base = await tempDir('tools');
  const daemon = await startDaemon(join(base, 'daemon'), ['--admin-listen', '127.0.0.1:0']);
  if (typeof daemon.ready.adminTls !== 'string') throw new Error('the daemon printed no adminTls address');
  const local = await ControlClient.connect(daemon.stateDir);
  const closers = [() => local.close()];
  try {
    const root = join(base, 'root');
    await mkdir(root);
    await writeFile(join(root, 'small.txt'), FILE_TEXT);
    const agent = await startAgent(local, daemon.ready.grpc, base, 'fs-node', [{ use: 'filesystem', grants: { roots: [root] } }]);
    await waitFor('the fs node online with fs.read', async () => (await local.listNodes()).some((n) => n.deviceId === agent.deviceId && n.status === 'online' && n.capabilities.includes('fs.read')));
    // An operator token (compat.tools.call, dispatch.invoke) with a rate the benchmark never reaches.
    const { token } = await local.createToken({ name: 'bench-tools', role: 'operator', ratePerSecond: 100_000, burst: 200_000, ttlSeconds: 3600 });
    const caPem = await readFile(join(daemon.stateDir, 'ca.crt'), 'utf8');
    const endpoint = `https://${daemon.ready.adminTls}`;
    const args = { node: agent.deviceId, path: 'small.txt' };

    const remote = await ControlClient.connectRemote({ address: daemon.ready.adminTls, caFingerprint: daemon.ready.ca, token });
    closers.push(() => remote.close());
    const invokeWith = (client, name) => async () => {
      const r = await client.invokeAndWait({ deviceId: agent.deviceId, capability: 'fs.read', input: { path: 'small.txt' }, timeoutMs: 60_000 });
      if (r.status !== 'succeeded' || r.output?.content !== FILE_TEXT) throw new Error(`${name}: fs.read ${r.status}: ${JSON.stringify(r.error ?? r.output)}`);
    };

    const stdioTransport = new StdioClientTransport({ command: process.execPath, args: [PALYRAD, 'mcp', '--state-dir', daemon.stateDir], env: childEnv(), stderr: 'pipe' });
    const stdio = new Client({ name: 'palyra-bench', version: '0.0.0' });
    await stdio.connect(stdioTransport);
    closers.push(() => stdio.close());
    const mcpPid = stdioTransport.pid;

    const httpFetch = await tlsFetch(caPem);
    closers.push(() => httpFetch.close());
    const authorization = `Bearer ${token}`;
    const http = new Client({ name: 'palyra-bench', version: '0.0.0' });
    await http.connect(new StreamableHTTPClientTransport(new URL(`${endpoint}/mcp`), { fetch: httpFetch.fetch, requestInit: { headers: { authorization } } }));
    closers.unshift(() => http.close());

    // As MCP clients do, list before calling: the server follows node events from its first listing on.
    for (const client of [stdio, http]) if (!(await client.listTools()).tools.some((t) => t.name === 'fs_read')) throw new Error('fs_read is not listed');
    const callMcp = (client, name) => async () => checkToolResult(name, await client.callTool({ name: 'fs_read', arguments: args }, undefined, { timeout: 60_000 }));
    let callId = 0;
    const postJson = async (path, body) => {
      const res = await httpFetch.fetch(`${endpoint}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { authorization, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}: ${text.slice(0, 500)}`);
      return JSON.parse(text);
    };
    const openAi = async () => {
      const id = `call_${(callId += 1)}`;
      const answer = await postJson('/v1/tool_calls', { tool_calls: [{ id, type: 'function', function: { name: 'fs_read', arguments: JSON.stringify(args) } }] });
      const message = answer.data?.[0];
      if (message?.tool_call_id !== id || JSON.parse(message.content).content !== FILE_TEXT) throw new Error(`openAi: ${JSON.stringify(answer).slice(0, 500)}`);
    };

    const pids = { daemon: daemon.pid, agent: agent.proc.pid };
    const allPaths = [
      { name: 'baseline', fn: invokeWith(local, 'baseline'), pids },
      { name: 'remoteGrpc', fn: invokeWith(remote, 'remoteGrpc'), pids },
      { name: 'mcpStdio', fn: callMcp(stdio, 'mcpStdio'), pids: { ...pids, palyradMcp: mcpPid } },
      { name: 'mcpHttp', fn: callMcp(http, 'mcpHttp'), pids },
      { name: 'openAi', fn: openAi, pids },
    ];
    // --paths baseline,mcpHttp: a subset (e.g. to profile one path); the baseline always runs.
    const only = typeof opts.paths === 'string' ? new Set(['baseline', ...opts.paths.split(',')]) : undefined;
    const paths = allPaths.filter((p) => only === undefined || only.has(p.name));
    const t0 = nowMs();
    for (const p of paths) await measure(p.fn, { ops: cfg.warmup, inFlight: cfg.inFlight, pids: p.pids });
    const runs = Object.fromEntries(paths.map((p) => [p.name, { sequential: [], inFlight8: [] }]));
    for (let r = 0; r < cfg.rounds; r += 1) {
      for (const p of paths.map((_, i) => paths[(i + r) % paths.length])) {
        runs[p.name].sequential.push(await measure(p.fn, { ops: cfg.sequential, inFlight: 1, pids: p.pids }));
        runs[p.name].inFlight8.push(await measure(p.fn, { ops: cfg.concurrent, inFlight: cfg.inFlight, pids: p.pids }));
      }
    }
    const callSeconds = round((nowMs() - t0) / 1000, 1);
    // Per path and level: the median over rounds of each figure (latencies, calls/s, CPU per call).
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const summarize = (list) => ({
      latencyMs: { median: med(list.map((x) => x.latencyMs.median)), p95: med(list.map((x) => x.latencyMs.p95)) },
      perSecond: med(list.map((x) => x.perSecond)),
      cpuUsPerCall: Object.fromEntries(Object.keys(list[0].cpuUsPerCall).map((k) => [k, med(list.map((x) => x.cpuUsPerCall[k]))])),
    });
    const calls = Object.fromEntries(Object.entries(runs).map(([name, levels]) => [name, { sequential: summarize(levels.sequential), inFlight8: summarize(levels.inFlight8) }]));
    // "Server side" CPU per call: the daemon, plus the `palyrad mcp` process for stdio.
    const serverCpu = (name, level) => calls[name][level].cpuUsPerCall.daemon + (calls[name][level].cpuUsPerCall.palyradMcp ?? 0);
    const ratios = {};
    for (const name of paths.map((p) => p.name).filter((n) => n !== 'baseline')) {
      ratios[name] = Object.fromEntries(
        ['sequential', 'inFlight8'].map((level) => [
          level,
          {
            medianLatency: round(calls[name][level].latencyMs.median / calls.baseline[level].latencyMs.median, 2),
            p95Latency: round(calls[name][level].latencyMs.p95 / calls.baseline[level].latencyMs.p95, 2),
            daemonCpu: round(calls[name][level].cpuUsPerCall.daemon / calls.baseline[level].cpuUsPerCall.daemon, 2),
            serverCpu: round(serverCpu(name, level) / serverCpu('baseline', level), 2),
          },
        ]),
      );
    }

    let listing = { skipped: 'capabilities 0' };
    if (cfg.capabilities > 0) {
      const many = await startAgent(local, daemon.ready.grpc, base, 'many-node', [{ use: 'filesystem', enabled: false }, { use: MANY_PLUGIN }], { BENCH_MANY_CAPABILITIES: String(cfg.capabilities) });
      await waitFor(`the many-capabilities node online`, async () => (await local.listNodes()).some((n) => n.deviceId === many.deviceId && n.status === 'online'));
      const countBench = (names) => names.filter((n) => n.startsWith('bench_cap-')).length;
      // The MCP servers recompute their catalog on the node event (debounced): wait until they see it.
      await waitFor('the stdio MCP catalog', async () => countBench((await stdio.listTools()).tools.map((t) => t.name)) === cfg.capabilities);
      await waitFor('the HTTP MCP catalog', async () => countBench((await http.listTools()).tools.map((t) => t.name)) === cfg.capabilities);
      const listPids = { daemon: daemon.pid };
      const toolsOf = async (fn) => {
        const n = countBench(await fn());
        if (n !== cfg.capabilities) throw new Error(`listed ${n} bench tools, not ${cfg.capabilities}`);
      };
      const listPaths = [
        { name: 'baselineListNodes', fn: async () => toolsOf(async () => (await local.listNodes()).flatMap((n) => n.capabilities.map((c) => c.replaceAll('.', '_')))), pids: listPids },
        { name: 'mcpStdio', fn: async () => toolsOf(async () => (await stdio.listTools()).tools.map((t) => t.name)), pids: { ...listPids, palyradMcp: mcpPid } },
        { name: 'mcpHttp', fn: async () => toolsOf(async () => (await http.listTools()).tools.map((t) => t.name)), pids: listPids },
        { name: 'openAiGetTools', fn: async () => toolsOf(async () => (await postJson('/v1/tools')).data.map((t) => t.function.name)), pids: listPids },
      ];
      const lists = {};
      for (const p of listPaths) {
        await measure(p.fn, { ops: 5, inFlight: 1, pids: p.pids });
        const m = await measure(p.fn, { ops: cfg.listCalls, inFlight: 1, pids: p.pids });
        lists[p.name] = { latencyMs: { median: m.latencyMs.median, p95: m.latencyMs.p95 }, cpuUsPerCall: m.cpuUsPerCall };
      }
      const bytes = {
        mcp: Buffer.byteLength(JSON.stringify((await http.listTools()).tools)),
        openAi: Buffer.byteLength(JSON.stringify(await postJson('/v1/tools'))),
      };
      // /v1/tool_calls builds the catalog of every node the token sees per request: the same call with this catalog.
      await measure(openAi, { ops: 20, inFlight: 1, pids });
      const openAiLarge = await measure(openAi, { ops: cfg.sequential, inFlight: 1, pids });
      listing = {
        capabilities: cfg.capabilities,
        toolsListed: (await http.listTools()).tools.length,
        listingBytes: bytes,
        sequential: lists,
        ratios: Object.fromEntries(Object.keys(lists).filter((k) => k !== 'baselineListNodes').map((k) => [k, { medianLatency: round(lists[k].latencyMs.median / lists.baselineListNodes.latencyMs.median, 2), daemonCpu: round(lists[k].cpuUsPerCall.daemon / Math.max(1, lists.baselineListNodes.cpuUsPerCall.daemon), 2) }])),
        openAiToolCallWithThisCatalog: { latencyMs: { median: openAiLarge.latencyMs.median, p95: openAiLarge.latencyMs.p95 }, cpuUsPerCall: openAiLarge.cpuUsPerCall, toSmallCatalogDaemonCpu: calls.openAi === undefined ? null : round(openAiLarge.cpuUsPerCall.daemon / calls.openAi.sequential.cpuUsPerCall.daemon, 2) },
      };
      await many.proc.stop();
    }

    const result = {
      benchmark: 'tools',
      machine: machine(),
      config: cfg,
      what: 'fs.read of a 64-byte file on one real agent; latency = wall ms per call at the caller; CPU = µs (user + system, all threads) per call of the daemon, the agent, `palyrad mcp` (stdio) and the bench process (client); medians over rounds',
      callSeconds,
      calls,
      ratios,
      ratiosNote: 'each path / baseline (ControlClient on the admin socket), same level; serverCpu counts `palyrad mcp` with the daemon',
      listing,
    };
    await writeResult('tools', result);
    return result;
  } finally {
    for (const close of closers.reverse()) await Promise.resolve().then(close).catch(() => undefined);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseArgs();
  try {
    console.log(JSON.stringify(await runTools(args), null, 2));
  } finally {
    await cleanupAll();
  }
}
