import { describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../../src/metrics/DaemonMetrics.js';
import type { FleetSnapshot } from '../../src/metrics/fleetSnapshot.js';

const SNAPSHOT: FleetSnapshot = {
  nodes: { online: { quic: 3, grpc: 1, none: 0 }, offline: { quic: 0, grpc: 0, none: 2 } },
  certStates: { valid: 5, renewing: 0, expiring: 1, expired: 0, in_grace: 0 },
  earliestCertExpirySeconds: 120.5,
  queue: { waiting: 7, inFlight: 2 },
};

describe('DaemonMetrics', () => {
  it('walks the fleet once per scrape and shows what it found', async () => {
    let snapshots = 0;
    const metrics = new DaemonMetrics(
      () => {
        snapshots += 1;
        return SNAPSHOT;
      },
      { processMetrics: false },
    );
    const { body, contentType } = await metrics.render();
    expect(snapshots).toBe(1);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('palyra_nodes{status="online",transport="quic"} 3');
    expect(body).toContain('palyra_nodes{status="offline",transport="none"} 2');
    expect(body).toContain('palyra_nodes_by_cert_state{state="expiring"} 1');
    expect(body).toContain('palyra_node_cert_earliest_expiry_seconds 120.5');
    expect(body).toContain('palyra_dispatch_queue_depth 7');
    expect(body).toContain('palyra_dispatches_in_flight 2');
    await metrics.render();
    expect(snapshots).toBe(2);
  });

  it('ignores round trips that are not a number of seconds, and caps absurd ones', async () => {
    const metrics = new DaemonMetrics(() => SNAPSHOT, { processMetrics: false });
    for (const rtt of [Number.NaN, -5, Number.POSITIVE_INFINITY]) metrics.healthRoundTrip('quic', rtt);
    metrics.healthRoundTrip('quic', 1e12);
    metrics.healthRoundTrip('grpc', 2);
    const { body } = await metrics.render();
    expect(body).toContain('palyra_health_round_trip_seconds_count{transport="quic"} 1');
    expect(body).toContain('palyra_health_round_trip_seconds_sum{transport="quic"} 3600');
    expect(body).toContain('palyra_health_round_trip_seconds_bucket{le="0.0025",transport="grpc"} 1');
  });
});
