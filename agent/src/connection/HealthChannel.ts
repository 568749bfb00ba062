import { freemem, loadavg, totalmem, uptime } from 'node:os';
import { parseHostPort, type HostPort } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import { Backoff, sleep } from '@palyra/shared/timing';
import { loadQuic, type DaemonEvent, type HealthParams, type QuicModule } from '@palyra/shared/quic';
import type { NodeIdentity } from '../identity/index.js';
import { IdentityHolder } from '../renewal/IdentityHolder.js';
import { AGENT_VERSION } from '../version.js';
import type { SessionHealth } from './SessionHealth.js';
import { QuicDaemonClient } from './quic/QuicDaemonClient.js';
import type { QuicHealthStream } from './quic/QuicHealthStream.js';
import { wallNow } from '../clock/wallClock.js';

/** The seeds' TcpFallbackPolicy: when the node gives up on QUIC for gRPC over TCP. */
export type TransportFallback = 'auto' | 'never' | 'always';
export const TRANSPORT_FALLBACKS: readonly TransportFallback[] = ['auto', 'never', 'always'];

export interface TransportStatus {
  /** quic: health and events over QUIC; grpc: health over gRPC; connecting: not settled yet. */
  transport: 'quic' | 'grpc' | 'connecting';
  fallback: TransportFallback;
  /** Why the node is on gRPC (or still connecting), when it is. */
  reason?: string;
  /** The QUIC endpoint in use or last tried. */
  quicAddress?: string;
}

export interface HealthChannelOptions {
  /** The identity to connect with; a holder when renewal can replace it (read at each connect). */
  identity: NodeIdentity | IdentityHolder;
  fallback: TransportFallback;
  /** SHA-256 the daemon's server certificate must have (QUIC and gRPC). */
  pinnedFingerprint?: string;
  /** Use this QUIC endpoint instead of the one the daemon announces. */
  quicAddress?: string;
  /** Health ping period. Default 10 s. */
  intervalMs?: number;
  /** The QUIC handshake must complete within this. Default 5 s. */
  quicConnectTimeoutMs?: number;
  /**
   * On gRPC after a QUIC failure (auto): the longest wait before QUIC is tried again. Repeated
   * failures back off (1 s doubling, jittered) up to this. Default 60 s. A new registration
   * (the daemon came back) tries QUIC at once whatever the wait.
   */
  quicRetryMs?: number;
  /** Health pings on the gRPC Session stream (NodeConnection attaches it), used when not on QUIC. */
  sessionHealth: SessionHealth;
  /** Loads @matrixai/quic (tests inject a failing one to play a platform without the binary). */
  loadQuic?: () => Promise<QuicModule>;
  onStatus?: (status: TransportStatus) => void;
  onHealth?: (sample: { rttMs: number; transport: 'quic' | 'grpc'; at: Date }) => void;
  /**
   * This node's own dispatch events, over QUIC. Followed only when given: the daemon writes
   * each event to the node as its own QUIC frame (~1 ms of CPU on each side), so a
   * subscription nobody reads multiplied a dispatch's cost several times (issue 13 item 12).
   */
  onEvent?: (event: DaemonEvent) => void;
}

/**
 * The node's health and events channel. Prefers QUIC: connects to the endpoint the daemon
 * announced at registration, pings every intervalMs on one long-lived node.health_stream
 * stream (the daemon stores the round trip) and follows its own dispatch events. When QUIC
 * cannot be had (no binary on this platform, UDP blocked, a refused handshake, QUIC disabled
 * on the daemon) the fallback policy decides: auto pings on the gRPC Session stream instead
 * and tries QUIC again later; never makes it
 * fatal (run() rejects); always never tries QUIC. The status callback says which is in use
 * and why.
 *
 * Every registration (a new gRPC session: the daemon may have restarted) starts QUIC afresh
 * at once: a node on gRPC tries QUIC, a node on QUIC replaces a connection that may belong to
 * the daemon's previous run (dead, but alive to us until its idle timeout). Only repeated
 * QUIC failures between registrations back off.
 */
export class HealthChannel {
  private announced: string | undefined;
  private wake: (() => void) | undefined;
  private lastStatus: TransportStatus | undefined;
  /** Registrations so far: a change since a QUIC attempt means "try QUIC again now". */
  private registrations = 0;
  private readonly quicRetry: Backoff;
  private readonly holder: IdentityHolder;
  /** Bumped by interrupt(): the QUIC connection of an earlier value is closed. */
  private interruptions = 0;

  constructor(private readonly options: HealthChannelOptions) {
    this.quicRetry = new Backoff(1_000, options.quicRetryMs ?? 60_000);
    this.holder = options.identity instanceof IdentityHolder ? options.identity : new IdentityHolder(options.identity);
  }

