// bench/scale: N simulated nodes on one daemon, each its own mTLS connection and Session
// stream, spread over worker processes, beside a raw grpc-js floor in the same run.
//   1. seed: the workers issue N node certificates with the daemon's CA (its own issuance
//      code, from dist) and the state file lists the N nodes as paired; no pairing runs
//      (bench/pairing measures that cost);
//   2. raw baseline: a bare grpc-js server with the daemon's node-server options and
//      credentials, the same N client connections each holding one bidi stream;
//   3. daemon: `palyrad start`; connect all (RegisterNode + Session), time until ListNodes
//      shows all online, RSS idle and all online; fan-out of bench.noop to every node; SIGKILL
//      one worker and time until its nodes show offline; `palyrad nodes list` at N nodes beside
//      `node -e 0`.
//   Fan-out (issue 17): time to all results, daemon CPU per node-dispatch and peak RSS during it,
//   beside the raw server writing one message down each of its N held streams (echoed back).
// Flags: --nodes N (default 1000), --workers W (default N/250, 2..16), --concurrency C
// (connection attempts in flight per worker, default 128/W), --no-baseline, --result NAME
// (bench/results/NAME.json; default scale).
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { PALYRAD, childEnv, cleanupAll, machine, nowMs, onCleanup, parseArgs, pkgs, procCpuMs, round, startDaemon, stats, storeArgs, tempDir, writeResult } from './lib.mjs';
import { createCa, generateKeyPool, writeSeededState } from './scale-seed.mjs';

