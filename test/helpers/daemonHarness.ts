import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PALYRA_NODE, PALYRAD, runBin, spawnBin, type CommandResult, type RunningProcess, type SpawnOptions } from './processes.js';

export interface ReadyInfo {
  grpc: string;
  quic: string;
  admin: string;
  ca: string;
  stateDir: string;
  pid: number;
  /** Where the state lives: the SQLite file, or the PostgreSQL URL without its password. */
  store: { engine: 'sqlite' | 'postgres'; location: string };
}

/** A real palyrad process in its own state dir, on 127.0.0.1 port 0 unless `--listen` is given. */
export class DaemonProcess {
  private constructor(
    readonly process: RunningProcess,
    readonly stateDir: string,
    readonly ready: ReadyInfo,
  ) {}

  static async start(stateDir: string, extraArgs: string[] = [], options: SpawnOptions = {}, env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
    const listen = extraArgs.includes('--listen') ? [] : ['--listen', '127.0.0.1:0'];
    const proc = spawnBin(PALYRAD, ['start', '--state-dir', stateDir, ...listen, '--json', ...extraArgs], env, options);
    try {
      // Generous: a first start creates the CA, and a loaded machine is slow.
      const [line] = await proc.waitFor(/^\{.*"event":"ready".*\}$/m, 90_000);
      return new DaemonProcess(proc, stateDir, JSON.parse(line) as ReadyInfo);
    } catch (error) {
      await proc.stop();
      throw error;
    }
  }

  /** The gRPC port it listens on. */
  get port(): number {
    return Number(this.ready.grpc.slice(this.ready.grpc.lastIndexOf(':') + 1));
  }

  /** Runs a palyrad CLI command against this daemon. */
  cli(...args: string[]): Promise<CommandResult> {
    return runBin(PALYRAD, [...args, '--state-dir', this.stateDir]);
  }

  async json<T>(...args: string[]): Promise<T> {
    const result = await this.cli(...args, '--json');
    if (result.code !== 0) throw new Error(`palyrad ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  async mintPin(): Promise<string> {
    return (await this.json<{ code: string }>('pairing', 'code', '--method', 'pin')).code;
  }

  stop(): Promise<CommandResult> {
    return this.process.stop();
  }
}

export interface PendingRow {
  requestId: string;
  deviceId: string;
  name: string;
  platform: string;
  sas: string;
  requestedAt: string;
  repair: boolean;
}

export interface NodeRow {
  deviceId: string;
  name: string;
  platform: string;
  capabilities: string[];
  labels: Record<string, string>;
  status: 'online' | 'offline';
  lastSeen: string | null;
  certFingerprint: string;
  certExpiresAt: string;
  certState: 'valid' | 'renewing' | 'expiring' | 'expired' | 'in_grace';
  certIssuedAt: string | null;
  certRenewedAt: string | null;
}

/** `palyrad status --json` */
export interface DaemonStatusJson {
  running: boolean;
  pid: number;
  grpc: string;
  admin: string;
  caFingerprint: string;
  stateDir: string;
  nodes: { online: number; offline: number; pending: number };
  /** Which pairing requests the daemon approves without an operator. */
  autoApprove: 'off' | 'qr' | 'all';
  certificates: { valid: number; renewing: number; expiring: number; expired: number; in_grace: number };
  serverCertificate: { fingerprint: string; expiresAt: string };
}

/** `palyrad pairing code --json` */
export interface PairingCodeJson {
  method: string;
  code: string;
  expiresAt: string;
  daemon: string;
  caFingerprint: string;
  uri: string | null;
}

/** `palyra-node join` with the PIN on stdin (`--pin -`): never on the command line, where `ps` shows it. */
export function spawnJoin(nodeStateDir: string, daemon: DaemonProcess, pin: string, extra: string[] = [], options: SpawnOptions = {}): RunningProcess {
  return spawnBin(PALYRA_NODE, ['join', '--pin', '-', '--daemon', daemon.ready.grpc, '--state-dir', nodeStateDir, ...extra], {}, { ...options, stdin: `${pin}\n` });
}

export function spawnRun(nodeStateDir: string, options: SpawnOptions = {}): RunningProcess {
  return spawnBin(PALYRA_NODE, ['run', '--state-dir', nodeStateDir], {}, options);
}

export function nodeCli(nodeStateDir: string, ...args: string[]): Promise<CommandResult> {
  return runBin(PALYRA_NODE, [...args, '--state-dir', nodeStateDir]);
}

/** Runs a palyrad CLI command against a state dir, whether or not a daemon runs there. */
export function daemonCli(stateDir: string, ...args: string[]): Promise<CommandResult> {
  return runBin(PALYRAD, [...args, '--state-dir', stateDir]);
}

/** Pairs a node end to end (join, approve) and returns its device id. */
export async function pairNode(daemon: DaemonProcess, nodeStateDir: string, name = 'test-node', options: SpawnOptions = {}): Promise<string> {
  const pin = await daemon.mintPin();
  const join = spawnJoin(nodeStateDir, daemon, pin, ['--name', name], options);
  const [, requestId] = await join.waitFor(/\(request (\S+?)[,)]/);
  await join.waitFor(/waiting for approval/);
  const pending = await daemon.json<PendingRow[]>('nodes', 'pending');
  const request = pending.find((r) => r.requestId === requestId);
  if (request === undefined) throw new Error(`no pending request ${requestId} for ${name}: ${JSON.stringify(pending)}`);
  const approved = await daemon.cli('nodes', 'approve', request.requestId);
  if (approved.code !== 0) throw new Error(`approve failed: ${approved.stderr}`);
  const result = await join.waitForExit();
  if (result.code !== 0) throw new Error(`join failed (${result.code}): ${result.stderr}`);
  return request.deviceId;
}

/** Starts `palyra-node run` and waits until it registered with the daemon. */
export async function startNode(nodeStateDir: string, options: SpawnOptions = {}): Promise<RunningProcess> {
  const run = spawnRun(nodeStateDir, options);
  await run.waitFor(/^palyra-node ready device=\S+$/m);
  return run;
}

/** The JSON state file of daemons before the state database (a seed to import, now). */
export const stateFile = (stateDir: string): string => join(stateDir, 'node-runtime.v1.json');

/** The daemon's state database (SQLite), beside its CA. */
export const stateDatabase = (stateDir: string): string => join(stateDir, 'palyrad.db');

/**
 * The records of one registry table, read through a read-only connection: WAL lets a reader
 * in while the daemon runs, and nothing is written.
 */
export function storedRecords<T>(stateDir: string, table: 'pairing_codes' | 'pairing_requests' | 'nodes' | 'revoked_certs'): T[] {
  const db = new Database(stateDatabase(stateDir), { readonly: true, fileMustExist: true });
  try {
    if (table === 'revoked_certs') return db.prepare('SELECT fingerprint, device_id AS deviceId, revoked_at AS revokedAt, reason FROM revoked_certs').all() as T[];
    return (db.prepare(`SELECT record FROM ${table} ORDER BY rowid`).all() as { record: string }[]).map((row) => JSON.parse(row.record) as T);
  } finally {
    db.close();
  }
}
