// Shared helpers for the benchmarks: temp dirs, a spawned palyrad, in-process pairing,
// a spawned palyra-node, statistics, results. Everything listens on 127.0.0.1 only.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PALYRAD = join(ROOT, 'daemon', 'bin', 'palyrad.js');
export const PALYRA_NODE = join(ROOT, 'agent', 'bin', 'palyra-node.js');
export const NOOP_PLUGIN = fileURLToPath(new URL('./fixtures/noop-plugin.js', import.meta.url));
export const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

/** Env for every child: no inherited Palyra settings, a file vault, quiet logs. */
export function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('PALYRA_')) delete env[key];
  return { ...env, PALYRA_VAULT: 'file', PALYRA_LOG_LEVEL: 'warn', NO_COLOR: '1', ...extra };
}

const cleanups = [];
export function onCleanup(fn) {
  cleanups.push(fn);
}
export async function cleanupAll() {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch {
      /* best effort */
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    void cleanupAll().finally(() => process.exit(130));
  });
}

export async function tempDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), `palyra-bench-${prefix}-`));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A child process with its output collected, waitFor(regex) and stop(). */
export function spawnNode(script, args, { env = childEnv(), label = script } = {}) {
  // BENCH_NODE_ARGS: node flags for every child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (not allowed in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = w.re.exec(out);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(m);
      }
    }
  };
  child.stdout.on('data', (d) => {
    out += d;
    check();
  });
  child.stderr.on('data', (d) => {
    err += d;
    if (err.length > 100_000) err = err.slice(-50_000);
  });
  let exited = false;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = true;
    for (const w of waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(`${label} exited (${code ?? signal}) before ${w.re}: ${err.slice(-2000)}`));
    }
    resolve({ code, signal });
  }));
  const proc = {
    child,
    pid: child.pid,
    get stdout() {
      return out;
    },
    get stderr() {
      return err;
    },
    get exited() {
      return exited;
    },
    exit,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const w = { re, resolve, reject, timer: setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`timeout waiting for ${re} from ${label}: ${err.slice(-2000)}`));
        }, timeoutMs) };
        if (exited) return reject(new Error(`${label} already exited`));
        waiters.push(w);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (exited) return exit;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const r = await exit;
      clearTimeout(timer);
      return r;
    },
  };
  onCleanup(() => proc.stop());
  return proc;
}

/** Starts `palyrad start --json` (another build's with `palyrad`) on 127.0.0.1:0 in a fresh state dir; QUIC off unless `extra` has a --quic-listen. */
export async function startDaemon(stateDir, extra = [], { palyrad = PALYRAD } = {}) {
  const quic = extra.includes('--quic-listen') ? [] : ['--quic-listen', 'off'];
  const proc = spawnNode(palyrad, ['start', '--state-dir', stateDir, '--listen', '127.0.0.1:0', ...quic, '--vault', 'file', '--json', '--log-level', 'warn', ...extra], { label: 'palyrad' });
  const [line] = await proc.waitFor(/^\{.*"event":"ready".*\}$/m, 120_000);
  const ready = JSON.parse(line);
  return { proc, ready, stateDir, pid: proc.pid };
}

let daemonPkg;
let agentPkg;
export async function pkgs() {
  daemonPkg ??= await import('@palyra/daemon');
  agentPkg ??= await import('@palyra/agent');
  return { ...daemonPkg, ...agentPkg };
}

/** Pairs one node in process (joinDaemon) and approves it through the ControlClient. */
export async function pairInProcess(client, grpcAddress, name, method = 'pin') {
  const { joinDaemon } = await pkgs();
  const code = await client.createPairingCode({ method });
  let secret = { method: 'pin', pin: code.code };
  if (method === 'qr') {
    const { parseQrUri } = await import('@palyra/shared/pairing');
    const qr = parseQrUri(code.uri);
    secret = { method: 'qr', codeId: qr.codeId, token: qr.token, caFingerprint: qr.caFingerprint };
  }
  let approval;
  const identity = await joinDaemon({
    daemonAddress: grpcAddress,
    secret,
    name,
    onConfirmed: ({ requestId }) => {
      approval = client.decide(requestId, true);
    },
  });
  await approval;
  return identity;
}

