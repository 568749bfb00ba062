// bench/remote-dispatch: what authentication and the audit log cost per dispatch (issue 16).
// Daemon CPU per dispatch (bench.noop, one ControlClient with its InvokeMany stream) from:
//   - local:  a client on the admin socket (the local owner; every dispatch audited);
//   - remote: a client on the remote admin endpoint (--admin-listen) with an operator token:
//             TLS, the token check, its rate limit and scope check, then the same audit entry;
//   - before: with --before-palyrad PATH (daemon/bin/palyrad.js of a build of an earlier
//             commit, e.g. 091125a, before issue 16), that build's daemon from its admin socket:
//             "today's local figure" without the gate and the audit log.
// Each configuration has its own daemon and agent (gRPC transport); the levels (100, 10 and
// 1 in flight, then paced at --rate per second) run in --rounds rounds, the configurations in
// a rotating order within each round, so that load from elsewhere on the machine falls on all
// of them alike; medians over the rounds are reported, with the ratios to `local` and `before`.
// Flags: --quick, --rounds N (default 3), --rate N (default 40), --seconds S (paced, default 5),
// --before-palyrad PATH, --store sqlite|postgres.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { cleanupAll, cpuPerOp, machine, pacedCpuPerOp, parseArgs, pkgs, round, startAgentProcess, startDaemon, stats, storeArgs, tempDir, writeResult } from './lib.mjs';

async function startConfig(name, opts, { palyrad } = {}) {
  const { ControlClient } = await pkgs();
  const base = await tempDir(`remote-dispatch-${name}`);
  const remote = name === 'remote';
  const daemon = await startDaemon(`${base}/daemon`, [...(remote ? ['--admin-listen', '127.0.0.1:0'] : []), ...(await storeArgs(opts))], palyrad === undefined ? {} : { palyrad });
  const local = await ControlClient.connect(daemon.stateDir);
  const agent = await startAgentProcess(local, daemon.ready.grpc, base, `bench-${name}`, { transportFallback: 'always' });
  let client = local;
  if (remote) {
    if (typeof daemon.ready.adminTls !== 'string') throw new Error('the daemon printed no adminTls address');
    // An operator token limited to the benchmark's capability: the scope check runs on every dispatch.
    const created = await local.createToken({ name: 'bench', role: 'operator', scopes: ['bench.*'], ratePerSecond: 100_000, burst: 200_000, ttlSeconds: 3600 });
    client = await ControlClient.connectRemote({ address: daemon.ready.adminTls, caFingerprint: daemon.ready.ca, token: created.token });
  }
  const invoke = async () => {
    const r = await client.invokeAndWait({ deviceId: agent.deviceId, capability: 'bench.noop', input: {}, timeoutMs: 60_000 });
    if (r.status !== 'succeeded') throw new Error(`${name}: bench.noop ${r.status}: ${JSON.stringify(r.error)}`);
  };
  return {
    name,
    invoke,
    pids: { daemon: daemon.pid, agent: agent.proc.pid },
    async stop() {
      if (client !== local) client.close();
      local.close();
      await agent.proc.stop();
      await daemon.proc.stop();
    },
  };
}

export async function runRemoteDispatch(opts = {}) {
  const quick = opts.quick ?? false;
  const cfg = {
    rounds: Number(opts.rounds ?? 3),
    warmup: quick ? 2000 : 5000,
    levels: quick ? [[100, 2000], [10, 800], [1, 300]] : [[100, 6000], [10, 2000], [1, 800]],
    rate: Number(opts.rate ?? 40),
    seconds: Number(opts.seconds ?? (quick ? 3 : 5)),
  };
  const before = typeof opts['before-palyrad'] === 'string' ? opts['before-palyrad'] : undefined;
  if (before !== undefined && !existsSync(before)) throw new Error(`--before-palyrad ${before}: no such file`);
  const configs = [];
  try {
    configs.push(await startConfig('local', opts), await startConfig('remote', opts));
    if (before !== undefined) configs.push(await startConfig('before', opts, { palyrad: before }));
    // Warm-up at 100 in flight: the JIT settles before anything is compared.
    for (const c of configs) await cpuPerOp(c.invoke, { ops: cfg.warmup, inFlight: 100, pids: c.pids });
    const samples = Object.fromEntries(configs.map((c) => [c.name, {}]));
    const note = (c, level, r) => (samples[c.name][level] ??= []).push(r.cpuUsPerOp.daemon);
    for (let round_ = 0; round_ < cfg.rounds; round_ += 1) {
      const order = configs.map((_, i) => configs[(i + round_) % configs.length]);
      for (const c of order) {
        for (const [inFlight, ops] of cfg.levels) note(c, `inFlight${inFlight}`, await cpuPerOp(c.invoke, { ops, inFlight, pids: c.pids }));
        note(c, `paced${cfg.rate}PerSecond`, await pacedCpuPerOp(c.invoke, { rate: cfg.rate, durationMs: cfg.seconds * 1000, pids: c.pids }));
      }
    }
    const daemonCpuUsPerDispatch = Object.fromEntries(
      Object.entries(samples).map(([name, levels]) => [name, Object.fromEntries(Object.entries(levels).map(([level, xs]) => [level, { median: stats(xs).median, runs: xs }]))]),
    );
    const ratio = (a, b) =>
      daemonCpuUsPerDispatch[a] === undefined || daemonCpuUsPerDispatch[b] === undefined
        ? undefined
        : Object.fromEntries(Object.keys(daemonCpuUsPerDispatch[a]).map((level) => [level, round(daemonCpuUsPerDispatch[a][level].median / daemonCpuUsPerDispatch[b][level].median, 2)]));
    const result = {
      benchmark: 'remote-dispatch',
      machine: machine(),
      config: { ...cfg, store: opts.store ?? 'sqlite', before: before ?? null },
      what: 'daemon CPU (user + system, all threads, µs) per bench.noop dispatch, median over rounds',
      daemonCpuUsPerDispatch,
      ratios: { remoteToLocal: ratio('remote', 'local'), localToBefore: ratio('local', 'before'), remoteToBefore: ratio('remote', 'before') },
      target: 'remote with a token under 1.10x the local figure (issue 16)',
    };
    await writeResult('remote-dispatch', result);
    return result;
  } finally {
    for (const c of configs.reverse()) await c.stop().catch(() => undefined);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseArgs();
  try {
    console.log(JSON.stringify(await runRemoteDispatch(args), null, 2));
  } finally {
    await cleanupAll();
  }
}
