import { PalyraError } from '@palyra/shared/errors';
import type { HealthParams } from '@palyra/shared/quic';
import { TokenBuckets } from '../limits/TokenBuckets.js';

/**
 * Health pings a node may send per second by default, and twice that at once. Agents ping
 * every 10 s (tests every 100 ms); a node pinging faster is misbehaving, and each ping costs
 * the daemon CPU, so it loses the channel it floods (and reconnects with its backoff).
 */
export const HEALTH_PINGS_PER_SECOND = 10;
export const HEALTH_PING_BURST = 2 * HEALTH_PINGS_PER_SECOND;

export type NodeTransport = 'quic' | 'grpc';

export interface NodeHealthRecord {
  /** Last health round trip the node measured, ms. */
  rttMs: number | null;
  /** When the last health ping arrived (ISO-8601). */
  at: string;
  /** The transport the last ping came over. */
  transport: NodeTransport;
  agentVersion: string;
  uptimeSec: number;
  loadAvg: [number, number, number];
  memory: HealthParams['memory'];
  /**
   * How far the node's clock is ahead of the daemon's (negative: behind), ms: the ping's
   * sent-at time plus half the last round trip, against the daemon's clock at arrival.
   */
  clockSkewMs: number;
}

/** A node clock off by more than this is flagged in `nodes list` (deadlines no longer depend on it). */
export const CLOCK_SKEW_WARNING_MS = 5_000;

/**
 * What the daemon knows of each node's health channel, in memory: the last health ping (its
 * round trip, load and memory figures) and how many authenticated QUIC connections the node
 * holds right now. Not persisted: it describes live connections.
 */
export class NodeHealth {
  private readonly records = new Map<string, NodeHealthRecord>();
  private readonly quicConnections = new Map<string, number>();
  /** Pings each node may still send now, refilled with time. */
  private readonly pingBudgets: TokenBuckets;
  private readonly pingsPerSecond: number;

  private readonly onRoundTrip: ((transport: NodeTransport, rttMs: number) => void) | undefined;

  /** @param onRoundTrip told every round trip a node reports (the metrics' histogram). */
  constructor({ pingsPerSecond = HEALTH_PINGS_PER_SECOND, onRoundTrip }: { pingsPerSecond?: number; onRoundTrip?: (transport: NodeTransport, rttMs: number) => void } = {}) {
    this.pingsPerSecond = pingsPerSecond;
    this.onRoundTrip = onRoundTrip;
    this.pingBudgets = new TokenBuckets(2 * pingsPerSecond, 1000 / pingsPerSecond);
  }

  /**
   * Spends one of the node's health pings (a burst of twice the rate, refilled at the rate,
   * across all its channels); throws PALYRA_E_LIMIT_EXCEEDED when it has none left, before
   * any work is done for the ping.
   */
  admitPing(deviceId: string, at: Date = new Date()): void {
    if (this.pingBudgets.take(deviceId, at.getTime()) > 0) {
      throw new PalyraError(
        'PALYRA_E_LIMIT_EXCEEDED',
        `node ${deviceId} sends health pings faster than ${this.pingsPerSecond} per second (burst ${this.pingBudgets.burst})`,
      );
    }
  }

  /** A health ping arrived. */
  recordPing(deviceId: string, params: HealthParams, transport: NodeTransport, at: Date = new Date()): void {
    const previous = this.records.get(deviceId);
    const rttMs = previous?.transport === transport ? previous.rttMs : null;
    this.records.set(deviceId, {
      rttMs,
      at: at.toISOString(),
      transport,
      agentVersion: params.agentVersion,
      uptimeSec: params.uptimeSec,
      loadAvg: params.loadAvg,
      memory: params.memory,
      clockSkewMs: Math.round(params.sentAtMs + (rttMs ?? 0) / 2 - at.getTime()),
    });
  }

  /** The node reported the round trip of a ping. */
  recordRtt(deviceId: string, rttMs: number, transport: NodeTransport): void {
    const record = this.records.get(deviceId);
    if (record === undefined) return;
    this.records.set(deviceId, { ...record, rttMs: Math.round(rttMs * 1000) / 1000, transport });
    this.onRoundTrip?.(transport, rttMs);
  }

  get(deviceId: string): Readonly<NodeHealthRecord> | undefined {
    return this.records.get(deviceId);
  }

  quicOpened(deviceId: string): void {
    this.quicConnections.set(deviceId, (this.quicConnections.get(deviceId) ?? 0) + 1);
  }

  quicClosed(deviceId: string): void {
    const count = (this.quicConnections.get(deviceId) ?? 0) - 1;
    if (count > 0) this.quicConnections.set(deviceId, count);
    else this.quicConnections.delete(deviceId);
  }

  hasQuic(deviceId: string): boolean {
    return this.quicConnections.has(deviceId);
  }

  /**
   * The node's health/events channel while its gRPC session is open (online): quic when it
   * holds a QUIC connection, else grpc. Offline: undefined, even while a QUIC connection of a
   * node that died without a goodbye waits out its idle timeout (a minute).
   */
  transportOf(deviceId: string, grpcOnline: boolean): NodeTransport | undefined {
    if (!grpcOnline) return undefined;
    return this.hasQuic(deviceId) ? 'quic' : 'grpc';
  }

  /** A removed node: its figures go with it. */
  forget(deviceId: string): void {
    this.records.delete(deviceId);
    this.pingBudgets.delete(deviceId);
  }
}
