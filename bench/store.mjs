// bench/store: the cost of one registry change as the fleet grows, and the registry's memory,
// on SQLite (the default) and PostgreSQL (a real server of its own, fsync on), beside raw
// baselines in the same run:
//   - raw: one single-row upsert with the engine's own driver, durable (better-sqlite3 in WAL
//     with synchronous=FULL; pg on a server with fsync on), no Palyra code: the floor of a change;
//   - json: what a change cost before the store: validating and rewriting node-runtime.v1.json
//     (RuntimeStateStore.save of the whole state), at the same fleet size.
// For each engine and fleet size N (default 1,000, 10,000 and 50,000) a child process seeds N
// nodes (the seed import), opens the registry (load time, RSS), then times K changes of each
// kind: a pairing code minted, a node's announced info changed, lastSeen flushed, a node
// removed. CPU is process CPU (user + system) per change; wall time includes the fsync.
// Flags: --nodes 1000,10000,50000, --changes K (default 100), --engines sqlite,postgres.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { ROOT, cleanupAll, machine, onCleanup, parseArgs, round, syntheticNodes, tempDir, writeResult } from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const dist = (path) => import(`${ROOT}daemon/dist/${path}`);

export async function runStore(opts = {}) {
  const sizes = String(opts.nodes ?? '1000,10000,50000').split(',').map(Number);
  const changes = Number(opts.changes ?? 100);
  const engines = String(opts.engines ?? 'sqlite,postgres').split(',');
  const result = {
    benchmark: 'store',
    machine: machine(),
    config: { sizes, changes, engines },
    how: 'one child process per engine and size: seed N nodes (store seed import), NodeRegistry.open, then K changes of each kind; process CPU (user+system) and wall time per change; raw = one durable single-row upsert with the bare driver; json = the pre-store whole-file save at N nodes',
    runs: [],
  };
  let postgres;
  try {
    if (engines.includes('postgres')) {
      const { startPostgres } = await import('../scripts/postgres-server.mjs');
      postgres = await startPostgres({ durable: true });
    }
    for (const engine of engines) {
      for (const nodes of sizes) {
        const store = engine === 'postgres' ? await postgres.createDatabase() : 'sqlite';
        const run = await runChild({ engine, store, nodes, changes });
        result.runs.push(run);
        console.error(`store: ${engine} ${nodes} nodes: ${JSON.stringify(run.perChange)} rss ${run.rssMiB} MiB`);
      }
    }
  } finally {
    await postgres?.stop();
  }
  result.summary = summarize(result.runs);
  await writeResult('store', result);
  return result;
}

function summarize(runs) {
  const out = {};
  for (const run of runs) {
    const row = (out[run.engine] ??= {});
    row[run.nodes] = {
      cpuUsPerChange: run.perChange.meanCpuUs,
      rawCpuUs: run.raw.cpuUs,
      ratioToRaw: round(run.perChange.meanCpuUs / run.raw.cpuUs, 2),
      jsonSaveCpuUs: run.json.cpuUs,
      rssMiB: run.rssMiB,
      loadMs: run.loadMs,
    };
  }
  return out;
}

function runChild(config) {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, ['--child'], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (message) => (message.error ? reject(new Error(message.error)) : resolve(message)));
    child.once('exit', (code) => code !== 0 && reject(new Error(`store bench child exited ${code}`)));
    child.send(config);
  });
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function measure(k, fn) {
  const c0 = cpuUs();
  const t0 = performance.now();
  for (let i = 0; i < k; i += 1) await fn(i);
  return { cpuUs: round((cpuUs() - c0) / k, 1), wallMs: round((performance.now() - t0) / k, 3) };
}

