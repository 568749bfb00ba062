import { CERT_STATES, certState, type CertState } from '@palyra/shared/renewal';
import type { NodeRecord } from '../registry/types.js';

export interface CertStateContext {
  now: Date;
  /** The daemon's renewal grace. */
  graceMs: number;
}

/**
 * A registered node's certificate state as operators see it: `renewing` while the daemon
 * holds a previous certificate for it (a renewal issued one the node has not presented yet).
 */
export function nodeCertState(node: Readonly<NodeRecord>, { now, graceMs }: CertStateContext): CertState {
  return certState(
    { issuedAt: node.certIssuedAt, expiresAt: node.certExpiresAt },
    { now, graceMs, renewing: node.previousCertFingerprint !== undefined },
  );
}

export type CertStateCounts = Record<CertState, number>;

/** Nodes per certificate state (every state present, 0 when none). */
export function countCertStates(nodes: Iterable<Readonly<NodeRecord>>, context: CertStateContext): CertStateCounts {
  const counts = Object.fromEntries(CERT_STATES.map((state) => [state, 0])) as CertStateCounts;
  for (const node of nodes) counts[nodeCertState(node, context)] += 1;
  return counts;
}