export async function writeNoopConfig(dir) {
  const path = join(dir, 'palyra-node.config.json');
  const config = {
    plugins: [
      { use: 'filesystem', enabled: false },
      { use: 'shell', enabled: false },
      { use: 'browser', enabled: false },
      { use: NOOP_PLUGIN },
    ],
  };
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/**
 * Pairs a node in process, stores its identity (first-slice file, migrated by `run`), spawns
 * `palyra-node run`; gRPC only unless `transportFallback` is 'auto' (QUIC health and events).
 */
export async function startAgentProcess(client, grpcAddress, baseDir, name = 'bench-node', { transportFallback = 'always' } = {}) {
  const { FileIdentityStore } = await pkgs();
  const nodeDir = join(baseDir, name);
  await mkdir(nodeDir, { recursive: true, mode: 0o700 });
  const identity = await pairInProcess(client, grpcAddress, name);
  await new FileIdentityStore(nodeDir).save(identity);
  const config = await writeNoopConfig(baseDir);
  const proc = spawnNode(PALYRA_NODE, ['run', '--state-dir', nodeDir, '--config', config, '--vault', 'file', '--transport-fallback', transportFallback], { label: 'palyra-node run' });
  await proc.waitFor(/^palyra-node ready device=\S+$/m, 60_000);
  return { proc, deviceId: identity.deviceId, identity };
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  const r = (x) => Math.round(x * 1000) / 1000;
  return { n: s.length, median: r(q(0.5)), p99: r(q(0.99)), min: r(s[0]), max: r(s[s.length - 1]), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

export const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Runs `fn` with `inFlight` concurrent loops for `durationMs`; returns ops/s. */
export async function throughput(fn, inFlight, durationMs) {
  let done = 0;
  let errors = 0;
  let firstError;
  const end = nowMs() + durationMs;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (nowMs() < end) {
        try {
          await fn();
          done += 1;
        } catch (error) {
          errors += 1;
          firstError ??= String(error?.message ?? error).slice(0, 300);
        }
      }
    }),
  );
  const elapsed = nowMs() - start;
  const out = { inFlight, ops: done, seconds: round(elapsed / 1000), perSecond: round((done * 1000) / elapsed, 1) };
  if (errors > 0) Object.assign(out, { errors, firstError });
  return out;
}

/** CPU time (user+system, ms) of a process from /proc/<pid>/stat. */
export function procCpuMs(pid) {
  if (pid === 'children') return childrenCpuMs();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  return (ticks * 1000) / 100; // CLK_TCK is 100 on Linux
}

/** CPU time (ms) so far of this process ("client") and of each process in `pids`. */
function cpuSnapshotMs(pids) {
  const u = process.cpuUsage();
  return { client: (u.user + u.system) / 1000, ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, procCpuMs(pid)])) };
}

/**
 * CPU time per operation (µs) of this process ("client") and of each process in `pids` while
 * `fn` runs `ops` times over `inFlight` concurrent loops. CPU per operation moves much less
 * than wall time on a loaded machine, so it says where the cost is even when latency is noisy.
 */
export async function cpuPerOp(fn, { ops, inFlight, pids }) {
  const read = () => cpuSnapshotMs(pids);
  const before = read();
  const t0 = nowMs();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < ops) await fn();
    }),
  );
  const wallMs = nowMs() - t0;
  const after = read();
  const perOp = Object.fromEntries(Object.keys(before).map((name) => [name, round(((after[name] - before[name]) * 1000) / ops, 0)]));
  const total = Object.values(perOp).reduce((a, b) => a + b, 0);
  return { inFlight, ops, wallUsPerOp: round((wallMs * 1000) / ops, 0), cpuUsPerOp: { ...perOp, total } };
}

/** CPU time (ms) of this process's children that have exited and been waited for (cutime + cstime). */
export function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // cutime, cstime (fields 16, 17)
}

/** RSS in bytes from /proc/<pid>/status. */
export function procRssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function machine() {
  return { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, loadavg: loadavg().map((x) => round(x, 2)), date: new Date().toISOString() };
}

export async function writeResult(name, result) {
  await mkdir(RESULTS, { recursive: true });
  const path = join(RESULTS, `${name}.json`);
  await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

export function parseArgs(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[a.slice(2)] = true;
    else {
      out[a.slice(2)] = next;
      i += 1;
    }
  }
  return out;
}

export { readFile, dirname };

/**
 * CPU time per operation (µs) of this process ("client") and of each process in `pids` with
 * `fn` started at a steady `rate` per second for `durationMs` (a new call every 1/rate s,
 * whatever is still in flight), like a caller that dispatches at a steady low rate. Reports
 * the most calls seen in flight at once. Idle costs (timers, keepalives) count per operation
 * here, which is the point: `idleCpu` gives them apart.
 */
