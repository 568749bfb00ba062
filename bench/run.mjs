// `npm run bench`: quick versions of every benchmark, one after another (each starts and
// stops its own daemon, agents and servers, in temp dirs, on 127.0.0.1). Writes
// bench/results/<name>.json and bench/results/summary.json, prints the summary as JSON.
// Flags: --only dispatch,quic,cli,pairing,renewal,remote-dispatch,audit,scale,store,tools   --nodes N (scale, default 300 here, ~30 s on
// the loaded 2-core machine, where the simulated nodes' TLS handshakes share the cores with the
// daemon; bench/scale.mjs alone defaults to 1,000, ~90 s)
import { runAudit } from './audit.mjs';
import { runCli } from './cli.mjs';
import { runDispatch } from './dispatch.mjs';
import { cleanupAll, machine, nowMs, parseArgs, round, writeResult } from './lib.mjs';
import { runPairing } from './pairing.mjs';
import { runQuic } from './quic.mjs';
import { runRemoteDispatch } from './remote-dispatch.mjs';
import { runRenewal } from './renewal.mjs';
import { runScale } from './scale.mjs';
import { runStore } from './store.mjs';
import { runTools } from './tools.mjs';

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

await step('dispatch', () => runDispatch({ quick: true }), (r) => {
  const perSecond = (m) => Object.fromEntries(m.throughput.map((t) => [t.inFlight, t.perSecond]));
  const brief = (m) => ({ medianMs: m.roundTripMs.median, p99Ms: m.roundTripMs.p99, perSecond: perSecond(m), cpuUsPerOpAt100: m.cpuAt100InFlight.cpuUsPerOp });
  return {
    baseline: brief(r.baseline),
    baselineTwoHops: brief(r.baselineTwoHops),
    palyra: { ...brief(r.palyra), errors: Object.fromEntries(r.palyra.throughput.map((t) => [t.inFlight, t.errors ?? 0])) },
    palyraStreamPerCall: brief(r.palyraStreamPerCall),
    ratios: r.ratios,
    ratiosToTwoHops: r.ratiosToTwoHops,
    targets: r.targets,
  };
});
await step('quic', () => runQuic({ quick: true }), (r) => ({
  rawMedianMs: r.raw.roundTripMs.median,
  rawP99Ms: r.raw.roundTripMs.p99,
  palyraMedianMs: r.palyra.roundTripMs.median,
  palyraP99Ms: r.palyra.roundTripMs.p99,
  grpcSessionHealthMedianMs: r.grpc.roundTripMs.median,
  palyraStreamPerPingMedianMs: r.palyraStreamPerPing.roundTripMs.median,
  grpcUnaryHealthMedianMs: r.grpcUnary.roundTripMs.median,
  rawLongStreamMedianMs: r.rawLongStream.roundTripMs.median,
  cpuMsPerPing: Object.fromEntries(['raw', 'palyra', 'grpc', 'palyraStreamPerPing', 'grpcUnary', 'rawLongStream'].map((k) => [k, r[k].cpuMsPerPing])),
  perSecond: Object.fromEntries(['raw', 'palyra', 'palyraStreamPerPing', 'grpcUnary'].map((k) => [k, Object.fromEntries(r[k].throughput.map((t) => [t.inFlight, t.perSecond]))])),
  newToBefore: r.newToBefore,
  ratios: r.ratios,
}));
await step('cli', () => runCli({ runs: 11 }), (r) => ({ nodeBareMedianMs: r.nodeBare.wallMs.median, nodesListMedianMs: r.nodesList.wallMs.median, cliParseOnlyMedianMs: r.cliParseOnly.wallMs.median, importOnlyMedianMs: r.importDaemonIndex.wallMs.median, ratio: r.ratio, targets: r.targets }));
await step('pairing', () => runPairing({ pairings: 8 }), (r) => ({
  pinPerSecond: r.pin.pairingsPerSecond,
  pinDaemonCpuMs: r.pin.daemonCpuMsPerPairing,
  pinDaemonCpuByThread: r.pin.daemonCpuByThreadMsPerPairing,
  qrPerSecond: r.qr.pairingsPerSecond,
  qrDaemonCpuMs: r.qr.daemonCpuMsPerPairing,
  qrDaemonCpuByThread: r.qr.daemonCpuByThreadMsPerPairing,
  targets: r.targets,
}));
await step('renewal', () => runRenewal({ renewals: 30 }), (r) => ({
  daemonCpuMsPerRenewal: r.renewal.daemonCpuMsPerRenewal,
  rawCaSignatureCpuMs: r.baselines.rawCaSignatureCpuMs,
  qrPairingDaemonCpuMsMedian: r.baselines.qrPairingDaemonCpuMs.median,
  fleetProjection: { nodes: r.fleetProjection.nodes, renewalsPerSecond: r.fleetProjection.renewalsPerSecond, daemonCpuFraction: r.fleetProjection.daemonCpuFraction },
}));
await step('remote-dispatch', () => runRemoteDispatch({ quick: true, rounds: 1 }), (r) => ({
  daemonCpuUsPerDispatch: Object.fromEntries(Object.entries(r.daemonCpuUsPerDispatch).map(([name, levels]) => [name, Object.fromEntries(Object.entries(levels).map(([level, x]) => [level, x.median]))])),
  remoteToLocal: r.ratios.remoteToLocal,
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

await step('store', () => runStore({ nodes: '1000,10000', changes: 30, engines: 'sqlite,postgres' }), (r) => r.summary);

await step('audit', () => runAudit({ entries: 3000 }), (r) => r.summary);

await step('tools', () => runTools({ quick: true }), (r) => ({
  calls: Object.fromEntries(Object.entries(r.calls).map(([name, levels]) => [name, Object.fromEntries(Object.entries(levels).map(([level, m]) => [level, { medianMs: m.latencyMs.median, p95Ms: m.latencyMs.p95, daemonCpuUs: m.cpuUsPerCall.daemon, ...(m.cpuUsPerCall.palyradMcp === undefined ? {} : { palyradMcpCpuUs: m.cpuUsPerCall.palyradMcp }) }]))])),
  ratios: r.ratios,
  listing: r.listing.ratios,
}));

summary.totalSeconds = round((nowMs() - t0) / 1000, 1);
summary.machine.loadavgAtEnd = machine().loadavg;
await writeResult('summary', summary);
console.log(JSON.stringify(summary, null, 2));
process.exitCode = Object.keys(summary.errors).length > 0 ? 1 : 0;
