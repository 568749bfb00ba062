import { join } from 'node:path';
import { PALYRA_NODE, PALYRAD, runBin, spawnBin, type CommandResult, type RunningProcess } from './processes.js';

export interface ReadyInfo {
  grpc: string;
  quic: string;
  admin: string;
  ca: string;
  stateDir: string;
  pid: number;
}

/** A real palyrad process on 127.0.0.1, port 0, in its own state dir. */
export class DaemonProcess {
  private constructor(
    readonly process: RunningProcess,
    readonly stateDir: string,
    readonly ready: ReadyInfo,
  ) {}

  static async start(stateDir: string, extraArgs: string[] = []): Promise<DaemonProcess> {
    const proc = spawnBin(PALYRAD, ['start', '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--json', ...extraArgs]);
    const [line] = await proc.waitFor(/^\{.*"event":"ready".*\}$/m, 30_000);
    return new DaemonProcess(proc, stateDir, JSON.parse(line) as ReadyInfo);
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
  status: 'online' | 'offline';
  lastSeen: string | null;
  certFingerprint: string;
  certExpiresAt: string;
}

export function spawnJoin(nodeStateDir: string, daemon: DaemonProcess, pin: string, extra: string[] = []): RunningProcess {
  return spawnBin(PALYRA_NODE, ['join', '--pin', pin, '--daemon', daemon.ready.grpc, '--state-dir', nodeStateDir, ...extra]);
}

export function spawnRun(nodeStateDir: string): RunningProcess {
  return spawnBin(PALYRA_NODE, ['run', '--state-dir', nodeStateDir]);
}

export function nodeCli(nodeStateDir: string, ...args: string[]): Promise<CommandResult> {
  return runBin(PALYRA_NODE, [...args, '--state-dir', nodeStateDir]);
}

/** Pairs a node end to end (join, approve) and returns its device id. */
export async function pairNode(daemon: DaemonProcess, nodeStateDir: string, name = 'test-node'): Promise<string> {
  const pin = await daemon.mintPin();
  const join = spawnJoin(nodeStateDir, daemon, pin, ['--name', name]);
  await join.waitFor(/waiting for approval/);
  const pending = await daemon.json<PendingRow[]>('nodes', 'pending');
  const request = pending.find((r) => r.name === name);
  if (request === undefined) throw new Error(`no pending request for ${name}: ${JSON.stringify(pending)}`);
  const approved = await daemon.cli('nodes', 'approve', request.requestId);
  if (approved.code !== 0) throw new Error(`approve failed: ${approved.stderr}`);
  const result = await join.exited;
  if (result.code !== 0) throw new Error(`join failed (${result.code}): ${result.stderr}`);
  return request.deviceId;
}

export const stateFile = (stateDir: string): string => join(stateDir, 'node-runtime.v1.json');
