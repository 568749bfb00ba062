// bench/dispatch-cpu: CPU per dispatch (bench.noop) of every process at low and high
// concurrency, the figure of issue 13 item 12. CPU time, not wall time: it stays put on a
// machine loaded by other work, so ratios within one run are what to compare.
// - one long-lived ControlClient (one InvokeMany stream): 1, 10 and 100 in flight, and paced
//   at a steady --rate per second (default 40) for --seconds (default 10);
// - a `palyrad nodes invoke` process per dispatch (the CLI), sequential: its own CPU apart;
// - idle: what each process spends per second with nothing asked of it.
// Both transports of the node's health/events channel: gRPC only, and QUIC (the default); and
// the same levels on the raw grpc-js echo (bench/baseline.mjs, two hops: a dispatch's shape
// without Palyra code), the floor of what waking idle processes costs on this machine.
// Flags: --quick, --rate N, --seconds S, --cli N (CLI dispatches, default 10),
// --transport grpc|quic|both|none (none: the baseline only), --baseline off (skip the echo
// baseline, e.g. for old/new A/B runs of the daemon alone), --store sqlite|postgres (the daemon's
// store; postgres starts a server of the run's own, fsync on), --metrics on|off (the daemon with
// --metrics-listen, for the A/B of issue 17: results in dispatch-cpu-metrics-on|off.json).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startBaseline } from './baseline.mjs';
import { PALYRAD, ROOT, childEnv, cleanupAll, cpuPerOp, idleCpu, machine, pacedCpuPerOp, parseArgs, pkgs, round, startAgentProcess, startDaemon, storeArgs, tempDir, writeResult } from './lib.mjs';

/** The same levels and pacing on the raw grpc-js echo through a relay (no Palyra code). */
async function measureBaseline(cfg) {
  const baseline = await startBaseline(128, { hops: 2 });
  try {
    const { rtt, pids } = baseline;
    await cpuPerOp(rtt, { ops: cfg.warmup, inFlight: 100, pids });
    const out = { what: 'raw grpc-js bidi echo, client -> relay -> echo, 128 bytes, mTLS', inFlight: [] };
    for (const [inFlight, ops] of cfg.levels) out.inFlight.push(await cpuPerOp(rtt, { ops, inFlight, pids }));
    out.paced = await pacedCpuPerOp(rtt, { rate: cfg.rate, durationMs: cfg.seconds * 1000, pids });
    const at100 = out.inFlight.find((l) => l.inFlight === 100);
    const ratio = (x, name) => round(x.cpuUsPerOp[name] / at100.cpuUsPerOp[name], 2);
    out.ratiosTo100InFlight = Object.fromEntries(
      ['relay', 'echo', 'client'].map((name) => [
        name,
        { ...Object.fromEntries(out.inFlight.map((l) => [`inFlight${l.inFlight}`, ratio(l, name)])), [`paced${cfg.rate}PerSecond`]: ratio(out.paced, name) },
      ]),
    );
    return out;
  } finally {
    await baseline.close();
  }
}