async function child({ engine, store: storeSetting, nodes, changes }) {
  const { openStore } = await dist('store/index.js');
  const { importRuntimeState } = await dist('store/seed/index.js');
  const { NodeRegistry, RuntimeStateStore, emptyRuntimeState } = await dist('registry/index.js');
  const dir = await tempDir('store');
  const stateDir = `${dir}/state`;
  const { mkdir } = await import('node:fs/promises');
  await mkdir(stateDir, { mode: 0o700 });
  const state = { ...emptyRuntimeState(), nodes: await syntheticNodes(nodes) };
  const ids = state.nodes.map((n) => n.deviceId);

  const store = await openStore({ stateDir, store: storeSetting === 'sqlite' ? undefined : storeSetting });
  onCleanup(() => store.close());
  const seedAt = performance.now();
  await importRuntimeState(store, state, { sha256: 'bench', source: 'bench' });
  const seedMs = performance.now() - seedAt;

  globalThis.gc();
  const rssBefore = process.memoryUsage().rss;
  const loadAt = performance.now();
  const registry = await NodeRegistry.open(store, {});
  const loadMs = performance.now() - loadAt;
  globalThis.gc();
  const rssAfter = process.memoryUsage().rss;

  // Warm-up: statements prepared, JIT settled.
  for (let i = 0; i < 5; i += 1) await registry.updateNodeInfo(ids[i], { platform: 'linux-x64', hostname: `warm-${i}`, agentVersion: 'bench', capabilities: ['fs.read'] });

  const perKind = {};
  perKind.pairingCode = await measure(changes, (i) =>
    registry.addPairingCode({ id: `code-${i}-${randomBytes(4).toString('hex')}`, method: 'qr', prs: randomBytes(32).toString('base64'), salt: randomBytes(16).toString('base64') }),
  );
  perKind.nodeInfo = await measure(changes, (i) =>
    registry.updateNodeInfo(ids[i % nodes], { platform: 'linux-x64', hostname: `changed-${i}`, agentVersion: 'bench', capabilities: ['fs.read', 'fs.list'] }),
  );
  perKind.lastSeen = await measure(changes, async (i) => {
    registry.touchLastSeen(ids[i % nodes], new Date(Date.now() + i));
    await registry.flush();
  });
  const removable = ids.slice(nodes - Math.min(changes, Math.floor(nodes / 2)));
  perKind.removeNode = await measure(removable.length, (i) => registry.removeNode(removable[i], 'bench'));
  const means = Object.values(perKind);
  const perChange = {
    ...perKind,
    meanCpuUs: round(means.reduce((a, m) => a + m.cpuUs, 0) / means.length, 1),
    meanWallMs: round(means.reduce((a, m) => a + m.wallMs, 0) / means.length, 3),
  };

  // Raw floor: one durable single-row upsert through the engine's bare driver.
  const raw = await rawUpsert(engine, stateDir, changes);

  // The old way: the whole state validated and rewritten per change (fewer rounds: it is slow).
  const jsonDir = `${dir}/json`;
  await mkdir(jsonDir, { mode: 0o700 });
  const jsonStore = await RuntimeStateStore.open({ stateDir: jsonDir });
  const rounds = Math.max(3, Math.min(changes, Math.ceil(200_000 / nodes)));
  const json = await measure(rounds, () => jsonStore.save({ ...state, nodes: state.nodes.map((n) => ({ ...n })) }));

  await registry.flush();
  await store.close();
  await rm(dir, { recursive: true, force: true });
  return {
    engine,
    nodes,
    seedMs: round(seedMs, 0),
    loadMs: round(loadMs, 0),
    rssMiB: round(rssAfter / 2 ** 20, 1),
    registryRssMiB: round((rssAfter - rssBefore) / 2 ** 20, 1),
    perChange,
    raw,
    json: { ...json, rounds, note: 'includes copying the state for the save (the old registry copied arrays per mutation too)' },
  };
}

async function rawUpsert(engine, stateDir, k) {
  if (engine === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(`${stateDir}/raw.db`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, record TEXT NOT NULL)');
    const upsert = db.prepare('INSERT INTO t (id, record) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record');
    const record = JSON.stringify((await syntheticNodes(1))[0]);
    const out = await measure(k, (i) => {
      upsert.run(`k${i % 10}`, record);
    });
    db.close();
    return { ...out, what: 'better-sqlite3, WAL, synchronous=FULL, one row upsert (autocommit)' };
  }
  const { default: pg } = await import('pg');
  // Same server and database the store uses: a plain pg client on its URL.
  const url = process.env.PALYRA_BENCH_PG_URL;
  const bare = new pg.Client({ connectionString: url });
  await bare.connect();
  await bare.query('CREATE TABLE IF NOT EXISTS raw_t (id TEXT PRIMARY KEY, record TEXT NOT NULL)');
  const record = JSON.stringify((await syntheticNodes(1))[0]);
  const out = await measure(k, (i) =>
    bare.query('INSERT INTO raw_t (id, record) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET record = excluded.record', [`k${i % 10}`, record]),
  );
  await bare.end();
  return { ...out, what: 'pg client, one row upsert (autocommit), server with fsync on' };
}

if (process.argv.includes('--child')) {
  process.once('message', async (config) => {
    try {
      if (config.engine === 'postgres') process.env.PALYRA_BENCH_PG_URL = config.store;
      const out = await child(config);
      process.send(out, () => process.exit(0));
    } catch (error) {
      process.send({ error: error.stack ?? String(error) }, () => process.exit(1));
    } finally {
      await cleanupAll();
    }
  });
} else if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  runStore(parseArgs())
    .then((r) => console.log(JSON.stringify(r.summary, null, 2)))
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(cleanupAll);
}
