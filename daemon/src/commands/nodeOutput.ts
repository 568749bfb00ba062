import type { NodeInfo__Output } from '@palyra/proto';

/** A node as `nodes list --json` (and `nodes label`, `nodes describe`) print it. */
export function nodeRow(n: NodeInfo__Output) {
  return {
    deviceId: n.deviceId,
    name: n.name,
    platform: n.platform,
    hostname: n.hostname,
    agentVersion: n.agentVersion,
    capabilities: n.capabilities,
    labels: n.labels,
    // Where each label comes from: the node's config, or an operator (palyrad nodes label); the operator's win.
    nodeLabels: n.nodeLabels,
    operatorLabels: n.operatorLabels,
    status: n.status,
    lastSeen: n.lastSeen === '' ? null : n.lastSeen,
    certFingerprint: n.certFingerprint,
    certExpiresAt: n.certExpiresAt,
    // valid | renewing | expiring | expired | in_grace (see docs/security.md).
    certState: n.certState,
    // notBefore of the current certificate; null for records older than renewal.
    certIssuedAt: n.certIssuedAt === '' ? null : n.certIssuedAt,
    // When a renewal issued the current certificate; null: issued at pairing.
    certRenewedAt: n.certRenewedAt === '' ? null : n.certRenewedAt,
    // quic | grpc: the channel the node's health pings and events use; null when offline.
    transport: n.transport === 'quic' || n.transport === 'grpc' ? n.transport : null,
    // The last health round trip in ms; null before the first ping.
    healthRttMs: n.lastHealthAt === '' ? null : n.healthRttMs,
    // How far the node's clock is ahead of the daemon's, in ms; null before the first ping.
    clockSkewMs: n.lastHealthAt === '' ? null : n.clockSkewMs,
  };
}

export type NodeRow = ReturnType<typeof nodeRow>;