  /**
   * Closes the QUIC connection now (the certificate it was opened with expired); the next
   * one waits for a registration with a usable certificate.
   */
  interrupt(): void {
    this.interruptions += 1;
    this.wake?.();
  }

  get status(): TransportStatus | undefined {
    return this.lastStatus;
  }

  /** The daemon registered this node and announced its QUIC endpoint ('' when disabled). */
  announce(quicAddress: string): void {
    this.announced = quicAddress;
    this.registrations += 1;
    this.wake?.();
  }

  async run({ signal }: { signal: AbortSignal }): Promise<void> {
    const { fallback } = this.options;
    this.setStatus({ transport: 'connecting', fallback });
    while (!signal.aborted && this.announced === undefined) await this.waitForWake(signal);
    let quicWorkedBefore = false;
    while (!signal.aborted) {
      if (fallback === 'always') {
        this.setStatus({ transport: 'grpc', fallback, reason: 'QUIC not tried (--transport-fallback always)' });
        await this.grpcLoop(signal, { durationMs: Infinity });
        return;
      }
      const registration = this.registrations;
      const outcome = await this.quicSession(signal, registration);
      if (signal.aborted) return;
      if (outcome.connected) {
        quicWorkedBefore = true;
        this.quicRetry.reset();
        // It worked and dropped (a daemon restart, a network change, a new registration): try again at once.
        continue;
      }
      const error = outcome.error;
      if (fallback === 'never') {
        if (!quicWorkedBefore || outcome.noBinary === true || error.code === 'PALYRA_E_SERVER_IDENTITY') {
          throw new PalyraError(error.code, `${error.message} (--transport-fallback never: QUIC is required)`, { cause: error });
        }
        // QUIC worked before: the daemon may be restarting. Retry; no health meanwhile.
        this.setStatus({ transport: 'connecting', fallback, reason: error.message, ...this.quicAddressField() });
        if (this.registrations === registration) await this.waitForWake(signal, this.quicRetry.nextDelayMs());
        continue;
      }
      this.setStatus({ transport: 'grpc', fallback, reason: `${error.code}: ${error.message}`, ...this.quicAddressField() });
      // No binary: nothing changes by waiting. Else, retry after a backoff, or as soon as the
      // node registers again (the daemon may have come back, maybe with QUIC turned on).
      await this.grpcLoop(signal, outcome.noBinary === true ? { durationMs: Infinity } : { durationMs: this.quicRetry.nextDelayMs(), registration });
    }
  }

  /**
   * Connects over QUIC and serves health and events until the connection ends or the node
   * registers again (a registration after `registration`).
   */
  private async quicSession(signal: AbortSignal, registration: number): Promise<{ connected: true } | { connected: false; error: PalyraError; noBinary?: boolean }> {
    const identity = this.holder.current;
    if (Date.parse(identity.certExpiresAt) <= wallNow()) {
      // Never offer an expired certificate: wait (on the gRPC path) for the renewed one.
      return { connected: false, error: new PalyraError('PALYRA_E_UNAUTHENTICATED', `this node's certificate expired at ${identity.certExpiresAt}; waiting for its renewal`) };
    }
    const interruptions = this.interruptions;
    let address: HostPort;
    try {
      address = this.quicTarget();
    } catch (error) {
      return { connected: false, error: PalyraError.from(error) };
    }
    let quic: QuicModule;
    try {
      quic = await (this.options.loadQuic ?? loadQuic)();
    } catch (error) {
      return { connected: false, error: PalyraError.from(error, 'PALYRA_E_QUIC_UNAVAILABLE'), noBinary: true };
    }
    let client: QuicDaemonClient;
    try {
      client = await QuicDaemonClient.connect({
        address,
        credentials: identity,
        timeoutMs: this.options.quicConnectTimeoutMs ?? 5_000,
        quic,
        signal,
        ...(this.options.pinnedFingerprint === undefined ? {} : { pinnedFingerprint: this.options.pinnedFingerprint }),
      });
    } catch (error) {
      return { connected: false, error: PalyraError.from(error, 'PALYRA_E_QUIC_HANDSHAKE') };
    }
    const session = new AbortController();
    const onAbort = (): void => session.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let stream: QuicHealthStream | undefined;
    try {
      // One long-lived node.health_stream stream carries every ping (a frame each way). The
      // first ping proves the daemon accepted our certificate (it says so after the handshake).
      stream = await client.openHealthStream();
      const first = await stream.ping(healthParams());
      this.options.onHealth?.({ rttMs: first.rttMs, transport: 'quic', at: new Date() });
      this.setStatus({ transport: 'quic', fallback: this.options.fallback, quicAddress: formatAddress(address) });
      const onEvent = this.options.onEvent;
      if (onEvent !== undefined) void this.followEvents(client, onEvent, session.signal);
      const ended = client.closed.then((error) => {
        session.abort();
        return error;
      });
      const current = (): boolean => this.registrations === registration && this.interruptions === interruptions;
      while (!session.signal.aborted && current()) {
        await this.waitForWake(session.signal, this.options.intervalMs ?? 10_000);
        if (session.signal.aborted || !current()) break;
        try {
          // A broken stream (reset, timed out, refused ping) is replaced; the connection stays.
          stream ??= await client.openHealthStream();
          const sample = await stream.ping(healthParams());
          this.options.onHealth?.({ rttMs: sample.rttMs, transport: 'quic', at: new Date() });
        } catch {
          stream?.close();
          stream = undefined;
          if (client.closeReason !== undefined) break;
        }
      }
      await Promise.race([ended, sleep(100)]);
      return { connected: true };
    } catch (error) {
      return { connected: false, error: PalyraError.from(error, 'PALYRA_E_QUIC_HANDSHAKE') };
    } finally {
      signal.removeEventListener('abort', onAbort);
      session.abort();
      stream?.close();
      await client.close();
    }
  }