export async function pacedCpuPerOp(fn, { rate, durationMs, pids }) {
  const read = () => cpuSnapshotMs(pids);
  const before = read();
  const t0 = nowMs();
  const total = Math.round((rate * durationMs) / 1000);
  let inFlight = 0;
  let maxInFlight = 0;
  const calls = [];
  for (let i = 0; i < total; i += 1) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - nowMs();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    calls.push(fn().finally(() => (inFlight -= 1)));
  }
  await Promise.all(calls);
  const wallMs = nowMs() - t0;
  const after = read();
  const perOp = Object.fromEntries(Object.keys(before).map((name) => [name, round(((after[name] - before[name]) * 1000) / total, 0)]));
  const sum = Object.values(perOp).reduce((a, b) => a + b, 0);
  return { rate, ops: total, maxInFlight, wallMs: round(wallMs, 0), cpuUsPerOp: { ...perOp, total: sum } };
}

/** CPU (ms per second of wall time) each process in `pids` and this one spend while nothing is asked of them. */
export async function idleCpu({ durationMs, pids }) {
  const read = () => cpuSnapshotMs(pids);
  const before = read();
  const t0 = nowMs();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const seconds = (nowMs() - t0) / 1000;
  const after = read();
  return { seconds: round(seconds, 1), cpuMsPerSecond: Object.fromEntries(Object.keys(before).map((name) => [name, round((after[name] - before[name]) / seconds, 2)])) };
}

let benchPostgres;
/**
 * `palyrad start` arguments for the store a benchmark runs on: none for SQLite (the default),
 * `--store URL` of a fresh database on a real PostgreSQL of the run's own (fsync on, as in
 * production) for `--store postgres`. The server is started once per process and stopped by
 * cleanupAll().
 */
export async function storeArgs(opts = {}) {
  if (opts.store === undefined || opts.store === 'sqlite') return [];
  if (opts.store !== 'postgres') throw new Error(`--store sqlite|postgres, not ${opts.store}`);
  if (benchPostgres === undefined) {
    const { startPostgres } = await import('../scripts/postgres-server.mjs');
    benchPostgres = startPostgres({ durable: true });
    onCleanup(async () => {
      const server = await benchPostgres;
      benchPostgres = undefined;
      await server.stop();
    });
  }
  return ['--store', await (await benchPostgres).createDatabase()];
}

/**
 * N valid registered-node records (what the registry's validation accepts), each with its own
 * device id, keys and certificate fingerprint; no certificate behind them: for benchmarks of
 * the registry's size, never for nodes that connect (bench/scale issues real certificates).
 */
export async function syntheticNodes(n) {
  const { randomBytes } = await import('node:crypto');
  const { newDeviceId } = await import(`${ROOT}shared/dist/ids/index.js`);
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    deviceId: newDeviceId(),
    name: `node-${i}`,
    platform: 'linux-x64',
    hostname: `host-${i}`,
    agentVersion: 'bench',
    capabilities: ['fs.read', 'fs.list', 'shell.exec'],
    labels: {},
    ed25519PublicKey: randomBytes(32).toString('base64'),
    x25519PublicKey: randomBytes(32).toString('base64'),
    certFingerprint: randomBytes(32).toString('hex'),
    certExpiresAt: new Date(now + 30 * 86_400_000).toISOString(),
    pairedAt: new Date(now).toISOString(),
    lastSeen: null,
  }));
}

/**
 * Creates the CA and writes N synthetic nodes as the state dir's node-runtime.v1.json (through
 * the daemon's own RuntimeStateStore, which validates them): the daemon imports it into its
 * store at first start.
 */
export async function seedSyntheticNodes(stateDir, n) {
  if (!(n > 0)) return;
  const { RuntimeStateStore, emptyRuntimeState } = await import(`${ROOT}daemon/dist/registry/index.js`);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  // Their CA first (the first slice's plaintext layout, moved into the vault at start): a state
  // dir with paired nodes and no CA is refused (PALYRA_E_VAULT_MISSING), rightly.
  const { createCa } = await import('./scale-seed.mjs');
  await createCa(stateDir);
  const store = await RuntimeStateStore.open({ stateDir });
  await store.save({ ...emptyRuntimeState(), nodes: await syntheticNodes(n) });
}
