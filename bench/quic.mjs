// bench/quic: a health ping through the real daemon, over QUIC and over gRPC, against a raw
// @matrixai/quic ping, in the same run. Columns:
//   (a) raw: bench/quic-raw-server.mjs (its own process) and a bare QUICClient with the same
//       TLS settings, one stream per ping, frames of the sizes node.health uses;
//   (b) palyra: what the agent does now on QUIC: QuicHealthStream.ping on one long-lived
//       node.health_stream stream (a ping frame up, a pong frame down) -> spawned palyrad;
//   (c) grpc: what the agent does now on gRPC: SessionHealth.ping, a `health` message on the
//       node's Session stream (opened by the agent's own NodeConnection) and its pong;
//   (d) palyraStreamPerPing (before): one-shot node.health on a new stream per ping
//       (request, result, rtt report, both sides ended), as HealthChannel did before;
//   (e) grpcUnary (before): the unary NodeService.Health RPC per ping, as the gRPC fallback did;
//   (f) rawLongStream, for comparison only (sequential only): the raw pair echoing on one
//       long-lived stream.
// Sequential samples are taken in interleaved rounds (raw, palyra, grpc, ..., raw, ...) so that
// load on the shared machine hits all columns alike; ratios are to the raw column, and
// newToBefore compares the new paths with the old ones. CPU per ping: this process (client)
// and the server process, from /proc. Throughput at N in flight: the long-stream column uses N
// health streams on the one connection (pings on one stream are sequential by design); the
// Session column has none (a node has one Session and pings it one at a time).
// Flags: --quick (~15 s of measuring, plus the daemon's start), --samples N (sequential per column), --duration MS (per level).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeCerts } from './baseline.mjs';
import { connectRawClient } from './quic-raw.mjs';
import { cleanupAll, machine, pairInProcess, nowMs, parseArgs, pkgs, procCpuMs, round, spawnNode, startDaemon, stats, tempDir, throughput, writeResult } from './lib.mjs';

const QUIC_CLIENT = new URL('../agent/dist/connection/quic/QuicDaemonClient.js', import.meta.url);
const HEALTH_CHANNEL = new URL('../agent/dist/connection/HealthChannel.js', import.meta.url);
const DAEMON_CREDENTIALS = new URL('../agent/dist/connection/daemonCredentials.js', import.meta.url);
const NODE_CONNECTION = new URL('../agent/dist/connection/NodeConnection.js', import.meta.url);
const SESSION_HEALTH = new URL('../agent/dist/connection/SessionHealth.js', import.meta.url);
const CLIENT_OPTIONS = new URL('../agent/dist/connection/clientOptions.js', import.meta.url);

