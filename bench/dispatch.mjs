// bench/dispatch: (a) raw grpc-js bidi ping-pong over mTLS (128-byte payload), one hop
// (client -> echo process) and two hops (client -> relay process -> echo process), and (b) a
// full dispatch of bench.noop: ControlClient -> palyrad (spawned) -> palyra-node run
// (spawned) -> noop plugin -> result, all in the same run; ratios to the baselines, and CPU
// per operation of every process at 100, 10 and 1 in flight (steadier than wall time on a busy machine).
// Flags: --quick (fewer samples), --samples N, --duration MS.
import { pathToFileURL } from 'node:url';
import { startBaseline, measure } from './baseline.mjs';
import { cleanupAll, cpuPerOp, machine, parseArgs, pkgs, round, startAgentProcess, startDaemon, tempDir, writeResult } from './lib.mjs';

const ratio = (a, b) => round(a / b, 2);

/**
 * Round trip and throughput of `rtt`, plus CPU per op of every process at 100, 10 and 1 in
 * flight (in that order, after the timing runs: on warm code; see bench/dispatch-cpu.mjs for
 * the paced and CLI cases).
 */
async function run(rtt, cfg, pids) {
  const timing = await measure(rtt, cfg);
  const cpu = await cpuPerOp(rtt, { ops: cfg.cpuOps, inFlight: 100, pids });
  const cpuByInFlight = [cpu];
  for (const inFlight of [10, 1]) cpuByInFlight.push(await cpuPerOp(rtt, { ops: Math.round(cfg.cpuOps / (inFlight === 1 ? 6 : 3)), inFlight, pids }));
  return { ...timing, cpuAt100InFlight: cpu, cpuByInFlight };
}

function ratios(p, b) {
  return {
    medianRoundTrip: ratio(p.roundTripMs.median, b.roundTripMs.median),
    p99RoundTrip: ratio(p.roundTripMs.p99, b.roundTripMs.p99),
    throughput: Object.fromEntries(p.throughput.map((t, i) => [`inFlight${t.inFlight}`, round(t.perSecond / b.throughput[i].perSecond, 3)])),
    cpuPerOp: ratio(p.cpuAt100InFlight.cpuUsPerOp.total, b.cpuAt100InFlight.cpuUsPerOp.total),
  };
}

export async function runDispatch(opts = {}) {
  const quick = opts.quick ?? false;
  const cfg = {
    warmup: quick ? 100 : 300,
    sequential: Number(opts.samples ?? (quick ? 400 : 2000)),
    inFlight: [1, 10, 100],
    durationMs: Number(opts.duration ?? (quick ? 1500 : 5000)),
    cpuOps: quick ? 3000 : 10000,
  };
  const result = { benchmark: 'dispatch', machine: machine(), config: { ...cfg, payloadBytes: 128 } };

  for (const hops of [1, 2]) {
    const baseline = await startBaseline(128, { hops });
    try {
      result[hops === 1 ? 'baseline' : 'baselineTwoHops'] = {
        what:
          hops === 1
            ? 'raw @grpc/grpc-js bidi stream, mTLS (RSA 2048), 127.0.0.1, 128-byte Buffer echoed by another process'
            : 'the same through a relay process: client -> relay -> echo, each hop its own mTLS connection (a dispatch\'s shape, no Palyra code)',
        ...(await run(baseline.rtt, cfg, baseline.pids)),
      };
    } finally {
      await baseline.close();
    }
  }

  const { ControlClient } = await pkgs();
  const base = await tempDir('dispatch');
  const daemon = await startDaemon(`${base}/daemon`);
  const client = await ControlClient.connect(daemon.stateDir);
  try {
    const agent = await startAgentProcess(client, daemon.ready.grpc, base);
    const pids = { daemon: daemon.pid, agent: agent.proc.pid };
    const invoke = async () => {
      const r = await client.invokeAndWait({ deviceId: agent.deviceId, capability: 'bench.noop', input: {}, timeoutMs: 60_000 });
      if (r.status !== 'succeeded') throw new Error(`bench.noop ${r.status}: ${JSON.stringify(r.error)}`);
    };
    result.palyra = {
      what: 'ControlClient.invokeAndWait(bench.noop, {}): admin socket (one InvokeMany stream) -> palyrad -> palyra-node run (gRPC Session) -> noop plugin -> result',
      ...(await run(invoke, cfg, pids)),
    };
    // The same dispatch as one AdminService.Invoke call (a new HTTP/2 stream per dispatch,
    // read to its end), which is what the client did before InvokeMany: the per-call cost.
    const grpc = await import('@grpc/grpc-js');
    const { loadPalyraProto } = await import('@palyra/proto');
    const stub = new (loadPalyraProto().AdminService)(`unix://${client.socketPath}`, grpc.credentials.createInsecure());
    const invokePerCall = () =>
      new Promise((resolve, reject) => {
        const call = stub.invoke({ deviceId: agent.deviceId, capability: 'bench.noop', inputJson: '{}', timeoutMs: 60_000, idempotencyKey: '' });
        let done;
        call.on('data', (m) => {
          if (m.result) done = m.result;
        });
        call.on('error', reject);
        call.on('status', (st) => (st.code === 0 && done?.status === 'succeeded' ? resolve(done) : reject(new Error(`status ${st.code} ${st.details}, result ${JSON.stringify(done)}`))));
      });
    result.palyraStreamPerCall = {
      what: 'the same dispatch as one AdminService.Invoke server-streaming call each (a new HTTP/2 stream per dispatch)',
      ...(await run(invokePerCall, { ...cfg, warmup: 50 }, pids)),
    };
    stub.close();
    await agent.proc.stop();
  } finally {
    client.close();
    await daemon.proc.stop();
  }

  result.ratios = ratios(result.palyra, result.baseline);
  result.ratiosToTwoHops = ratios(result.palyra, result.baselineTwoHops);
  result.ratiosStreamPerCall = ratios(result.palyraStreamPerCall, result.baseline);
  result.targets = {
    roundTripWithin1_3xBaseline: { target: '<= 1.3', actual: result.ratios.medianRoundTrip, met: result.ratios.medianRoundTrip <= 1.3 },
    throughput100InFlightAtLeast0_8x: { target: '>= 0.8', actual: result.ratios.throughput.inFlight100, met: result.ratios.throughput.inFlight100 >= 0.8 },
  };
  await writeResult('dispatch', result);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseArgs();
  try {
    console.log(JSON.stringify(await runDispatch(args), null, 2));
  } finally {
    await cleanupAll();
  }
}
