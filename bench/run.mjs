// `npm run bench`: quick versions of every benchmark, one after another (each starts and
// stops its own daemon, agents and servers, in temp dirs, on 127.0.0.1). Writes
// bench/results/<name>.json and bench/results/summary.json, prints the summary as JSON.
// Flags: --only dispatch,cli,pairing,scale   --nodes N (scale, default 300 here, ~30 s on the
// loaded 2-core machine, where the simulated nodes' TLS handshakes share the cores with the
// daemon; bench/scale.mjs alone defaults to 1,000, ~90 s)
import { runCli } from './cli.mjs';
import { runDispatch } from './dispatch.mjs';
import { cleanupAll, machine, nowMs, parseArgs, round, writeResult } from './lib.mjs';
import { runPairing } from './pairing.mjs';
import { runScale } from './scale.mjs';

const args = parseArgs();
const only = typeof args.only === 'string' ? new Set(args.only.split(',')) : undefined;
const want = (name) => only === undefined || only.has(name);
const summary = { machine: machine(), results: {}, errors: {} };
const t0 = nowMs();

async function step(name, fn, pick) {
  if (!want(name)) return;
  const t = nowMs();
  try {
    const r = await fn();
    summary.results[name] = { seconds: round((nowMs() - t) / 1000, 1), ...pick(r) };
  } catch (error) {
    summary.errors[name] = String(error?.stack ?? error).slice(0, 2000);
  } finally {
    await cleanupAll();
  }
}

await step('dispatch', () => runDispatch({ quick: true }), (r) => ({
  baselineMedianMs: r.baseline.roundTripMs.median,
  baselineP99Ms: r.baseline.roundTripMs.p99,
  palyraMedianMs: r.palyra.roundTripMs.median,
  palyraP99Ms: r.palyra.roundTripMs.p99,
  baselinePerSecond: Object.fromEntries(r.baseline.throughput.map((t) => [t.inFlight, t.perSecond])),
  palyraPerSecond: Object.fromEntries(r.palyra.throughput.map((t) => [t.inFlight, t.perSecond])),
  palyraErrors: Object.fromEntries(r.palyra.throughput.map((t) => [t.inFlight, t.errors ?? 0])),
  drainedMedianMs: r.palyraDrained?.roundTripMs.median,
  drainedPerSecond: r.palyraDrained && Object.fromEntries(r.palyraDrained.throughput.map((t) => [t.inFlight, t.perSecond])),
  ratios: r.ratios,
  ratiosDrained: r.ratiosDrained,
  targets: r.targets,
}));
await step('cli', () => runCli({ runs: 11 }), (r) => ({ nodeBareMedianMs: r.nodeBare.wallMs.median, nodesListMedianMs: r.nodesList.wallMs.median, importOnlyMedianMs: r.importDaemonIndex.wallMs.median, ratio: r.ratio, targets: r.targets }));
await step('pairing', () => runPairing({ pairings: 8 }), (r) => ({
  pinPerSecond: r.pin.pairingsPerSecond,
  pinDaemonCpuMs: r.pin.daemonCpuMsPerPairing,
  pinDaemonCpuByThread: r.pin.daemonCpuByThreadMsPerPairing,
  qrPerSecond: r.qr.pairingsPerSecond,
  qrDaemonCpuMs: r.qr.daemonCpuMsPerPairing,
  qrDaemonCpuByThread: r.qr.daemonCpuByThreadMsPerPairing,
  targets: r.targets,
}));
await step('scale', () => runScale({ nodes: Number(args.nodes ?? 300) }), (r) => ({
  nodes: r.config.nodes,
  registration: r.registration.how,
  seedSeconds: r.seed.seconds,
  baseline: r.baseline,
  register: r.register,
  daemonRss: r.daemonRss,
  ratios: r.ratios,
  fanOut: r.fanOut,
  killedOffline: r.killedOffline,
  targets: r.targets,
}));

summary.totalSeconds = round((nowMs() - t0) / 1000, 1);
summary.machine.loadavgAtEnd = machine().loadavg;
await writeResult('summary', summary);
console.log(JSON.stringify(summary, null, 2));
process.exitCode = Object.keys(summary.errors).length > 0 ? 1 : 0;
