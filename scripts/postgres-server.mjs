// A real PostgreSQL server for tests and benchmarks (plain JS so that bench/ can use it too;
// types in postgres-server.d.mts).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** Where Debian's `postgresql` package puts initdb, pg_ctl and postgres (they are not on PATH). */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';
const COMMAND_TIMEOUT_MS = 60_000;

/** The role initdb creates: it owns every database; trusted on the socket, password on TCP. */
export const POSTGRES_TEST_ROLE = 'palyra';

/**
 * Starts a real PostgreSQL from Debian's package: initdb into a temp dir, pg_ctl on a unix
 * socket in that dir and a free loopback port. As root (CI) the server runs as `postgres`
 * (initdb refuses root) on dirs chowned to it; as anyone else it runs as that user. Fast and
 * not crash-safe on purpose (fsync off) unless `durable` (benchmarks): the tests check the
 * store's SQL, not the server's disk. Shared by the tests (test/helpers/postgres.ts) and bench/.
 */
export async function startPostgres({ durable = false } = {}) {
  const bin = postgresBinDir();
  const root = await mkdtemp(join(tmpdir(), 'pg-'));
  const data = join(root, 'data');
  const log = join(root, 'server.log');
  const asRoot = process.getuid?.() === 0;
  const as = async (command, args) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]] : [join(bin, command), args];
    // cwd: the server's own dir (a postgres user cannot enter root's home, and pg_ctl checks).
    await run(file, argv, { cwd: root, timeout: COMMAND_TIMEOUT_MS, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  };
  let started = false;
  try {
    if (asRoot) await chownToPostgres(root);
    const initdbAt = performance.now();
    await as('initdb', ['-D', data, '-U', POSTGRES_TEST_ROLE, '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
    const initdbMs = performance.now() - initdbAt;
    const startAt = performance.now();
    let port = 0;
    for (let attempt = 1; ; attempt += 1) {
      // Postgres cannot listen on port 0: pick a free port; another process may take it
      // before the server binds it, so a failed start tries another one.
      port = await freePort();
      // Tests check the store's SQL, not the server's disk: fsync off unless a benchmark asks.
      const speed = durable ? '' : ' -c fsync=off -c full_page_writes=off -c synchronous_commit=off';
      const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1${speed} -c max_connections=40`;
      try {
        await as('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', options, 'start']);
        started = true;
        break;
      } catch (error) {
        if (attempt >= 3) throw new Error(`pg_ctl start failed: ${error.message}\n${await readFile(log, 'utf8').catch(() => '')}`);
      }
    }
    const startMs = performance.now() - startAt;
    const pid = Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    // Last resort when the test process ends without its hooks: no server outlives it.
    const killOnExit = () => {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
    };
    process.once('exit', killOnExit);
    const socketUrl = (database) => `postgresql://${POSTGRES_TEST_ROLE}@${encodeURIComponent(root)}:${port}/${database}`;
    const admin = new pg.Client({ connectionString: socketUrl('postgres') });
    await admin.connect();
    let databases = 0;
    return {
      startupMs: { initdb: initdbMs, start: startMs },
      async createDatabase() {
        databases += 1;
        const name = `test_${databases}`;
        await admin.query(`CREATE DATABASE ${name}`);
        return socketUrl(name);
      },
      tcpUrl: (database, userInfo) => `postgres://${userInfo}@127.0.0.1:${port}/${database}`,
      admin: (sql, params) => admin.query(sql, params),
      async stop() {
        await admin.end().catch(() => undefined);
        await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
        process.off('exit', killOnExit);
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (started) await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** The newest PostgreSQL installed from Debian's package. */
export function postgresBinDir() {
  const versions = existsSync(DEBIAN_POSTGRES_ROOT)
    ? readdirSync(DEBIAN_POSTGRES_ROOT).filter((v) => /^\d+$/.test(v) && existsSync(join(DEBIAN_POSTGRES_ROOT, v, 'bin', 'initdb')))
    : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) {
    throw new Error(`no PostgreSQL server under ${DEBIAN_POSTGRES_ROOT}: install Debian's postgresql package (scripts/install-system-deps.sh)`);
  }
  return join(DEBIAN_POSTGRES_ROOT, newest, 'bin');
}

async function chownToPostgres(dir) {
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  await chown(dir, Number(uid.trim()), Number(gid.trim()));
  for (const entry of await readdir(dir)) await chown(join(dir, entry), Number(uid.trim()), Number(gid.trim()));
}

/** A loopback TCP port nobody listens on now (another process may take it before it is bound). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