const WORKER = fileURLToPath(new URL('./scale-worker.mjs', import.meta.url));
const BASELINE_SERVER = fileURLToPath(new URL('./scale-baseline-server.mjs', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MiB = 2 ** 20;
/** Lets a process settle (timers, GC) before its RSS is read. */
const SETTLE_MS = 1500;
/** RSA-2048 node keys shared by all simulated nodes (see generateKeyPool). */
const KEY_POOL_SIZE = 4;
/** Fan-out calls in flight on the one admin stream (the daemon allows 4,096 per InvokeMany stream). */
const FAN_OUT_IN_FLIGHT = 4000;

export async function runScale(opts = {}) {
  const nodes = Number(opts.nodes ?? 1000);
  const workerCount = Math.max(1, Math.min(Number(opts.workers ?? Math.min(16, Math.max(2, Math.ceil(nodes / 250)))), nodes));
  // ~128 connection attempts in flight in all: enough to keep the server busy; more only makes
  // each worker's event loop stall (keepalive pings then go unanswered) on this loaded machine.
  const concurrency = Number(opts.concurrency ?? Math.max(4, Math.floor(128 / workerCount)));
  const withBaseline = opts['no-baseline'] !== true && opts.baseline !== 'false';
  const base = await tempDir('scale');
  const stateDir = `${base}/daemon`;
  const result = {
    benchmark: 'scale',
    machine: machine(),
    config: { nodes, workers: workerCount, connectConcurrencyPerWorker: concurrency, fdLimit: fdLimit(), store: opts.store ?? 'sqlite' },
    registration: {
      how: 'seeded, not paired: the workers issue each node a certificate with the daemon CA (CertificateAuthority.signNodeCsr, the code an approval runs) and the state file lists the nodes as paired before palyrad starts; pairing cost is measured by bench/pairing',
      nodeKeys: `RSA-2048 (the only kind the daemon accepts in a CSR), a pool of ${KEY_POOL_SIZE} keys shared by all nodes; one certificate, serial and device id per node`,
    },
    simulatedNode: 'light: agent dist pieces only (daemon credentials, channel options + grpc.use_local_subchannel_pool, SessionDispatches); RegisterNode announcing bench.noop, then one Session stream; no plugin host, QUIC or health pings',
  };

  // 1. Seed.
  const tSeed = nowMs();
  const [{ server }, keyPool] = await Promise.all([createCa(stateDir), generateKeyPool(KEY_POOL_SIZE)]);
  const workers = [];
  const records = [];
  for (let w = 0; w < workerCount; w += 1) {
    const count = Math.floor(nodes / workerCount) + (w < nodes % workerCount ? 1 : 0);
    workers.push(startWorker(w, { stateDir, count, index: w, keyPool }, records));
  }
  try {
    await Promise.all(workers.map((w) => w.seeded));
    await writeSeededState(stateDir, records);
    result.seed = { seconds: round((nowMs() - tSeed) / 1000, 2), nodes: records.length };

    // 2. Raw baseline.
    if (withBaseline) {
      const raw = await startBaselineServer({ caCertPem: readFileSync(`${stateDir}/ca.crt`, 'utf8'), serverCertPem: server.certPem, serverKeyPem: server.keyPem });
      try {
        await sleep(SETTLE_MS);
        const idle = rss(raw.pid);
        const t = nowMs();
        const cpu0 = procCpuMs(raw.pid);
        const connected = await connectWorkers(workers, { address: `127.0.0.1:${raw.port}`, kind: 'raw', concurrency });
        const seconds = (nowMs() - t) / 1000;
        const cpuMs = procCpuMs(raw.pid) - cpu0;
        await sleep(SETTLE_MS);
        const all = rss(raw.pid);
        result.baseline = {
          what: 'bare @grpc/grpc-js server, the daemon node server options and credentials (same CA and server certificate), one bidi stream held per client connection',
          connected: connected.ready,
          failed: connected.failed,
          ...(connected.firstError ? { firstError: connected.firstError } : {}),
          allConnectedSeconds: round(seconds, 2),
          serverCpuMsPerConnection: round(cpuMs / nodes, 2),
          rssIdleMiB: round(idle.rss / MiB, 1),
          rssAllConnectedMiB: round(all.rss / MiB, 1),
          perConnectionKiB: round((all.rss - idle.rss) / 1024 / nodes, 1),
          perConnectionAnonKiB: round((all.anon - idle.anon) / 1024 / nodes, 1),
        };
        // The fan-out floor: one 64-byte message down every held stream, echoed back.
        const peak = peakRss(raw.pid);
        const cpuF = procCpuMs(raw.pid);
        const fanned = await raw.fanOut(64);
        const fanCpuMs = procCpuMs(raw.pid) - cpuF;
        result.baseline.fanOut = {
          what: 'one 64-byte message written down every held stream, each echoed back by its client: the relay of N messages without Palyra code',
          sent: fanned.sent,
          answered: fanned.answered,
          allResultsInSeconds: round(fanned.ms / 1000, 3),
          serverCpuUsPerMessage: round((fanCpuMs * 1000) / Math.max(1, fanned.sent), 1),
          peakRssMiB: round(peak.stop() / MiB, 1),
        };
        result.baseline.sessionsLostAndReconnected = await closeWorkers(workers);
      } finally {
        await raw.stop();
      }
    }

    // 3. The daemon. Every simulated node connects from 127.0.0.1: lift the per-address cap
    // (a real fleet comes from many addresses; the total cap still applies).
    const daemon = await startDaemon(stateDir, ['--max-connections-per-address', String(nodes + 1_000), ...(await storeArgs(opts))]);
    const { ControlClient } = await pkgs();
    const client = await ControlClient.connect(daemon.stateDir);
    // Each GetStatus walks every node: poll gently at large N so the probe does not load the daemon.
    const pollMs = Math.max(50, Math.round(nodes / 20));
    try {
      await sleep(SETTLE_MS);
      const idle = rss(daemon.pid);
      const t0 = nowMs();
      const cpu0 = procCpuMs(daemon.pid);
      let workersDone;
      const connecting = connectWorkers(workers, { address: daemon.ready.grpc, kind: 'daemon', concurrency }).then((answer) => (workersDone = answer));
      let online = 0;
      const deadline = t0 + Math.max(60_000, nodes * 100);
      for (;;) {
        online = (await client.status()).nodesOnline;
        // Nodes that failed to connect will never show: stop once every worker has answered.
        const expected = workersDone === undefined ? nodes : workersDone.ready;
        if (online >= expected || nowMs() > deadline) break;
        await sleep(pollMs);
      }
      const registerMs = nowMs() - t0;
      const registerCpuMs = procCpuMs(daemon.pid) - cpu0;
      const listedOnline = await countListed(client, (n) => n.status === 'online');
      const connected = await connecting;
      await sleep(SETTLE_MS);
      const all = rss(daemon.pid);
      result.register = {
        online,
        listedOnline,
        ofNodes: nodes,
        allOnlineSeconds: round(registerMs / 1000, 2),
        daemonCpuMsPerNode: round(registerCpuMs / nodes, 2),
        failed: connected.failed,
        ...(connected.firstError ? { firstError: connected.firstError } : {}),
        how: `from telling the workers to connect until AdminService.GetStatus counts all online (polled every ${pollMs} ms), then confirmed with ListNodes; daemon CPU from /proc/<pid>/stat over that time`,
      };
      result.daemonRss = {
        idleWithSeededNodesMiB: round(idle.rss / MiB, 1),
        allOnlineMiB: round(all.rss / MiB, 1),
        perConnectedNodeKiB: round((all.rss - idle.rss) / 1024 / nodes, 1),
        perConnectedNodeAnonKiB: round((all.anon - idle.anon) / 1024 / nodes, 1),
        extrapolated10kNodesMiB: round((idle.rss + ((all.rss - idle.rss) / nodes) * 10_000) / MiB, 0),
        how: 'VmRSS / RssAnon of the palyrad process from /proc/<pid>/status, idle (N nodes registered, none connected) and all online',
      };
      if (result.baseline) {
        result.ratios = {
          rssPerNodeDaemonToBaseline: round(result.daemonRss.perConnectedNodeKiB / result.baseline.perConnectionKiB, 2),
          cpuPerNodeDaemonToBaseline: round(result.register.daemonCpuMsPerNode / result.baseline.serverCpuMsPerConnection, 2),
          connectTimeDaemonToBaseline: round(result.register.allOnlineSeconds / result.baseline.allConnectedSeconds, 2),
        };
      }

      // Fan-out: bench.noop to every node through one ControlClient, at most FAN_OUT_IN_FLIGHT
      // at once: the daemon runs at most 4,096 calls per InvokeMany stream (a bound of issue 12).
      const devices = records.map((r) => r.deviceId);
      const per = [];
      let failed = 0;
      let firstError;
      const fanPeak = peakRss(daemon.pid);
      const fanCpu0 = procCpuMs(daemon.pid);
      const tf = nowMs();
      const fanOutOne = async (deviceId) => {
        const t = nowMs();
        try {
          const r = await client.invokeAndWait({ deviceId, capability: 'bench.noop', input: {}, timeoutMs: 120_000 });
          if (r.status !== 'succeeded') throw new Error(`${r.status} ${JSON.stringify(r.error)}`);
          per.push(nowMs() - t);
        } catch (e) {
          failed += 1;
          firstError ??= String(e?.message ?? e).slice(0, 300);
        }
      };
      let nextDevice = 0;
      await Promise.all(
        Array.from({ length: Math.min(FAN_OUT_IN_FLIGHT, devices.length) }, async () => {
          while (nextDevice < devices.length) {
            nextDevice += 1;
            await fanOutOne(devices[nextDevice - 1]);
          }
        }),
      );
      const fanSeconds = (nowMs() - tf) / 1000;
      const fanCpuMs = procCpuMs(daemon.pid) - fanCpu0;
      result.fanOut = {
        how: `bench.noop to every node through one ControlClient (InvokeMany, one request per node, at most ${FAN_OUT_IN_FLIGHT} in flight); switch to ControlClient.invokeMany({ selector }) once i17-fanout lands (the wire path is the same)`,
        nodes: devices.length,
        allResultsInSeconds: round(fanSeconds, 3),
        succeeded: per.length,
        failed,
        daemonCpuUsPerNodeDispatch: round((fanCpuMs * 1000) / Math.max(1, devices.length), 1),
        daemonPeakRssMiB: round(fanPeak.stop() / MiB, 1),
        perDispatchMs: per.length > 0 ? stats(per) : null,
        ...(firstError ? { firstError } : {}),
      };
      if (result.baseline?.fanOut) {
        result.ratios.fanOutTimeDaemonToBaseline = round(result.fanOut.allResultsInSeconds / result.baseline.fanOut.allResultsInSeconds, 1);
        result.ratios.fanOutCpuPerNodeDaemonToBaseline = round(result.fanOut.daemonCpuUsPerNodeDispatch / result.baseline.fanOut.serverCpuUsPerMessage, 1);
      }
      const afterFanOut = rss(daemon.pid);
      result.daemonRss.afterFanOutMiB = round(afterFanOut.rss / MiB, 1);
      result.nodesList = await timeNodesList(daemon.stateDir, nodes);

      result.register.sessionsLostAndReconnected = await lostSessions(workers);

      // SIGKILL one worker (its share of nodes); time until the daemon shows them offline.
      const victim = workers[0];
      const victimIds = new Set(victim.deviceIds);
      const tk = nowMs();
      victim.child.kill('SIGKILL');
      for (;;) {
        const stillOnline = (await client.status()).nodesOnline;
        if (stillOnline <= online - victimIds.size || nowMs() - tk > 120_000) break;
        await sleep(pollMs);
      }
      const offlineSeconds = (nowMs() - tk) / 1000;
      const offline = await countListed(client, (n) => victimIds.has(n.deviceId) && n.status === 'offline');
      result.killedOffline = { killed: victimIds.size, shownOffline: offline, seconds: round(offlineSeconds, 3), how: `SIGKILL of one worker process (the kernel closes its sockets); GetStatus polled every ${pollMs} ms until the online count fell by the killed share, then ListNodes confirmed which` };
      result.targets = {
        tenThousandNodesUnder1GiB: {
          target: '< 1024 MiB at 10,000 nodes',
          measuredAt: nodes,
          rssMiB: result.daemonRss.allOnlineMiB,
          extrapolatedMiB: result.daemonRss.extrapolated10kNodesMiB,
          met: nodes >= 10_000 ? all.rss < 2 ** 30 : null,
          note: nodes >= 10_000 ? 'measured' : 'not measured at 10,000: linear extrapolation only',
        },
      };
    } finally {
      client.close();
      await daemon.proc.stop();
    }
  } finally {
    for (const w of workers) if (w.child.connected) w.child.disconnect();
    await sleep(500);
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  }
  await writeResult(typeof opts.result === 'string' ? opts.result : opts.store === 'postgres' ? 'scale-postgres' : 'scale', result);
  return result;
}

/** Forks a worker; `seeded` resolves once it sent all its node records into `records`. */
function startWorker(index, args, records) {
  const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  child.send(args);
  const worker = { child, deviceIds: [], stderr: '', waiters: new Map() };
  const exited = new Promise((_resolve, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`scale worker ${index} exited (${code ?? signal}): ${worker.stderr.slice(-1500)}`))),
  );
  exited.catch(() => {});
  worker.exited = exited;
  worker.seeded = Promise.race([new Promise((resolve) => worker.waiters.set('seeded', resolve)), exited]);
  child.on('message', (m) => {
    if (m.type === 'records') {
      records.push(...m.records);
      worker.deviceIds.push(...m.records.map((r) => r.deviceId));
    }
    const waiter = worker.waiters.get(m.type);
    if (waiter) {
      worker.waiters.delete(m.type);
      waiter(m);
    }
  });
  child.stderr.on('data', (d) => {
    worker.stderr = (worker.stderr + d).slice(-20_000);
  });
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return worker;
}

