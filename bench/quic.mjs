// bench/quic: node.health round trip over QUIC through the real daemon against a raw
// @matrixai/quic ping, in the same run, with gRPC Health as a third column.
//   (a) raw: bench/quic-raw-server.mjs (its own process) and a bare QUICClient with the same
//       TLS settings, one stream per ping, frames of the sizes node.health uses;
//   (b) palyra: spawned `palyrad start` with QUIC on, a node paired with the real join, and
//       the agent's own QUIC client (QuicDaemonClient.health: request, result, rtt report,
//       both sides ended, on a new stream per ping, as HealthChannel does);
//   (c) grpc: the unary NodeService.Health RPC the node falls back to, same daemon and node.
//   (d) rawLongStream, for comparison only (sequential only): the raw pair echoing on one
//       long-lived stream, which is what a stream per ping costs.
// Sequential samples are taken in interleaved rounds (raw, palyra, grpc, rawLongStream, raw,
// ...) so that load on the shared machine hits all columns alike; ratios are to the raw
// column. CPU per ping: this process (client) and the server process, from /proc.
// Flags: --quick (~10 s of measuring, plus the daemon's start), --samples N (sequential per column), --duration MS (per level).
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
  const starting = startDaemon(join(base, 'daemon'), ['--quic-listen', '127.0.0.1:0']);
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
  try {
    const identity = await pairInProcess(control, daemon.ready.grpc, 'bench-quic');
    quic = await QuicDaemonClient.connect({ address: parseHostPort(daemon.ready.quic), credentials: identity, timeoutMs: 5_000 });
    const { NodeService } = loadPalyraProto();
    grpcClient = new NodeService(identity.daemonAddress, createDaemonCredentials(identity), CLIENT_CHANNEL_OPTIONS);

    const columns = {
      raw: { server: rawServer.pid, fn: () => raw.ping() },
      palyra: {
        server: daemon.pid,
        fn: async () => {
          const started = performance.now();
          const r = await quic.health(healthParams());
          return { totalMs: performance.now() - started, firstReplyMs: r.rttMs };
        },
      },
      grpc: {
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
      palyra: "QuicDaemonClient.health (the agent's QUIC client) -> spawned palyrad serveNodeStream: request, result, rtt report, both ends closed; new stream per ping",
      grpc: "NodeService.Health unary RPC (the node's gRPC fallback) -> same palyrad, same node identity",
      rawLongStream: 'not what the product does: the raw pair echoing request frames on one long-lived stream (no stream open/close per ping)',
    };
    for (const name of names) {
      const s = samples[name];
      const n = s.totalMs.length;
      result[name] = {
        what: what[name],
        roundTripMs: stats(s.totalMs),
        ...(s.firstReplyMs.length > 0 ? { firstReplyMs: stats(s.firstReplyMs) } : {}),
        cpuMsPerPing: { client: round(s.clientCpuMs / n), server: round(s.serverCpuMs / n) },
        ...(name === 'rawLongStream' ? {} : { throughput: [] }),
      };
    }
    lap('sequential', t1);
    const t2 = nowMs();
    for (const n of cfg.inFlight) {
      for (const name of ['raw', 'palyra', 'grpc']) result[name].throughput.push(await throughput(columns[name].fn, n, cfg.durationMs));
    }
    lap('throughput', t2);
  } finally {
    const t3 = nowMs();
    grpcClient?.close();
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
  result.ratios = { palyraToRaw: ratio('palyra'), grpcToRaw: ratio('grpc'), rawLongStreamToRaw: ratio('rawLongStream') };
  result.ratios.palyraToRaw.medianFirstReply = round(result.palyra.firstReplyMs.median / result.raw.firstReplyMs.median, 2);
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
    await writeResult('quic', result);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await cleanupAll();
  }
}
