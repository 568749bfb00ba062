import type { HealthParams } from '@palyra/shared/quic';

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
}

/**
 * What the daemon knows of each node's health channel, in memory: the last health ping (its
 * round trip, load and memory figures) and how many authenticated QUIC connections the node
 * holds right now. Not persisted: it describes live connections.
 */
export class NodeHealth {
  private readonly records = new Map<string, NodeHealthRecord>();
  private readonly quicConnections = new Map<string, number>();

  /** A health ping arrived. */
  recordPing(deviceId: string, params: HealthParams, transport: NodeTransport, at: Date = new Date()): void {
    const previous = this.records.get(deviceId);
    this.records.set(deviceId, {
      rttMs: previous?.transport === transport ? previous.rttMs : null,
      at: at.toISOString(),
      transport,
      agentVersion: params.agentVersion,
      uptimeSec: params.uptimeSec,
      loadAvg: params.loadAvg,
      memory: params.memory,
    });
  }

  /** The node reported the round trip of a ping. */
  recordRtt(deviceId: string, rttMs: number, transport: NodeTransport): void {
    const record = this.records.get(deviceId);
    if (record === undefined) return;
    this.records.set(deviceId, { ...record, rttMs: Math.round(rttMs * 1000) / 1000, transport });
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
   * The node's health/events channel: quic while it holds a QUIC connection, else grpc while
   * its gRPC session is open, else undefined (offline).
   */
  transportOf(deviceId: string, grpcOnline: boolean): NodeTransport | undefined {
    if (this.hasQuic(deviceId)) return 'quic';
    return grpcOnline ? 'grpc' : undefined;
  }

  /** A removed node: its figures go with it. */
  forget(deviceId: string): void {
    this.records.delete(deviceId);
  }
}
