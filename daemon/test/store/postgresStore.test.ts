import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared/errors';
import { freePort, startPostgres, type PostgresServer } from '../../../test/helpers/postgres.js';
import { openStore, parseStoreSetting, redactPostgresUrl } from '../../src/store/index.js';
import { PostgresDatabase } from '../../src/store/postgres/PostgresDatabase.js';
import { numberPlaceholders } from '../../src/store/postgres/placeholders.js';

const PASSWORD = 'S3cret-pw_for-test';

/** Opens a store that must fail; returns its error. */
async function openFailure(store: string): Promise<PalyraError> {
  const error = await openStore({ stateDir: '/nonexistent-state-dir', store }).then(
    async (opened) => {
      await opened.close();
      throw new Error(`${redactPostgresUrl(store)} opened`);
    },
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(PalyraError);
  return error as PalyraError;
}

/** Nothing a user sees of the error (message, details, JSON) holds the password. */
function expectNoPassword(error: PalyraError): void {
  expect(error.message).not.toContain(PASSWORD);
  expect(JSON.stringify(error.toJSON())).not.toContain(PASSWORD);
  expect(String(error.stack)).not.toContain(PASSWORD);
}

describe('PostgreSQL store: connection, credentials and failures', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
    await server.admin(`CREATE ROLE operator LOGIN PASSWORD '${PASSWORD}'`);
    await server.admin('CREATE DATABASE palyra_state OWNER operator');
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 60_000);

  it('opens with a password over TCP (scram-sha-256); its location never shows the password', async () => {
    const url = server.tcpUrl('palyra_state', `operator:${encodeURIComponent(PASSWORD)}`);
    const store = await openStore({ stateDir: '/nonexistent-state-dir', store: url });
    try {
      expect(store.engine).toBe('postgres');
      expect(store.location).not.toContain(PASSWORD);
      expect(store.location).toBe(url.replace(`:${encodeURIComponent(PASSWORD)}@`, '@'));
      await store.meta.set('k', 'v');
      expect(await store.meta.get('k')).toBe('v');
    } finally {
      await store.close();
    }
  });

  it('a wrong password is PALYRA_E_STATE_IO naming the credentials, without the password', async () => {
    const error = await openFailure(server.tcpUrl('palyra_state', `operator:${PASSWORD}x`));
    expect(error.code).toBe('PALYRA_E_STATE_IO');
    expect(error.message).toMatch(/password authentication failed/);
    expect(error.message).toMatch(/check the user and password/);
    expect(error.message).not.toContain(`${PASSWORD}x`);
    expectNoPassword(error);
  });

  it('a password in a query parameter is kept out of messages too', async () => {
    const error = await openFailure(`${server.tcpUrl('palyra_state', 'operator')}?password=${PASSWORD}x`);
    expect(error.code).toBe('PALYRA_E_STATE_IO');
    expect(error.message).toContain(`${server.tcpUrl('palyra_state', 'operator')}:`);
    expectNoPassword(error);
  });

  it('a missing database is PALYRA_E_STATE_IO saying so', async () => {
    const error = await openFailure(server.tcpUrl('no_such_db', `operator:${PASSWORD}`));
    expect(error.code).toBe('PALYRA_E_STATE_IO');
    expect(error.message).toMatch(/does not exist/);
    expectNoPassword(error);
  });

  it('an unreachable server is PALYRA_E_STATE_IO naming the URL without the password', async () => {
    const port = await freePort();
    const url = `postgres://operator:${PASSWORD}@127.0.0.1:${port}/palyra_state`;
    const error = await openFailure(url);
    expect(error.code).toBe('PALYRA_E_STATE_IO');
    expect(error.message).toContain(`postgres://operator@127.0.0.1:${port}/palyra_state`);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expectNoPassword(error);
  });

  it('a statement past its timeout is cancelled by the server: PALYRA_E_STATE_IO, and the connection still serves', async () => {
    const db = await PostgresDatabase.open(await server.createDatabase(), { statementTimeoutMs: 200 });
    try {
      await expect(db.get('SELECT pg_sleep(5) AS slept')).rejects.toMatchObject({ code: 'PALYRA_E_STATE_IO', details: { sqlState: '57014' } });
      expect(await db.get('SELECT 1 AS ok')).toEqual({ ok: 1 });
    } finally {
      await db.close();
    }
  });

  it('a server that accepts the connection and never answers fails the open after the connect timeout (PALYRA_E_STATE_IO)', async () => {
    // A real TCP listener that holds every connection open in silence.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const error = await PostgresDatabase.open(`postgres://operator:${PASSWORD}@127.0.0.1:${port}/db`, { connectTimeoutMs: 300 }).then(
        async (db) => {
          await db.close();
          throw new Error('opened a silent server');
        },
        (failure: unknown) => failure,
      );
      expect(error).toMatchObject({ code: 'PALYRA_E_STATE_IO' });
      expectNoPassword(error as PalyraError);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('a connection the server ends is replaced: at most the next statement fails (PALYRA_E_STATE_IO), then the store works again', async () => {
    const store = await openStore({ stateDir: '/nonexistent-state-dir', store: await server.createDatabase() });
    try {
      await store.meta.set('k', 'v');
      const ended = await server.admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'palyrad'`);
      expect(ended.rowCount).toBeGreaterThan(0);
      const first = await store.meta.get('k').then(
        (value) => value,
        (error: unknown) => error,
      );
      if (first !== 'v') expect(first).toMatchObject({ code: 'PALYRA_E_STATE_IO' });
      expect(await store.meta.get('k')).toBe('v');
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL store: URLs and statements', () => {
  it('shows a URL without the password, in the user info or a parameter, and keeps the rest', () => {
    expect(redactPostgresUrl('postgres://u:p%40ss@db.example:5432/palyra?sslmode=require')).toBe('postgres://u@db.example:5432/palyra?sslmode=require');
    expect(redactPostgresUrl('postgresql://u@/palyra?host=/run/postgresql&password=x&sslpassword=y')).toBe('postgresql://u@/palyra?host=/run/postgresql');
    expect(redactPostgresUrl('postgres://u:unencoded/pass?word@h/db')).toBe('postgres://u@h/db');
    expect(redactPostgresUrl('postgres://h/db')).toBe('postgres://h/db');
  });

  it('takes sqlite or a postgres URL as the store setting, and never repeats a bad value', () => {
    expect(parseStoreSetting(undefined)).toEqual({ engine: 'sqlite' });
    expect(parseStoreSetting('sqlite')).toEqual({ engine: 'sqlite' });
    expect(parseStoreSetting('postgresql://h/db')).toEqual({ engine: 'postgres', url: 'postgresql://h/db' });
    let error: unknown;
    try {
      parseStoreSetting(`mysql://u:${PASSWORD}@h/db`);
    } catch (failure) {
      error = failure;
    }
    expect(error).toMatchObject({ code: 'PALYRA_E_USAGE' });
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it('a URL the driver cannot parse is PALYRA_E_USAGE, without the password', async () => {
    const error = await openFailure(`postgres://operator:${PASSWORD}@127.0.0.1:notaport/db`);
    expect(error.code).toBe('PALYRA_E_USAGE');
    expect(error.message).toContain('postgres://operator@127.0.0.1:notaport/db');
    expect(error.cause).toBeUndefined();
    expectNoPassword(error);
  });

  it('numbers ? placeholders, leaving quoted text and comments alone', () => {
    expect(numberPlaceholders(`SELECT a FROM t WHERE b = ? AND c = 'it''s ?' AND "q?" = ? -- why?\n AND d IN (?, ?) /* ? */`)).toBe(
      `SELECT a FROM t WHERE b = $1 AND c = 'it''s ?' AND "q?" = $2 -- why?\n AND d IN ($3, $4) /* ? */`,
    );
  });
});