export async function runQuic(opts = {}) {
  const quick = opts.quick ?? false;
  const cfg = {
    warmup: quick ? 10 : 100,
    sequential: Number(opts.samples ?? (quick ? 120 : 1000)),
    rounds: quick ? 3 : 10,
    // Well below the daemon's 64 streams (initialMaxStreamsBidi): at 32 in flight the raw pair
    // failed with "Stream limit of 0 has been reached" (stream credit comes back late).
    inFlight: quick ? [4] : [1, 4, 16],
    durationMs: Number(opts.duration ?? (quick ? 1000 : 3000)),
  };
  const result = { benchmark: 'quic', machine: machine(), config: cfg };
  const { QuicDaemonClient } = await import(QUIC_CLIENT);
  const { healthParams } = await import(HEALTH_CHANNEL);
  const { createDaemonCredentials } = await import(DAEMON_CREDENTIALS);
  const { CLIENT_CHANNEL_OPTIONS } = await import(CLIENT_OPTIONS);
  const { NodeConnection } = await import(NODE_CONNECTION);
  const { SessionHealth } = await import(SESSION_HEALTH);
  const { loadPalyraProto } = await import('@palyra/proto');
  const { parseHostPort } = await import('@palyra/shared/config');
  const { ControlClient } = await pkgs();

  // The frame sizes of one node.health exchange, for the raw pings.
  const requestBytes = Buffer.byteLength(JSON.stringify({ method: 'node.health', params: healthParams() }));
  const reportBytes = Buffer.byteLength(JSON.stringify({ rttMs: 1.2345678901234 }));
  result.config.frames = { requestPayloadBytes: requestBytes, reportPayloadBytes: reportBytes, lengthPrefixBytes: 4, streamPerPing: true };

  const t0 = nowMs();
  const phases = {};
  const lap = (name, since) => (phases[name] = round((nowMs() - since) / 1000, 1));
  const base = await tempDir('quic');
  // The daemon starts in its own process while openssl makes the raw pair's certificates.
  // The ping budget (10 per second per node) would refuse a benchmark's back-to-back pings.
  const starting = startDaemon(join(base, 'daemon'), ['--quic-listen', '127.0.0.1:0', '--health-pings-per-second', '1000000']);
  const certDir = join(base, 'raw-certs');
  mkdirSync(certDir);
  makeCerts(certDir);
  const read = (f) => readFileSync(join(certDir, f), 'utf8');
  const rawServer = spawnNode(fileURLToPath(new URL('./quic-raw-server.mjs', import.meta.url)), [certDir], { label: 'quic-raw-server' });
  const [rawReady] = await rawServer.waitFor(/^\{.*"event":"ready".*\}$/m, 60_000);
  const raw = await connectRawClient({ port: JSON.parse(rawReady).port, caPem: read('ca.pem'), certPem: read('client.pem'), keyPem: read('client.key'), requestBytes, reportBytes });

  const daemon = await starting;
  const control = await ControlClient.connect(daemon.stateDir);
  let quic;
  let grpcClient;
  const sessionStop = new AbortController();
  let sessionRun;
  try {
    const identity = await pairInProcess(control, daemon.ready.grpc, 'bench-quic');
    quic = await QuicDaemonClient.connect({ address: parseHostPort(daemon.ready.quic), credentials: identity, timeoutMs: 5_000 });
    const { NodeService } = loadPalyraProto();
    grpcClient = new NodeService(identity.daemonAddress, createDaemonCredentials(identity), CLIENT_CHANNEL_OPTIONS);

    // The agent's own gRPC connection (RegisterNode, then the Session stream) with no
    // capabilities; health pings ride its Session through SessionHealth.
    const sessionHealth = new SessionHealth();
    const noCapabilities = { capabilities: () => [], execute: async () => ({ status: 'rejected' }) };
    const connection = new NodeConnection(identity, noCapabilities, { sessionHealth });
    sessionRun = connection.run({ signal: sessionStop.signal }).catch(() => undefined);
    for (const deadline = Date.now() + 15_000; !sessionHealth.isOpen; ) {
      if (Date.now() > deadline) throw new Error('the bench node\'s Session did not open');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // A pool of node.health_stream streams: one per ping in flight.
    const idleStreams = [];
    const longStreamPing = async () => {
      const stream = idleStreams.pop() ?? (await quic.openHealthStream());
      const started = performance.now();
      const r = await stream.ping(healthParams());
      idleStreams.push(stream);
      return { totalMs: performance.now() - started, firstReplyMs: r.rttMs };
    };

    const columns = {
      raw: { server: rawServer.pid, fn: () => raw.ping() },
      palyra: { server: daemon.pid, fn: longStreamPing },
      grpc: {
        server: daemon.pid,
        fn: async () => {
          const started = performance.now();
          await sessionHealth.ping(healthParams());
          return { totalMs: performance.now() - started };
        },
      },
      palyraStreamPerPing: {
        server: daemon.pid,
        fn: async () => {
          const started = performance.now();
          const r = await quic.health(healthParams());
          return { totalMs: performance.now() - started, firstReplyMs: r.rttMs };
        },
      },
      grpcUnary: {
        server: daemon.pid,
        fn: async () => {
          const started = performance.now();
          await grpcHealth(grpcClient, identity.deviceId, healthParams());
          return { totalMs: performance.now() - started };
        },
      },
      rawLongStream: { server: rawServer.pid, fn: () => raw.pingLong() },
    };
    lap('setup', t0);
    const t1 = nowMs();
    const names = Object.keys(columns);
    const samples = Object.fromEntries(names.map((k) => [k, { totalMs: [], firstReplyMs: [], clientCpuMs: 0, serverCpuMs: 0 }]));
    for (const { fn } of Object.values(columns)) for (let i = 0; i < cfg.warmup; i += 1) await fn();
    const perRound = Math.ceil(cfg.sequential / cfg.rounds);
    for (let r = 0; r < cfg.rounds; r += 1) {
      for (const name of names) {
        const { fn, server } = columns[name];
        const into = samples[name];
        const cpu0 = process.cpuUsage();
        const server0 = procCpuMs(server);
        for (let i = 0; i < perRound; i += 1) {
          const s = await fn();
          into.totalMs.push(s.totalMs);
          if (s.firstReplyMs !== undefined) into.firstReplyMs.push(s.firstReplyMs);
        }
        const cpu = process.cpuUsage(cpu0);
        into.clientCpuMs += (cpu.user + cpu.system) / 1000;
        into.serverCpuMs += procCpuMs(server) - server0;
      }
    }
    const what = {
      raw: 'bare @matrixai/quic client -> raw echo server (own process), mTLS, ALPN palyra-node/1, verify callbacks; request echoed, report, both ends closed; new stream per ping',
      palyra: "QuicHealthStream.ping (the agent's QUIC health now) -> spawned palyrad serveHealthStream: a ping frame, a pong frame, on one long-lived node.health_stream stream",
      grpc: "SessionHealth.ping (the agent's gRPC health now): a health message on the node's Session stream (the agent's NodeConnection) and its pong, same palyrad",
      palyraStreamPerPing: 'before: one-shot node.health (QuicDaemonClient.health): request, result, rtt report, both ends closed; new stream per ping',
      grpcUnary: 'before: NodeService.Health unary RPC per ping (the old gRPC fallback), same palyrad, same node identity',
      rawLongStream: 'the raw pair echoing request frames on one long-lived stream (no stream open/close per ping)',
    };
    const hasThroughput = new Set(['raw', 'palyra', 'palyraStreamPerPing', 'grpcUnary']);
    for (const name of names) {
      const s = samples[name];
      const n = s.totalMs.length;
      result[name] = {
        what: what[name],
        roundTripMs: stats(s.totalMs),
        ...(s.firstReplyMs.length > 0 ? { firstReplyMs: stats(s.firstReplyMs) } : {}),
        cpuMsPerPing: { client: round(s.clientCpuMs / n), server: round(s.serverCpuMs / n) },
        ...(hasThroughput.has(name) ? { throughput: [] } : {}),
      };
    }
    lap('sequential', t1);
    const t2 = nowMs();
    for (const n of cfg.inFlight) {
      for (const name of hasThroughput) {
        result[name].throughput.push(await throughput(columns[name].fn, n, cfg.durationMs));
        // The pool's streams count against the daemon's 64 open streams: end them between levels.
        if (name === 'palyra') for (const stream of idleStreams.splice(0)) stream.close();
      }
    }
    lap('throughput', t2);
  } finally {
    const t3 = nowMs();
    grpcClient?.close();
    sessionStop.abort();
    await sessionRun;
    await quic?.close();
    await raw.close();
    control.close();
    await daemon.proc.stop();
    await rawServer.stop();
    lap('teardown', t3);
  }
  result.seconds = phases;

  const ratio = (name) => ({
    medianRoundTrip: round(result[name].roundTripMs.median / result.raw.roundTripMs.median, 2),
    p99RoundTrip: round(result[name].roundTripMs.p99 / result.raw.roundTripMs.p99, 2),
    cpuPerPing: {
      client: round(result[name].cpuMsPerPing.client / result.raw.cpuMsPerPing.client, 2),
      server: round(result[name].cpuMsPerPing.server / result.raw.cpuMsPerPing.server, 2),
    },
    ...(result[name].throughput === undefined
      ? {}
      : { throughput: Object.fromEntries(result[name].throughput.map((t, i) => [`inFlight${t.inFlight}`, round(t.perSecond / result.raw.throughput[i].perSecond, 3)])) }),
  });
  result.ratios = {
    palyraToRaw: ratio('palyra'),
    grpcToRaw: ratio('grpc'),
    palyraStreamPerPingToRaw: ratio('palyraStreamPerPing'),
    grpcUnaryToRaw: ratio('grpcUnary'),
    rawLongStreamToRaw: ratio('rawLongStream'),
  };
  result.ratios.palyraToRaw.medianFirstReply = round(result.palyra.firstReplyMs.median / result.raw.firstReplyMs.median, 2);
  // The change itself: new path / old path, same run (below 1 is better).
  const newToBefore = (now, before) => ({
    daemonCpuPerPing: round(result[now].cpuMsPerPing.server / result[before].cpuMsPerPing.server, 2),
    clientCpuPerPing: round(result[now].cpuMsPerPing.client / result[before].cpuMsPerPing.client, 2),
    medianRoundTrip: round(result[now].roundTripMs.median / result[before].roundTripMs.median, 2),
  });
  result.newToBefore = { quic: newToBefore('palyra', 'palyraStreamPerPing'), grpc: newToBefore('grpc', 'grpcUnary') };
  await writeResult('quic', result);
  return result;
}

function grpcHealth(client, deviceId, p) {
  return new Promise((resolve, reject) => {
    client.Health(
      {
        deviceId,
        sentAtMs: String(p.sentAtMs),
        agentVersion: p.agentVersion,
        uptimeSec: p.uptimeSec,
        loadAvg: p.loadAvg,
        memoryTotalBytes: String(p.memory.totalBytes),
        memoryFreeBytes: String(p.memory.freeBytes),
        memoryRssBytes: String(p.memory.rssBytes),
        lastRttMs: 0,
      },
      { deadline: Date.now() + 10_000 },
      (error) => (error ? reject(error) : resolve()),
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseArgs();
  try {
    const result = await runQuic({ quick: args.quick === true, samples: args.samples, duration: args.duration });
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await cleanupAll();
  }
}
