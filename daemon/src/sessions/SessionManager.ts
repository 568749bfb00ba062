import { EventEmitter } from 'node:events';
import type { DaemonMessage } from '@palyra/proto';
import type { PalyraError } from '@palyra/shared/errors';
import type { SessionReport } from '../dispatch/types.js';

/** A live Session stream of one node, as the manager sees it. */
export interface LiveSession {
  readonly deviceId: string;
  /** SHA-256 (hex) of the certificate the stream authenticated with: a revocation closes only its sessions. */
  readonly fingerprint: string;
  readonly remoteAddress: string;
  readonly openedAt: Date;
  /** What the node's hello said about dispatches of its earlier sessions. */
  readonly report?: SessionReport;
  /** Sends a message down the stream. */
  send(message: DaemonMessage): void;
  /** Ends the stream with this error (the node sees its code) and releases the session. */
  close(error: PalyraError): void;
}

export interface SessionEvents {
  online: [session: LiveSession];
  offline: [session: LiveSession];
}

/**
 * Which nodes have a live Session stream right now. A node is online exactly while its
 * stream is open; a second stream from the same device replaces the first (a reconnect that
 * raced the old stream's teardown).
 */
export class SessionManager extends EventEmitter<SessionEvents> {
  private readonly sessions = new Map<string, LiveSession>();
  private readonly byFingerprint = new Map<string, LiveSession>();

  attach(session: LiveSession, replacedError: PalyraError): void {
    const previous = this.sessions.get(session.deviceId);
    if (previous !== undefined) {
      this.detach(previous);
      previous.close(replacedError);
    }
    this.sessions.set(session.deviceId, session);
    this.byFingerprint.set(session.fingerprint, session);
    this.emit('online', session);
  }

  /** Releases a session; a no-op when it was already replaced or closed. */
  detach(session: LiveSession): void {
    if (this.sessions.get(session.deviceId) !== session) return;
    this.sessions.delete(session.deviceId);
    if (this.byFingerprint.get(session.fingerprint) === session) this.byFingerprint.delete(session.fingerprint);
    this.emit('offline', session);
  }

  get(deviceId: string): LiveSession | undefined {
    return this.sessions.get(deviceId);
  }

  isOnline(deviceId: string): boolean {
    return this.sessions.has(deviceId);
  }

  get onlineCount(): number {
    return this.sessions.size;
  }

  /** Closes a device's live stream at once (revocation). */
  closeDevice(deviceId: string, error: PalyraError): void {
    const session = this.sessions.get(deviceId);
    if (session === undefined) return;
    this.detach(session);
    session.close(error);
  }

  /**
   * Closes the live stream opened with this certificate, if any: a renewal deny-lists the
   * certificate the node held before, and that must end only the session still on it, never
   * the one the node opened with its new certificate.
   */
  closeFingerprint(fingerprint: string, error: PalyraError): void {
    const session = this.byFingerprint.get(fingerprint.toLowerCase());
    if (session === undefined) return;
    this.detach(session);
    session.close(error);
  }

  closeAll(error: PalyraError): void {
    for (const session of [...this.sessions.values()]) this.closeDevice(session.deviceId, error);
  }
}
