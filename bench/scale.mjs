// bench/scale: N simulated nodes on one daemon, spread over worker processes (each node its
// own mTLS connection and Session stream). Reports time to register all, daemon RSS per
// node, a fan-out dispatch of bench.noop to all nodes, and time until SIGKILLed nodes
// (one worker's share) show offline. Flags: --nodes N (default 200), --workers W (default 2).
// Pairing the N nodes comes first and is not part of "register all" (see bench/pairing).
import { fork } from 'node:child_process';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { cleanupAll, machine, nowMs, onCleanup, parseArgs, pkgs, procRssBytes, round, startDaemon, stats, tempDir, writeResult } from './lib.mjs';

const WORKER = fileURLToPath(new URL('./scale-worker.mjs', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function runScale(opts = {}) {
  const nodes = Number(opts.nodes ?? 200);
  const workerCount = Math.max(1, Math.min(Number(opts.workers ?? 2), nodes));
  const { ControlClient } = await pkgs();
  const base = await tempDir('scale');
  const daemon = await startDaemon(`${base}/daemon`);
  const client = await ControlClient.connect(daemon.stateDir);
  const result = { benchmark: 'scale', machine: machine(), config: { nodes, workers: workerCount } };
  const workers = [];
  try {
    const rssIdle = procRssBytes(daemon.pid);
    // 1. Pair everyone (workers in parallel).
    const tPair = nowMs();
    for (let w = 0; w < workerCount; w += 1) {
      const count = Math.floor(nodes / workerCount) + (w < nodes % workerCount ? 1 : 0);
      const child = fork(WORKER, [JSON.stringify({ stateDir: daemon.stateDir, grpc: daemon.ready.grpc, count, index: w, dir: base })], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      const state = { child, count, devices: [], ready: new Set(), stderr: '', pairedAll: undefined, errors: [] };
      state.pairedAll = new Promise((resolve, reject) => {
        child.on('message', (m) => {
          if (m.type === 'paired') state.devices.push(m.deviceId);
          else if (m.type === 'paired-all') resolve();
          else if (m.type === 'ready') state.ready.add(m.deviceId);
          else if (m.type === 'agent-error') state.errors.push(m.message);
        });
        child.once('exit', (code) => reject(new Error(`scale worker ${w} exited ${code}: ${state.stderr.slice(-1500)}`)));
      });
      state.pairedAll.catch(() => {});
      child.stderr.on('data', (d) => {
        state.stderr = (state.stderr + d).slice(-20_000);
      });
      onCleanup(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      workers.push(state);
    }
    await Promise.all(workers.map((w) => w.pairedAll));
    result.pairing = { seconds: round((nowMs() - tPair) / 1000, 2), note: 'QR pairings, approved through ControlClient; not part of the register time' };
    const rssPaired = procRssBytes(daemon.pid);

    // 2. Connect all at once; time until the daemon lists every node online.
    const t0 = nowMs();
    for (const w of workers) w.child.send({ type: 'connect' });
    let online = 0;
    let agentsReadyMs;
    const deadline = t0 + Math.max(60_000, nodes * 200);
    for (;;) {
      const ready = workers.reduce((a, w) => a + w.ready.size, 0);
      if (agentsReadyMs === undefined && ready === nodes) agentsReadyMs = nowMs() - t0;
      const list = await client.listNodes();
      online = list.filter((n) => n.status === 'online').length;
      if (online >= nodes) break;
      if (nowMs() > deadline) break;
      await sleep(50);
    }
    const registerMs = nowMs() - t0;
    await sleep(1000);
    const rssOnline = procRssBytes(daemon.pid);
    result.register = { online, ofNodes: nodes, allOnlineSeconds: round(registerMs / 1000, 2), agentsReportedReadySeconds: agentsReadyMs === undefined ? null : round(agentsReadyMs / 1000, 2), how: 'from sending "connect" to the workers until AdminService.ListNodes shows all online (polled every 50 ms)' };
    result.daemonRss = {
      idleMiB: round(rssIdle / 2 ** 20, 1),
      afterPairingMiB: round(rssPaired / 2 ** 20, 1),
      allOnlineMiB: round(rssOnline / 2 ** 20, 1),
      perConnectedNodeKiB: round((rssOnline - rssPaired) / 1024 / nodes, 1),
      perNodeIncludingPairingStateKiB: round((rssOnline - rssIdle) / 1024 / nodes, 1),
      extrapolated10kNodesMiB: round((rssPaired + ((rssOnline - rssPaired) / nodes) * 10_000) / 2 ** 20, 0),
      extrapolationNote: 'RSS after pairing + 10,000 x the per-connected-node growth; the pairing-phase growth is mostly heap not yet collected and is left out',
      how: 'VmRSS of the palyrad process from /proc/<pid>/status',
    };

    // 3. Fan-out: bench.noop to every node at once through one ControlClient.
    const devices = workers.flatMap((w) => w.devices);
    const per = [];
    let failed = 0;
    let firstError;
    const tf = nowMs();
    await Promise.all(
      devices.map(async (deviceId) => {
        const t = nowMs();
        try {
          const r = await client.invokeAndWait({ deviceId, capability: 'bench.noop', input: {}, timeoutMs: 120_000 });
          if (r.status !== 'succeeded') throw new Error(`${r.status} ${JSON.stringify(r.error)}`);
          per.push(nowMs() - t);
        } catch (e) {
          failed += 1;
          firstError ??= String(e?.message ?? e).slice(0, 300);
        }
      }),
    );
    result.fanOut = { nodes: devices.length, allResultsInSeconds: round((nowMs() - tf) / 1000, 3), succeeded: per.length, failed, perDispatchMs: per.length > 0 ? stats(per) : null, ...(firstError ? { firstError } : {}) };

    // 4. SIGKILL one worker (its share of nodes); time until the daemon shows them offline.
    const victim = workers[0];
    const victimIds = new Set(victim.devices);
    const tk = nowMs();
    victim.child.kill('SIGKILL');
    let offline = 0;
    for (;;) {
      const list = await client.listNodes();
      offline = list.filter((n) => victimIds.has(n.deviceId) && n.status === 'offline').length;
      if (offline === victimIds.size || nowMs() - tk > 120_000) break;
      await sleep(50);
    }
    result.killedOffline = { killed: victimIds.size, shownOffline: offline, seconds: round((nowMs() - tk) / 1000, 3), how: 'SIGKILL of a worker process (the kernel closes its sockets); ListNodes polled every 50 ms' };
    result.agentErrors = workers.flatMap((w) => w.errors).slice(0, 5);
    result.targets = { tenThousandNodesUnder1GiB: { target: '< 1024 MiB at 10,000 nodes', measuredAt: nodes, extrapolatedMiB: result.daemonRss.extrapolated10kNodesMiB, met: nodes >= 10_000 ? rssOnline < 2 ** 30 : null, note: nodes >= 10_000 ? 'measured' : 'not measured at 10,000: linear extrapolation only' } };
  } finally {
    for (const w of workers) if (w.child.connected) w.child.disconnect();
    await sleep(800);
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    client.close();
    await daemon.proc.stop();
  }
  await writeResult('scale', result);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(JSON.stringify(await runScale(parseArgs()), null, 2));
  } finally {
    await cleanupAll();
  }
}
