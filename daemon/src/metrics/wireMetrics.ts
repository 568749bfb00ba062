import type { Dispatch } from '../dispatch/index.js';
import type { DispatchStatus } from '../dispatch/types.js';
import type { NodeRegistry } from '../registry/index.js';
import { OTHER_LABEL } from './BoundedLabel.js';
import type { PairingOutcome, DaemonMetrics } from './DaemonMetrics.js';

/**
 * Counts a dispatch once it reaches its final state (its capability as the label only when its
 * node announces it: a rejected unknown capability is the caller's text, counted as "other"):
 * one listener on the dispatch, one counter
 * increment and one histogram observation at its end (nothing else on the dispatch path).
 */
export function observeDispatch(metrics: DaemonMetrics, dispatch: Dispatch, announced: (deviceId: string, capability: string) => boolean): void {
  const unsubscribe = dispatch.subscribe((event) => {
    if (event.type !== 'result') return;
    const finishedAt = dispatch.finishedAt ?? Date.now();
    // A capability the node does not announce is whatever the caller typed: never a label value.
    const capability = announced(dispatch.deviceId, dispatch.capability) ? dispatch.capability : OTHER_LABEL;
    metrics.dispatchFinished(capability, event.result.status as DispatchStatus, (finishedAt - dispatch.createdAt) / 1000);
    // A finished dispatch replays its result to a late subscriber: unsubscribe after the first.
    queueMicrotask(() => unsubscribe());
  });
}

/** Request ids already counted, kept this many (a request reaches a final state once; this only guards against a repeated change). */
const COUNTED_REQUESTS = 4_096;

/** Pairing requests reaching approved, rejected or expired. Returns the unwiring. */
export function countPairingOutcomes(metrics: DaemonMetrics, registry: NodeRegistry): () => void {
  const counted = new Set<string>();
  return registry.onRequestChange((request) => {
    if (request.state === 'pending_approval' || counted.has(request.requestId)) return;
    counted.add(request.requestId);
    if (counted.size > COUNTED_REQUESTS) counted.delete(counted.values().next().value as string);
    metrics.pairingOutcome(request.state satisfies PairingOutcome);
  });
}
