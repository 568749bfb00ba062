/**
 * The state store with real processes (docs/state.md): a first-slice `node-runtime.v1.json`
 * migrates into it once and stays byte-identical; `palyrad state export|import|backup`; a
 * damaged database and one of a newer schema stop `palyrad start` and stay byte-identical.
 */
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, open, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RuntimeStateStore, type RuntimeState } from '../../daemon/src/registry/index.js';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { daemonCli, DaemonProcess, pairNode, spawnRun, startNode, stateFile, type NodeRow } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRAD, spawnBin, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

interface Document {
  version: number;
  pairingCodes: { id: string; state: string }[];
  requests: unknown[];
  nodes: { deviceId: string; certFingerprint: string }[];
  revoked: { fingerprint: string; deviceId: string }[];
}

const STORE_FILES = ['palyrad.db', 'palyrad.db-wal', 'palyrad.db-shm'];

async function freshStateDir(prefix: string): Promise<string> {
  return join(await dirs.make(prefix), 'state');
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function exportDocument(stateDir: string): Promise<{ text: string; doc: Document }> {
  const result = await daemonCli(stateDir, 'state', 'export');
  expect(result.code, result.stderr).toBe(0);
  return { text: result.stdout, doc: JSON.parse(result.stdout) as Document };
}

async function listNodes(stateDir: string): Promise<NodeRow[]> {
  return parseOneJson<NodeRow[]>(await daemonCli(stateDir, 'nodes', 'list', '--json'));
}

function startExpectingFailure(stateDir: string) {
  return spawnBin(PALYRAD, ['start', '--state-dir', stateDir, '--listen', '127.0.0.1:0']).waitForExit();
}

/** A daemon's state dir with its registry in a stopped store, and a node of it paired. */
async function stoppedDaemonWithNode(prefix: string): Promise<{ stateDir: string; nodeDir: string; daemon: DaemonProcess }> {
  const stateDir = await freshStateDir(prefix);
  const nodeDir = await freshStateDir(`${prefix}node-`);
  const daemon = await DaemonProcess.start(stateDir);
  await pairNode(daemon, nodeDir, 'kept');
  expect((await daemon.stop()).code).toBe(0);
  return { stateDir, nodeDir, daemon };
}

describe('state store (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('migrates a first-slice node-runtime.v1.json once: nodes connect with their old certificates, removed ones stay revoked, the file is untouched', async () => {
    const stateDir = await freshStateDir('palyra-e2e-seed-');
    const keptDir = await freshStateDir('palyra-e2e-seed-kept-');
    const removedDir = await freshStateDir('palyra-e2e-seed-removed-');
    const first = await DaemonProcess.start(stateDir);
    const kept = await pairNode(first, keptDir, 'kept');
    const removed = await pairNode(first, removedDir, 'removed');
    expect((await first.cli('nodes', 'remove', removed)).code).toBe(0);
    await first.mintPin(); // an active code: a restart ends it
    expect((await first.stop()).code).toBe(0);

    // Make the state dir a first slice's: the CA and node-runtime.v1.json, no store. The file
    // is written by the first releases' own writer (RuntimeStateStore), with this registry.
    const file = stateFile(stateDir);
    const { doc: registry } = await exportDocument(stateDir);
    for (const name of STORE_FILES) await rm(join(stateDir, name), { force: true });
    await (await RuntimeStateStore.open({ stateDir })).save(registry as unknown as RuntimeState);
    const seed = JSON.parse(await readFile(file, 'utf8')) as Document;
    expect(seed.nodes.map((n) => n.deviceId)).toEqual([kept]);
    expect(seed.revoked.map((r) => r.deviceId)).toEqual([removed]);
    expect(seed.pairingCodes.filter((c) => c.state === 'active')).toHaveLength(1);
    const before = await sha256(file);

    const second = await DaemonProcess.start(stateDir, ['--listen', `127.0.0.1:${first.port}`]);
    expect(second.process.stderr).toContain(`migrated ${file} into the state store`);
    expect((await listNodes(stateDir)).map((n) => n.deviceId)).toEqual([kept]);
    // The kept node connects with the certificate it was given before the migration...
    const agent = await startNode(keptDir);
    expect(agent.stdout).toContain(`palyra-node ready device=${kept}`);
    // ...and the removed one is still refused.
    const refused = await spawnRun(removedDir).waitForExit();
    expectErrorLine(refused, 'PALYRA_E_PERMISSION_DENIED', 77, { logs: true });
    const { doc } = await exportDocument(stateDir);
    expect(doc.revoked).toEqual(seed.revoked);
    expect(doc.pairingCodes.map((c) => c.state)).not.toContain('active');
    await agent.stop();

    // Changed since the migration (the node removed): a restart keeps the store as it is,
    // it does not import the file again.
    expect((await second.cli('nodes', 'remove', kept)).code).toBe(0);
    expect((await second.stop()).code).toBe(0);
    const third = await DaemonProcess.start(stateDir);
    expect(third.process.stderr).not.toContain('migrated');
    expect(await listNodes(stateDir)).toEqual([]);
    expect(await sha256(file)).toBe(before);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('exports and imports the same document; import refuses a non-empty store and a running daemon', async () => {
    const { stateDir } = await stoppedDaemonWithNode('palyra-e2e-roundtrip-');
    const first = await exportDocument(stateDir);
    expect(first.doc.nodes).toHaveLength(1);
    const out = join(await dirs.make('palyra-e2e-roundtrip-out-'), 'registry.json');
    expect((await daemonCli(stateDir, 'state', 'export', '--out', out)).code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(first.text);
    expect((await stat(out)).mode & 0o777).toBe(0o600);

    const target = await freshStateDir('palyra-e2e-roundtrip-target-');
    const imported = parseOneJson<{ nodes: number; revoked: number }>(await daemonCli(target, 'state', 'import', out, '--json'));
    expect(imported.nodes).toBe(1);
    expect((await exportDocument(target)).text).toBe(first.text);

    // Into a store that holds state: refused, nothing changed.
    const again = expectErrorLine(await daemonCli(target, 'state', 'import', out), 'PALYRA_E_STATE_NOT_EMPTY', 73);
    expect(again).toContain('1 node');
    expect((await exportDocument(target)).text).toBe(first.text);

    // While a daemon holds the state dir: refused.
    const running = await DaemonProcess.start(stateDir);
    expectErrorLine(await daemonCli(stateDir, 'state', 'import', out), 'PALYRA_E_DAEMON_RUNNING', 75);
    expect((await running.stop()).code).toBe(0);

    // A node-runtime.v1.json the store did not come from, beside a store with nodes: the
    // start stops rather than merge the two, and the file stays as it was.
    const foreign = stateFile(stateDir);
    await writeFile(foreign, first.text.replace('"name":"kept"', '"name":"elsewhere"'), { mode: 0o600 });
    const before = await sha256(foreign);
    const refused = expectErrorLine(await startExpectingFailure(stateDir), 'PALYRA_E_STATE_NOT_EMPTY', 73, { logs: true });
    expect(refused).toContain('1 node');
    expect(await sha256(foreign)).toBe(before);
    expect((await exportDocument(stateDir)).text).toBe(first.text);
  });

  it('backs up the store while the daemon runs and writes: every copy opens, passes quick_check and restores', async () => {
    const stateDir = await freshStateDir('palyra-e2e-backup-');
    const daemon = await DaemonProcess.start(stateDir);
    const backups = await dirs.make('palyra-e2e-backup-out-');
    // Writes while the backups run: each pairing code minted is a registry transaction.
    let writing = true;
    const writer = (async () => {
      let minted = 0;
      while (writing || minted < 3) {
        expect((await daemon.cli('pairing', 'code', '--method', 'qr', '--json')).code).toBe(0);
        minted += 1;
      }
      return minted;
    })();
    const copies: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const copy = join(backups, `palyrad-${i}.db`);
      const result = parseOneJson<{ file: string; schemaVersion: number }>(await daemon.cli('state', 'backup', copy, '--json'));
      expect(result.file).toBe(copy);
      copies.push(copy);
    }
    writing = false;
    const minted = await writer;
    for (const copy of copies) {
      expect((await stat(copy)).mode & 0o777).toBe(0o600);
      // One self-contained file: no WAL beside it, none needed to read it.
      expect(existsSync(`${copy}-wal`)).toBe(false);
      const db = new Database(copy, { readonly: true, fileMustExist: true });
      try {
        expect(db.pragma('quick_check', { simple: true })).toBe('ok');
        const codes = (db.prepare('SELECT COUNT(*) AS n FROM pairing_codes').get() as { n: number }).n;
        expect(codes).toBeLessThanOrEqual(minted);
      } finally {
        db.close();
      }
    }
    expect((await daemon.stop()).code).toBe(0);

    // A restore: the copy as palyrad.db of a state dir, read back as a document.
    const restored = await freshStateDir('palyra-e2e-backup-restore-');
    await mkdir(restored, { mode: 0o700 });
    await copyFile(copies.at(-1) ?? '', join(restored, 'palyrad.db'));
    const { doc } = await exportDocument(restored);
    expect(doc.version).toBe(1);
  });

  it('refuses a backup onto the running store itself or its WAL (a rename there would drop every later write), and keeps them', async () => {
    const stateDir = await freshStateDir('palyra-e2e-backup-self-');
    const daemon = await DaemonProcess.start(stateDir);
    const before = await Promise.all(['palyrad.db', 'palyrad.db-wal'].map(async (name) => (await stat(join(stateDir, name))).ino));
    // Through a link to the state dir too: the same files by another path.
    const link = join(await dirs.make('palyra-e2e-backup-self-link-'), 'state');
    await symlink(stateDir, link);
    for (const target of [join(stateDir, 'palyrad.db'), join(stateDir, 'palyrad.db-wal'), join(link, 'palyrad.db')]) {
      const message = expectErrorLine(await daemon.cli('state', 'backup', target), 'PALYRA_E_USAGE', 64);
      expect(message).toContain('a file of the state store');
    }
    const after = await Promise.all(['palyrad.db', 'palyrad.db-wal'].map(async (name) => (await stat(join(stateDir, name))).ino));
    expect(after).toEqual(before);
    // A write after the refused backups survives the daemon's stop.
    expect((await daemon.cli('pairing', 'code', '--method', 'qr', '--json')).code).toBe(0);
    expect((await daemon.stop()).code).toBe(0);
    expect((await exportDocument(stateDir)).doc.pairingCodes).toHaveLength(1);
  });

  it('refuses an export --out onto the store file itself (the JSON document replaced the database) and keeps it', async () => {
    const { stateDir } = await stoppedDaemonWithNode('palyra-e2e-export-self-');
    const dbFile = join(stateDir, 'palyrad.db');
    const before = await sha256(dbFile);
    const message = expectErrorLine(await daemonCli(stateDir, 'state', 'export', '--out', dbFile), 'PALYRA_E_USAGE', 64);
    expect(message).toContain('a file of the state store');
    expect(await sha256(dbFile)).toBe(before);
    expect((await exportDocument(stateDir)).doc.nodes).toHaveLength(1);
  });

  it('never migrates the store it reads: export and backup of a store of another schema are refused and change nothing', async () => {
    // A database without this build's schema (here none at all, as a daemon of an older
    // version would have one older): a daemon's start migrates it, the state commands do not.
    const stateDir = await freshStateDir('palyra-e2e-nomigrate-');
    await mkdir(stateDir, { mode: 0o700 });
    const dbFile = join(stateDir, 'palyrad.db');
    const old = new Database(dbFile);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE unrelated (x INTEGER)');
    old.close();
    await chmod(dbFile, 0o600);
    const before = await sha256(dbFile);
    const copy = join(stateDir, 'copy.db');
    for (const args of [['state', 'export'], ['state', 'backup', copy]]) {
      const message = expectErrorLine(await daemonCli(stateDir, ...args), 'PALYRA_E_STATE_VERSION', 78);
      expect(message, args.join(' ')).toContain('schema version 0');
    }
    expect(await sha256(dbFile)).toBe(before);
    expect(existsSync(copy)).toBe(false);
  });

  it('refuses a damaged database and one of a newer schema at start, and leaves them byte-identical', async () => {
    const { stateDir, daemon } = await stoppedDaemonWithNode('palyra-e2e-badstore-');
    const dbFile = join(stateDir, 'palyrad.db');
    const good = join(await dirs.make('palyra-e2e-badstore-good-'), 'palyrad.db');
    await copyFile(dbFile, good);

    // A newer palyrad's database: schema version 99.
    const newer = new Database(dbFile, { fileMustExist: true });
    newer.prepare('INSERT INTO palyra_schema (version, name, applied_at) VALUES (99, ?, ?)').run('from the future', new Date().toISOString());
    newer.close();
    const newerSum = await sha256(dbFile);
    const version = await startExpectingFailure(stateDir);
    expect(expectErrorLine(version, 'PALYRA_E_STATE_VERSION', 78, { logs: true })).toContain('schema version 99');
    expect(await sha256(dbFile)).toBe(newerSum);

    // A damaged one: a page in the middle overwritten, the header intact.
    await copyFile(good, dbFile);
    const handle = await open(dbFile, 'r+');
    try {
      const { size } = await handle.stat();
      expect(size).toBeGreaterThan(3 * 4096);
      await handle.write(Buffer.alloc(4096, 0xa5), 0, 4096, 2 * 4096);
    } finally {
      await handle.close();
    }
    const damagedSum = await sha256(dbFile);
    const corrupt = await startExpectingFailure(stateDir);
    expect(expectErrorLine(corrupt, 'PALYRA_E_STATE_CORRUPT', 78, { logs: true })).toContain(dbFile);
    expect(await sha256(dbFile)).toBe(damagedSum);

    // The good copy back is all it takes.
    await copyFile(good, dbFile);
    const restored = await DaemonProcess.start(stateDir);
    expect(restored.ready.ca).toBe(daemon.ready.ca);
    expect(await listNodes(stateDir)).toHaveLength(1);
  });
});