function request(worker, message, reply) {
  const answer = Promise.race([new Promise((resolve) => worker.waiters.set(reply, resolve)), worker.exited]);
  worker.child.send(message);
  return answer;
}

async function connectWorkers(workers, message) {
  const answers = await Promise.all(workers.map((w) => request(w, { type: 'connect', ...message }, 'connected')));
  return {
    ready: answers.reduce((a, m) => a + m.ready, 0),
    failed: answers.reduce((a, m) => a + m.failed, 0),
    firstError: answers.find((m) => m.firstError)?.firstError,
  };
}

/** Closes every node; returns how many sessions were lost (and reconnected) while they were up. */
async function closeWorkers(workers) {
  const answers = await Promise.all(workers.map((w) => request(w, { type: 'close' }, 'closed')));
  return lostSummary(answers);
}

async function lostSessions(workers) {
  return lostSummary(await Promise.all(workers.map((w) => request(w, { type: 'lost' }, 'lost'))));
}

function lostSummary(answers) {
  const firstLost = answers.find((m) => m.firstLost)?.firstLost;
  return { count: answers.reduce((a, m) => a + m.lost, 0), ...(firstLost ? { first: firstLost } : {}) };
}

async function startBaselineServer(material) {
  const child = fork(BASELINE_SERVER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  child.send(material);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-5000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };
  onCleanup(stop);
  const port = await new Promise((resolve, reject) => {
    child.on('message', (m) => m.type === 'listening' && resolve(m.port));
    child.once('exit', (code) => reject(new Error(`baseline server exited (${code}): ${stderr}`)));
  });
  const fanOut = (bytes) =>
    new Promise((resolve) => {
      const onMessage = (m) => {
        if (m.type !== 'fannedOut') return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      child.send({ type: 'fanout', bytes });
    });
  return { pid: child.pid, port, stop, fanOut };
}

/** Samples a process's RSS every 20 ms until stop(), which returns the highest seen (bytes). */
function peakRss(pid) {
  let peak = rss(pid).rss;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rss(pid).rss);
    } catch {
      // the process is gone: keep what was seen
    }
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rss(pid).rss);
    },
  };
}

