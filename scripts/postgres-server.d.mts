import type pg from 'pg';

/** The role initdb creates: it owns every database; trusted on the socket, password on TCP. */
export const POSTGRES_TEST_ROLE: string;

/** A PostgreSQL server of its own, in a temp dir, on a private socket and a loopback port. */
export interface PostgresServer {
  /** A new empty database (CREATE DATABASE); its URL goes through the private socket, no password. */
  createDatabase(): Promise<string>;
  /** The URL of a database over TCP on 127.0.0.1 (scram-sha-256: give `user:password@`). */
  tcpUrl(database: string, userInfo: string): string;
  /** Runs one statement on the `postgres` database as the superuser (roles, inspection). */
  admin(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  /** Milliseconds initdb and pg_ctl start took (for the reports; never asserted). */
  readonly startupMs: { initdb: number; start: number };
  /** Stops the server and removes its temp dir. */
  stop(): Promise<void>;
}

/** Starts a server; `durable` keeps fsync on (benchmarks), tests run without it. */
export function startPostgres(options?: { durable?: boolean }): Promise<PostgresServer>;

/** A loopback TCP port nobody listens on now (another process may take it before it is bound). */
export function freePort(): Promise<number>;

/** The newest PostgreSQL installed from Debian's package. */
export function postgresBinDir(): string;