/** Runs `palyrad nodes invoke` once; resolves when it exits 0. */
function cliInvoke(stateDir, deviceId) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PALYRAD, 'nodes', 'invoke', deviceId, 'bench.noop', '--input', '{}', '--json', '--state-dir', stateDir], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nodes invoke exited ${code}: ${out.slice(0, 500)}`))));
  });
}

async function measureTransport(transport, cfg, opts) {
  const { ControlClient } = await pkgs();
  const base = await tempDir(`dispatch-cpu-${transport}`);
  const daemon = await startDaemon(`${base}/daemon`, [...(transport === 'quic' ? ['--quic-listen', '127.0.0.1:0'] : []), ...(await storeArgs(opts)), ...(opts.metrics === 'on' ? ['--metrics-listen', '127.0.0.1:0'] : [])]);
  const client = await ControlClient.connect(daemon.stateDir);
  // What the daemon's CPU includes: since issue 14 every dispatch is journaled in its store
  // (SQLite in the state dir by default; --store postgres: a PostgreSQL of the run's own, fsync on).
  const out = {
    transport,
    metrics: opts.metrics === 'on' ? 'on (--metrics-listen, not scraped)' : 'off',
    journal: !existsSync(join(ROOT, 'daemon', 'src', 'dispatch', 'DispatchJournal.ts'))
      ? 'none (a daemon without the dispatch journal)'
      : opts.store === 'postgres'
        ? 'on: PostgreSQL (fsync on, synchronous_commit on)'
        : 'on: SQLite (WAL), every write synced (fdatasync) before it is reported done',
  };
  try {
    const agent = await startAgentProcess(client, daemon.ready.grpc, base, 'bench-node', { transportFallback: transport === 'quic' ? 'never' : 'always' });
    const pids = { daemon: daemon.pid, agent: agent.proc.pid };
    const invoke = async () => {
      const r = await client.invokeAndWait({ deviceId: agent.deviceId, capability: 'bench.noop', input: {}, timeoutMs: 60_000 });
      if (r.status !== 'succeeded') throw new Error(`bench.noop ${r.status}: ${JSON.stringify(r.error)}`);
    };
    // Warm up at 100 in flight first: the levels are compared on code the JIT has settled
    // (measured: run cold, the first level paid ~280 TurboFan compiles, ~200 µs per dispatch
    // on the daemon's helper threads, which read as a low-concurrency cost).
    await cpuPerOp(invoke, { ops: cfg.warmup, inFlight: 100, pids });
    for (let i = 0; i < 300; i += 1) await invoke();
    out.idle = await idleCpu({ durationMs: cfg.idleMs, pids });
    out.inFlight = [];
    for (const [inFlight, ops] of cfg.levels) out.inFlight.push(await cpuPerOp(invoke, { ops, inFlight, pids }));
    out.paced = await pacedCpuPerOp(invoke, { rate: cfg.rate, durationMs: cfg.seconds * 1000, pids });
    if (cfg.cli > 0) {
      // The CLI's own CPU is read from this process's reaped children (cutime + cstime).
      const cli = await cpuPerOp(() => cliInvoke(daemon.stateDir, agent.deviceId), { ops: cfg.cli, inFlight: 1, pids: { ...pids, cli: 'children' } });
      out.cliPerDispatch = cli;
    }
    const at100 = out.inFlight.find((l) => l.inFlight === 100);
    const ratio = (x, name) => round(x.cpuUsPerOp[name] / at100.cpuUsPerOp[name], 2);
    out.ratiosTo100InFlight = Object.fromEntries(
      ['daemon', 'agent', 'client'].map((name) => [
        name,
        { ...Object.fromEntries(out.inFlight.map((l) => [`inFlight${l.inFlight}`, ratio(l, name)])), [`paced${cfg.rate}PerSecond`]: ratio(out.paced, name) },
      ]),
    );
    await agent.proc.stop();
  } finally {
    client.close();
    await daemon.proc.stop();
  }
  return out;
}

export async function runDispatchCpu(opts = {}) {
  const quick = opts.quick ?? false;
  const cfg = {
    warmup: quick ? 3000 : 6000,
    idleMs: quick ? 2000 : 5000,
    levels: quick ? [[100, 3000], [10, 1000], [1, 500]] : [[100, 10000], [10, 3000], [1, 1500]],
    rate: Number(opts.rate ?? 40),
    seconds: Number(opts.seconds ?? (quick ? 5 : 10)),
    cli: Number(opts.cli ?? (quick ? 5 : 10)),
  };
  const transports = opts.transport === 'grpc' || opts.transport === 'quic' ? [opts.transport] : opts.transport === 'none' ? [] : ['grpc', 'quic'];
  const result = { benchmark: 'dispatch-cpu', machine: machine(), config: cfg, baselineTwoHops: opts.baseline === 'off' ? null : await measureBaseline(cfg), transports: [] };
  for (const t of transports) result.transports.push(await measureTransport(t, cfg, opts));
  const name = opts.metrics === 'on' || opts.metrics === 'off' ? `dispatch-cpu-metrics-${opts.metrics}` : opts.store === 'postgres' ? 'dispatch-cpu-postgres' : 'dispatch-cpu';
  await writeResult(name, result);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseArgs();
  try {
    console.log(JSON.stringify(await runDispatchCpu(args), null, 2));
  } finally {
    await cleanupAll();
  }
}
