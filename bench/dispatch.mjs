// bench/dispatch: (a) raw grpc-js bidi ping-pong over mTLS (128-byte payload) and (b) a full
// dispatch of bench.noop: ControlClient -> palyrad (spawned) -> palyra-node run (spawned) ->
// noop plugin -> result, measured in the same run; ratios to the baseline.
// Flags: --quick (fewer samples), --samples N, --duration MS.
import { pathToFileURL } from 'node:url';
import { startBaseline, measure } from './baseline.mjs';
import { cleanupAll, machine, parseArgs, pkgs, round, startAgentProcess, startDaemon, tempDir, writeResult } from './lib.mjs';

export async function runDispatch(opts = {}) {
  const quick = opts.quick ?? false;
  const cfg = {
    warmup: quick ? 50 : 200,
    sequential: Number(opts.samples ?? (quick ? 300 : 2000)),
    inFlight: [1, 10, 100],
    durationMs: Number(opts.duration ?? (quick ? 1500 : 5000)),
  };
  const result = { benchmark: 'dispatch', machine: machine(), config: { ...cfg, payloadBytes: 128 } };

  const baseline = await startBaseline(128);
  try {
    result.baseline = { what: 'raw @grpc/grpc-js bidi stream, mTLS (RSA 2048), 127.0.0.1, 128-byte Buffer echoed', ...(await measure(baseline.rtt, cfg)) };
  } finally {
    await baseline.close();
  }

  const { ControlClient } = await pkgs();
  const base = await tempDir('dispatch');
  const daemon = await startDaemon(`${base}/daemon`);
  const client = await ControlClient.connect(daemon.stateDir);
  try {
    const agent = await startAgentProcess(client, daemon.ready.grpc, base);
    const invoke = async () => {
      const r = await client.invokeAndWait({ deviceId: agent.deviceId, capability: 'bench.noop', input: {}, timeoutMs: 60_000 });
      if (r.status !== 'succeeded') throw new Error(`bench.noop ${r.status}: ${JSON.stringify(r.error)}`);
    };
    result.palyra = {
      what: 'ControlClient.invokeAndWait(bench.noop, {}) via admin socket -> palyrad -> palyra-node run (gRPC Session) -> noop plugin -> result',
      ...(await measure(invoke, { ...cfg, warmup: Math.min(cfg.warmup, 50), sequential: Math.round(cfg.sequential / 2) })),
    };
    // The same dispatch through the client's underlying generated AdminService stub, reading
    // the stream to its end instead of cancelling it once the result arrived (see the
    // RST_STREAM finding in docs/performance.md). Not a product API: a bench-side probe.
    const raw = client.client;
    const invokeDrained = () =>
      new Promise((resolve, reject) => {
        const call = raw.invoke({ deviceId: agent.deviceId, capability: 'bench.noop', inputJson: '{}', timeoutMs: 60_000, idempotencyKey: '' });
        let result;
        call.on('data', (m) => {
          if (m.result) result = m.result;
        });
        call.on('error', reject);
        call.on('status', (st) => (st.code === 0 && result ? resolve(result) : reject(new Error(`status ${st.code} ${st.details}, result ${JSON.stringify(result)}`))));
      });
    result.palyraDrained = {
      what: 'same dispatch, via the generated AdminService stub, stream read to its end (no client RST_STREAM)',
      ...(await measure(invokeDrained, { ...cfg, warmup: 20, sequential: Math.round(cfg.sequential / 2) })),
    };
    await agent.proc.stop();
  } finally {
    client.close();
    await daemon.proc.stop();
  }

  const b = result.baseline;
  const p = result.palyra;
  result.ratios = {
    medianRoundTrip: round(p.roundTripMs.median / b.roundTripMs.median, 2),
    p99RoundTrip: round(p.roundTripMs.p99 / b.roundTripMs.p99, 2),
    throughput: Object.fromEntries(p.throughput.map((t, i) => [`inFlight${t.inFlight}`, round(t.perSecond / b.throughput[i].perSecond, 4)])),
  };
  const d = result.palyraDrained;
  if (d) {
    result.ratiosDrained = {
      medianRoundTrip: round(d.roundTripMs.median / b.roundTripMs.median, 2),
      p99RoundTrip: round(d.roundTripMs.p99 / b.roundTripMs.p99, 2),
      throughput: Object.fromEntries(d.throughput.map((t, i) => [`inFlight${t.inFlight}`, round(t.perSecond / b.throughput[i].perSecond, 4)])),
    };
  }
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