  private async followEvents(client: QuicDaemonClient, onEvent: (event: DaemonEvent) => void, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && client.closeReason === undefined) {
      try {
        await client.streamEvents({ onEvent, signal });
      } catch {
        // A failed subscription is retried while the connection lives; it is not fatal.
      }
      await sleep(1_000, signal);
    }
  }

  /**
   * Health pings as messages on the node's gRPC Session stream until `durationMs` passes, a
   * registration after `registration` (when given), or the signal: no HTTP/2 stream per ping.
   * A ping waits for the session when it is down (reconnecting); a failed one is simply
   * skipped. The registration is a counter, not a wake-up alone: one that lands while a ping
   * waits for the session (the usual moment: the session comes back with it) is not lost.
   */
  private async grpcLoop(signal: AbortSignal, { durationMs, registration }: { durationMs: number; registration?: number }): Promise<void> {
    const until = Date.now() + durationMs;
    const registeredAgain = (): boolean => registration !== undefined && this.registrations !== registration;
    while (!signal.aborted && Date.now() < until && !registeredAgain()) {
      const intervalMs = this.options.intervalMs ?? 10_000;
      const sample = await this.options.sessionHealth
        .ping(healthParams(), { signal, timeoutMs: Math.max(intervalMs, 5_000) })
        .catch(() => undefined);
      if (sample !== undefined) this.options.onHealth?.({ rttMs: sample.rttMs, transport: 'grpc', at: new Date() });
      const wait = Math.min(intervalMs, until - Date.now());
      if (wait <= 0 || registeredAgain()) break;
      await this.waitForWake(signal, wait);
    }
  }

  /** Resolves true when announce() was called, false after `ms` or on abort. */
  private waitForWake(signal: AbortSignal, ms = Infinity): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      const timer = ms === Infinity ? undefined : setTimeout(() => done(false), ms);
      const onAbort = (): void => done(false);
      const done = (woken: boolean): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (this.wake === wake) this.wake = undefined;
        resolve(woken);
      };
      const wake = (): void => done(true);
      this.wake = wake;
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private quicTarget(): HostPort {
    const text = this.options.quicAddress ?? this.announced ?? '';
    if (text === '') throw new PalyraError('PALYRA_E_QUIC_UNAVAILABLE', 'the daemon has QUIC disabled (it announced no QUIC endpoint)');
    const target = parseHostPort(text, 'the QUIC address');
    // A wildcard listen address means "the host you dialled for gRPC".
    if (['0.0.0.0', '::', ''].includes(target.host)) {
      return { host: parseHostPort(this.holder.current.daemonAddress, 'the daemon address').host, port: target.port };
    }
    return target;
  }

  private quicAddressField(): { quicAddress?: string } {
    try {
      return { quicAddress: formatAddress(this.quicTarget()) };
    } catch {
      return {};
    }
  }

  private setStatus(status: TransportStatus): void {
    const previous = this.lastStatus;
    this.lastStatus = status;
    if (previous !== undefined && JSON.stringify(previous) === JSON.stringify(status)) return;
    this.options.onStatus?.(status);
  }
}

/** What a health ping tells the daemon about this node. */
export function healthParams(): HealthParams {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return {
    sentAtMs: wallNow(),
    agentVersion: AGENT_VERSION,
    uptimeSec: Math.round(uptime()),
    loadAvg: [one, five, fifteen],
    memory: { totalBytes: totalmem(), freeBytes: freemem(), rssBytes: process.memoryUsage.rss() },
  };
}

function formatAddress({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
