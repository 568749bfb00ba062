import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readOwnFile, writePrivateFileAtomic } from '@palyra/shared/fs';
import type { TransportFallback, TransportStatus } from '../connection/HealthChannel.js';
import type { LastRenewal, RenewalStatus } from '../renewal/RenewalManager.js';

/** The running agent's status, for `palyra-node status` (a 0600 file in the state dir). */
export const RUNTIME_STATUS_FILE = 'agent-status.json';
const MAX_STATUS_BYTES = 64 * 1024;

export interface RuntimeStatusDocument {
  version: 1;
  pid: number;
  deviceId: string;
  daemon: string;
  startedAt: string;
  updatedAt: string;
  /** quic | grpc | connecting: the channel of health pings and events. */
  transport: TransportStatus['transport'];
  fallback: TransportFallback;
  /** Why the agent is on gRPC (or still connecting), when it is. */
  reason: string | null;
  quicAddress: string | null;
  /** Last health round trip, ms, and when and over what it was measured. */
  healthRttMs: number | null;
  lastHealthAt: string | null;
  healthTransport: 'quic' | 'grpc' | null;
  /** The certificate schedule (absent in files of agents older than renewal). */
  nextRenewalAt?: string | null;
  renewing?: boolean;
  lastRenewal?: LastRenewal | null;
}

export function runtimeStatusPath(stateDir: string): string {
  return join(stateDir, RUNTIME_STATUS_FILE);
}

/** Keeps the status file up to date while the agent runs; removes it when the agent stops. */
export class RuntimeStatusWriter {
  private document: RuntimeStatusDocument;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    base: { deviceId: string; daemon: string; fallback: TransportFallback },
  ) {
    const now = new Date().toISOString();
    this.document = {
      version: 1,
      pid: process.pid,
      ...base,
      startedAt: now,
      updatedAt: now,
      transport: 'connecting',
      reason: null,
      quicAddress: null,
      healthRttMs: null,
      lastHealthAt: null,
      healthTransport: null,
      nextRenewalAt: null,
      renewing: false,
      lastRenewal: null,
    };
  }

  transport(status: TransportStatus): void {
    this.update({ transport: status.transport, reason: status.reason ?? null, quicAddress: status.quicAddress ?? null });
  }

  health(sample: { rttMs: number; transport: 'quic' | 'grpc'; at: Date }): void {
    this.update({ healthRttMs: Math.round(sample.rttMs * 1000) / 1000, lastHealthAt: sample.at.toISOString(), healthTransport: sample.transport });
  }

  renewal(status: RenewalStatus): void {
    this.update({ nextRenewalAt: status.nextRenewalAt, renewing: status.renewing, lastRenewal: status.lastRenewal });
  }

  /** Waits for pending writes, then deletes the file, unless another agent has taken it over since. */
  async remove(): Promise<void> {
    await this.writing;
    try {
      const current = JSON.parse(await readFile(this.path, 'utf8')) as { pid?: unknown };
      if (current.pid !== process.pid) return;
    } catch {
      // Unreadable or gone: remove whatever is there.
    }
    await rm(this.path, { force: true }).catch(() => undefined);
  }

  private update(change: Partial<RuntimeStatusDocument>): void {
    this.document = { ...this.document, ...change, updatedAt: new Date().toISOString() };
    const text = `${JSON.stringify(this.document, null, 2)}\n`;
    // Serialized, best effort: a status file that cannot be written must not stop the agent.
    this.writing = this.writing.then(() => writePrivateFileAtomic(this.path, text)).catch(() => undefined);
  }
}

/**
 * The status a running agent wrote, or null when no agent runs for this state dir (no file,
 * an unreadable one, or one left by a process that is gone).
 */
export async function readRuntimeStatus(stateDir: string): Promise<RuntimeStatusDocument | null> {
  let document: RuntimeStatusDocument;
  try {
    // Read like every file of the state dir: never through a link, never another user's.
    const bytes = await readOwnFile(runtimeStatusPath(stateDir), { secret: true, what: 'the agent status file', maxBytes: MAX_STATUS_BYTES });
    if (bytes === undefined) return null;
    document = JSON.parse(bytes.toString('utf8')) as RuntimeStatusDocument;
  } catch {
    return null;
  }
  if (document.version !== 1 || typeof document.pid !== 'number') return null;
  try {
    process.kill(document.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return null;
  }
  return document;
}
