import { describe, expect, it } from 'vitest';
import { BoundedLabel, OTHER_LABEL } from '../../src/metrics/BoundedLabel.js';
import { DaemonMetrics, MAX_CAPABILITY_LABELS } from '../../src/metrics/DaemonMetrics.js';
import type { FleetSnapshot } from '../../src/metrics/fleetSnapshot.js';

describe('BoundedLabel', () => {
  it('keeps the first values and folds the rest, too long and empty ones into "other"', () => {
    const label = new BoundedLabel(2, 8);
    expect(['a', 'b', 'a', 'c', '', 'x'.repeat(9), 'b'].map((value) => label.value(value))).toEqual(['a', 'b', 'a', OTHER_LABEL, OTHER_LABEL, OTHER_LABEL, 'b']);
  });

  it('caps the capability label values of the dispatch counter, whatever nodes announce', async () => {
    const snapshot = (): FleetSnapshot => {
      throw new Error('not scraped here');
    };
    const metrics = new DaemonMetrics(snapshot, { processMetrics: false });
    for (let i = 0; i < MAX_CAPABILITY_LABELS + 50; i += 1) metrics.dispatchFinished(`evil.cap${i}`, 'succeeded', 0.01);
    const counter = await metrics.registry.getSingleMetric('palyra_dispatches_total')?.get();
    const capabilities = new Set(counter?.values.map((value) => value.labels.capability));
    expect(capabilities.size).toBe(MAX_CAPABILITY_LABELS + 1);
    expect(counter?.values.find((value) => value.labels.capability === OTHER_LABEL)?.value).toBe(50);
  });
});
