import { CERT_STATES, type CertState } from '@palyra/shared/renewal';
import { nodeCertState } from '../certificates/nodeCertState.js';
import type { NodeRecord } from '../registry/types.js';
import type { NodeTransport } from '../health/NodeHealth.js';

type TransportLabel = NodeTransport | 'none';

/** What the fleet gauges show, computed once per scrape. */
export interface FleetSnapshot {
  nodes: Record<'online' | 'offline', Record<TransportLabel, number>>;
  certStates: Record<CertState, number>;
  earliestCertExpirySeconds: number | undefined;
  queue: { waiting: number; inFlight: number };
}

export interface FleetSources {
  nodes: () => Iterable<Readonly<NodeRecord>>;
  isOnline: (deviceId: string) => boolean;
  transportOf: (deviceId: string, online: boolean) => NodeTransport | undefined;
  queue: () => { waiting: number; inFlight: number };
  now: () => Date;
  graceMs: number;
}

/** One pass over the registered nodes (O(nodes) per scrape, nothing between scrapes). */
export function fleetSnapshot(sources: FleetSources): FleetSnapshot {
  const empty = (): Record<TransportLabel, number> => ({ quic: 0, grpc: 0, none: 0 });
  const nodes = { online: empty(), offline: empty() };
  const certStates = Object.fromEntries(CERT_STATES.map((state) => [state, 0])) as Record<CertState, number>;
  const now = sources.now();
  let earliest: number | undefined;
  for (const node of sources.nodes()) {
    const online = sources.isOnline(node.deviceId);
    nodes[online ? 'online' : 'offline'][online ? (sources.transportOf(node.deviceId, true) ?? 'none') : 'none'] += 1;
    certStates[nodeCertState(node, { now, graceMs: sources.graceMs })] += 1;
    const expires = new Date(node.certExpiresAt).getTime();
    if (Number.isFinite(expires) && (earliest === undefined || expires < earliest)) earliest = expires;
  }
  return {
    nodes,
    certStates,
    earliestCertExpirySeconds: earliest === undefined ? undefined : (earliest - now.getTime()) / 1000,
    queue: sources.queue(),
  };
}
