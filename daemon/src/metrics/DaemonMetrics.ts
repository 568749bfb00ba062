import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CERT_STATES } from '@palyra/shared/renewal';
import { DISPATCH_STATUSES, type DispatchStatus } from '../dispatch/types.js';
import type { NodeTransport } from '../health/NodeHealth.js';
import { BoundedLabel } from './BoundedLabel.js';
import type { FleetSnapshot } from './fleetSnapshot.js';

/** Distinct capability label values kept; the rest are counted under "other". */
export const MAX_CAPABILITY_LABELS = 200;
export const PAIRING_OUTCOMES = ['approved', 'rejected', 'expired', 'failed'] as const;
export type PairingOutcome = (typeof PAIRING_OUTCOMES)[number];
export const NODE_TRANSPORT_LABELS = ['quic', 'grpc', 'none'] as const;

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const RTT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** A node-reported round trip above this is not believed (counted in the +Inf bucket as this). */
const MAX_RTT_SECONDS = 3600;

/**
 * The daemon's Prometheus metrics (docs/metrics.md lists each one; a test checks the list).
 * Events add to counters and histograms as they happen (one increment on the dispatch path);
 * gauges over the fleet are computed at scrape time from `snapshot`, so an idle daemon does
 * no metrics work at all.
 */
export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly capabilities = new BoundedLabel(MAX_CAPABILITY_LABELS);
  private readonly dispatches: Counter<'state' | 'capability'>;
  private readonly dispatchDuration: Histogram<'state'>;
  private readonly pairings: Counter<'outcome'>;
  private readonly roundTrips: Histogram<'transport'>;
  private renders = 0;
  private scrapeSnapshot: FleetSnapshot | undefined;

  constructor(snapshot: () => FleetSnapshot, { processMetrics = true }: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.dispatches = new Counter({
      name: 'palyra_dispatches_total',
      help: 'Dispatches that reached a final state, by state and capability (at most 200 capability values, then "other").',
      labelNames: ['state', 'capability'],
      registers,
    });
    this.dispatchDuration = new Histogram({
      name: 'palyra_dispatch_duration_seconds',
      help: 'Time from a dispatch being accepted to its final state, by final state.',
      labelNames: ['state'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    for (const state of DISPATCH_STATUSES) this.dispatchDuration.zero({ state });
    this.pairings = new Counter({ name: 'palyra_pairing_outcomes_total', help: 'Pairing requests by outcome: approved, rejected, expired, or failed (an exchange that broke off: wrong PIN, timeout, protocol error).', labelNames: ['outcome'], registers });
    for (const outcome of PAIRING_OUTCOMES) this.pairings.inc({ outcome }, 0);
    this.roundTrips = new Histogram({
      name: 'palyra_health_round_trip_seconds',
      help: 'Health round trips nodes reported, by transport.',
      labelNames: ['transport'],
      buckets: RTT_BUCKETS,
      registers,
    });
    // One snapshot per scrape, shared by the gauges below (render() holds it while the registry
    // collects; the registry awaits between metrics, so a microtask-scoped cache would not do).
    const current = (): FleetSnapshot => (this.renders > 0 ? (this.scrapeSnapshot ??= snapshot()) : snapshot());
    new Gauge({
      name: 'palyra_nodes',
      help: 'Registered nodes by status (online, offline) and transport of their health channel (quic, grpc, none when offline).',
      labelNames: ['status', 'transport'],
      registers,
      collect() {
        const { nodes } = current();
        for (const status of ['online', 'offline'] as const) {
          for (const transport of NODE_TRANSPORT_LABELS) this.set({ status, transport }, nodes[status][transport]);
        }
      },
    });
    new Gauge({
      name: 'palyra_nodes_by_cert_state',
      help: 'Registered nodes by certificate state (valid, renewing, expiring, expired, in_grace).',
      labelNames: ['state'],
      registers,
      collect() {
        const { certStates } = current();
        for (const state of CERT_STATES) this.set({ state }, certStates[state]);
      },
    });
    new Gauge({
      name: 'palyra_node_cert_earliest_expiry_seconds',
      help: 'Seconds until the earliest node certificate expires (negative: already expired); NaN with no nodes.',
      registers,
      collect() {
        // NaN, not 0, with no nodes: a comparison in an alert rule is then false, never "expires now".
        this.set(current().earliestCertExpirySeconds ?? Number.NaN);
      },
    });
    new Gauge({
      name: 'palyra_dispatch_queue_depth',
      help: 'Dispatches waiting in the nodes\' queues, not yet sent (all nodes).',
      registers,
      collect() {
        this.set(current().queue.waiting);
      },
    });
    new Gauge({
      name: 'palyra_dispatches_in_flight',
      help: 'Dispatches sent to their node and not finished yet (all nodes).',
      registers,
      collect() {
        this.set(current().queue.inFlight);
      },
    });
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'palyra_' });
  }

  /** A dispatch reached its final state after `seconds`. */
  dispatchFinished(capability: string, state: DispatchStatus, seconds: number): void {
    this.dispatches.inc({ state, capability: this.capabilities.value(capability) });
    this.dispatchDuration.observe({ state }, Math.max(0, seconds));
  }

  pairingOutcome(outcome: PairingOutcome): void {
    this.pairings.inc({ outcome });
  }

  /** A round trip a node reported (its number: bounded before it is observed). */
  healthRoundTrip(transport: NodeTransport, rttMs: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) return;
    this.roundTrips.observe({ transport }, Math.min(rttMs / 1000, MAX_RTT_SECONDS));
  }

  /** The Prometheus text exposition. */
  async render(): Promise<{ contentType: string; body: string }> {
    this.renders += 1;
    try {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    } finally {
      this.renders -= 1;
      if (this.renders === 0) this.scrapeSnapshot = undefined;
    }
  }
}
