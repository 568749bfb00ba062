/**
 * The seed format on PostgreSQL, through the built binaries against a real PostgreSQL started
 * by the test (test/helpers/postgres.ts): a registry exported from SQLite imports into
 * PostgreSQL and exports back byte-identical, a first-slice node-runtime.v1.json migrates into
 * a PostgreSQL store at the daemon's start (its node connects with its old certificate), and
 * `palyrad state backup` on PostgreSQL says to use pg_dump.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { daemonCli, DaemonProcess, pairNode, startNode, stateFile, type NodeRow } from '../helpers/daemonHarness.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
}, E2E_HOOK_TIMEOUT_MS);

afterEach(async () => {
  await stopProcesses();
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await dirs.cleanup();
  await server?.stop();
}, E2E_HOOK_TIMEOUT_MS);

async function exported(stateDir: string, ...store: string[]): Promise<string> {
  const result = await daemonCli(stateDir, 'state', 'export', ...store);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

describe('state store on PostgreSQL (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('moves a registry from SQLite to PostgreSQL, migrates a first-slice file into PostgreSQL, and leaves backups to pg_dump', async () => {
    const stateDir = join(await dirs.make('palyra-e2e-pgseed-'), 'state');
    const nodeDir = join(await dirs.make('palyra-e2e-pgseed-node-'), 'state');
    const first = await DaemonProcess.start(stateDir);
    const deviceId = await pairNode(first, nodeDir, 'moved');
    expect((await first.stop()).code).toBe(0);
    const fromSqlite = await exported(stateDir);
    const document = join(await dirs.make('palyra-e2e-pgseed-doc-'), 'registry.json');
    expect((await daemonCli(stateDir, 'state', 'export', '--out', document)).code).toBe(0);

    // export (SQLite) -> import (PostgreSQL) -> export (PostgreSQL): the same bytes.
    const imported = await server.createDatabase();
    const importDir = join(await dirs.make('palyra-e2e-pgseed-import-'), 'state');
    const counts = parseOneJson<{ nodes: number }>(await daemonCli(importDir, 'state', 'import', document, '--store', imported, '--json'));
    expect(counts.nodes).toBe(1);
    expect(await exported(importDir, '--store', imported)).toBe(fromSqlite);
    expectErrorLine(await daemonCli(importDir, 'state', 'import', document, '--store', imported), 'PALYRA_E_STATE_NOT_EMPTY', 73);
    const backup = expectErrorLine(await daemonCli(importDir, 'state', 'backup', join(importDir, 'copy.db'), '--store', imported), 'PALYRA_E_USAGE', 64);
    expect(backup).toContain('pg_dump');

    // The daemon's state dir as the first releases left it (the file), started on an empty
    // PostgreSQL database: the file migrates there, the node connects with its certificate.
    const seeded = await server.createDatabase();
    const file = stateFile(stateDir);
    expect((await daemonCli(stateDir, 'state', 'export', '--out', file)).code).toBe(0);
    const before = await sha256(file);
    const second = await DaemonProcess.start(stateDir, ['--listen', `127.0.0.1:${first.port}`, '--store', seeded]);
    expect(second.process.stderr).toContain(`migrated ${file} into the state store`);
    expect(parseOneJson<NodeRow[]>(await second.cli('nodes', 'list', '--json')).map((n) => n.deviceId)).toEqual([deviceId]);
    const agent = await startNode(nodeDir);
    expect(agent.stdout).toContain(`palyra-node ready device=${deviceId}`);
    await agent.stop();
    expect((await second.stop()).code).toBe(0);
    expect(await sha256(file)).toBe(before);
  });
});