/**
 * Wall time of \`palyrad nodes list --json\` at N registered nodes (the CLI's start-up, the
 * ListNodes call, printing), beside \`node -e 0\` (Node's own start-up), median of 3 each.
 * Switch to \`nodes list -l SELECTOR\` (paged) once i17-labels lands.
 */
async function timeNodesList(stateDir, nodes) {
  const run = (args) =>
    new Promise((resolve, reject) => {
      const t = nowMs();
      const child = spawn(process.execPath, args, { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let bytes = 0;
      let err = '';
      child.stdout.on('data', (d) => (bytes += d.length));
      child.stderr.on('data', (d) => (err = (err + d).slice(-500)));
      child.on('exit', (code) => resolve({ ms: nowMs() - t, code, bytes, err }));
      child.on('error', reject);
    });
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const list = [];
  const bare = [];
  let last;
  for (let i = 0; i < 3; i += 1) {
    last = await run([PALYRAD, 'nodes', 'list', '--json', '--state-dir', stateDir]);
    list.push(last.ms);
    bare.push((await run(['-e', '0'])).ms);
  }
  return {
    nodes,
    command: 'palyrad nodes list --json (all nodes; -l SELECTOR once i17-labels lands)',
    exitCode: last.code,
    ...(last.code === 0 ? { outputBytes: last.bytes } : { error: last.err }),
    medianMs: round(median(list), 0),
    nodeDashEZeroMedianMs: round(median(bare), 0),
    ratioToNodeDashEZero: round(median(list) / median(bare), 1),
  };
}

/**
 * How many nodes ListNodes shows matching `test`, or why it could not say: its one answer
 * outgrows the 4 MiB gRPC message limit near 9,500 nodes (no paging in AdminService).
 */
async function countListed(client, test) {
  try {
    return (await client.listNodes()).filter(test).length;
  } catch (error) {
    return { error: String(error?.message ?? error).slice(0, 300) };
  }
}

/** VmRSS and RssAnon of a process, bytes. */
function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}

/** This process's open-file limit (children inherit it; Node raises the soft limit to the hard one). */
function fdLimit() {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const [soft, hard] = line?.split(/\s{2,}/).slice(1, 3) ?? [];
  return { soft: Number(soft), hard: Number(hard) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(JSON.stringify(await runScale(parseArgs()), null, 2));
  } finally {
    await cleanupAll();
  }
}
