/**
 * `palyrad start --store postgres://...` through the built binaries, against a real
 * PostgreSQL started by the test (test/helpers/postgres.ts): the daemon migrates the database,
 * says which store it uses without the password, keeps a paired node across a restart, and a
 * store it cannot reach stops the start with one coded line that never holds the password.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { daemonCli, DaemonProcess, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { SQLITE_STORE_FILE } from '../../daemon/src/store/openStore.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRAD, runBin, spawnBin, stopProcesses, TempDirs } from '../helpers/processes.js';

const PASSWORD = 'e2e-Pa55word_not-shown';
const dirs = new TempDirs();
let server: PostgresServer;

interface StoreInfo {
  engine: string;
  location: string;
}

beforeAll(async () => {
  server = await startPostgres();
  await server.admin(`CREATE ROLE operator LOGIN PASSWORD '${PASSWORD}'`);
  await server.admin('CREATE DATABASE palyra_e2e OWNER operator');
}, E2E_HOOK_TIMEOUT_MS);

afterEach(async () => {
  await stopProcesses();
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await dirs.cleanup();
  await server?.stop();
}, E2E_HOOK_TIMEOUT_MS);

/** One query on the daemon's database, on a connection of the test's own. */
async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('palyrad on a PostgreSQL store (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('migrates the database, shows the store, and keeps a paired node across a restart', async () => {
    const url = await server.createDatabase();
    const stateDir = join(await dirs.make('palyra-e2e-pg-'), 'state');
    const nodeDir = join(await dirs.make('palyra-e2e-pg-node-'), 'state');
    const first = await DaemonProcess.start(stateDir, ['--store', url]);
    expect(first.ready.store).toEqual({ engine: 'postgres', location: url });
    expect((await query(url, 'SELECT version FROM palyra_schema')).length).toBeGreaterThan(0);
    const status = await first.json<{ store: StoreInfo }>('status');
    expect(status.store).toEqual({ engine: 'postgres', location: url });

    const deviceId = await pairNode(first, nodeDir, 'pg-survivor');
    await first.stop();
    // The node is a row in PostgreSQL, and the state dir holds no SQLite database.
    expect(await query<{ device_id: string; name: string }>(url, 'SELECT device_id, name FROM nodes')).toEqual([{ device_id: deviceId, name: 'pg-survivor' }]);
    expect(existsSync(join(stateDir, SQLITE_STORE_FILE))).toBe(false);

    const second = await DaemonProcess.start(stateDir, ['--store', url]);
    const nodes = parseOneJson<NodeRow[]>(await daemonCli(stateDir, 'nodes', 'list', '--json'));
    expect(nodes.map((node) => node.deviceId)).toContain(deviceId);
    await second.stop();
  });

  it('never shows the password (ready line, status, config show), and a refused login stops the start with PALYRA_E_STATE_IO', async () => {
    const url = server.tcpUrl('palyra_e2e', `operator:${PASSWORD}`);
    const shown = server.tcpUrl('palyra_e2e', 'operator');
    const stateDir = join(await dirs.make('palyra-e2e-pg-pw-'), 'state');
    const daemon = spawnBin(PALYRAD, ['start', '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--json'], { PALYRA_STORE: url });
    const [line] = await daemon.waitFor(/^\{.*"event":"ready".*\}$/m, 90_000);
    expect((JSON.parse(line) as { store: StoreInfo }).store).toEqual({ engine: 'postgres', location: shown });
    const status = await daemonCli(stateDir, 'status');
    expect(status.stdout).toContain(`store  postgres ${shown}`);
    const config = await runBin(PALYRAD, ['config', 'show', '--json', '--state-dir', stateDir], { PALYRA_STORE: url });
    expect(parseOneJson<{ store: { value: string; source: string } }>(config).store).toEqual({ value: shown, source: 'env' });
    const stopped = await daemon.stop();
    for (const text of [stopped.stdout, stopped.stderr, status.stdout, status.stderr, config.stdout, config.stderr]) expect(text).not.toContain(PASSWORD);

    const refused = await spawnBin(PALYRAD, ['start', '--state-dir', stateDir, '--listen', '127.0.0.1:0'], {
      PALYRA_STORE: server.tcpUrl('palyra_e2e', `operator:${PASSWORD}-wrong`),
    }).waitForExit();
    const message = expectErrorLine(refused, 'PALYRA_E_STATE_IO', undefined, { logs: true });
    expect(message).toContain(shown);
    expect(message).toMatch(/password authentication failed/);
    expect(refused.stdout + refused.stderr).not.toContain(PASSWORD);
  });
});
