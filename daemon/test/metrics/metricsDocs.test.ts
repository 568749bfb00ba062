import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../../src/metrics/DaemonMetrics.js';
import type { FleetSnapshot } from '../../src/metrics/fleetSnapshot.js';

const METRICS_DOC = new URL('../../../docs/metrics.md', import.meta.url);

const EMPTY: FleetSnapshot = {
  nodes: { online: { quic: 0, grpc: 0, none: 0 }, offline: { quic: 0, grpc: 0, none: 0 } },
  certStates: { valid: 0, renewing: 0, expiring: 0, expired: 0, in_grace: 0 },
  earliestCertExpirySeconds: undefined,
  queue: { waiting: 0, inFlight: 0 },
};

/** The metrics table of docs/metrics.md: name, type, label names. */
async function documented(): Promise<Array<{ name: string; type: string; labels: string[] }>> {
  const lines = (await readFile(METRICS_DOC, 'utf8')).split('\n');
  const start = lines.findIndex((line) => line.startsWith('| Name | Type | Labels | Meaning |'));
  expect(start).toBeGreaterThanOrEqual(0);
  const rows = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [name = '', type = '', labels = ''] = line.split('|').slice(1, -1).map((cell) => cell.trim());
    // A label is a backticked name followed by its values in parentheses, or nothing.
    const labelNames = [...labels.replace(/\([^)]*\)/g, '').matchAll(/`([a-z_]+)`/g)].map((match) => match[1] ?? '');
    rows.push({ name: name.replaceAll('`', ''), type, labels: labelNames });
  }
  return rows;
}

describe('docs/metrics.md and the registry', () => {
  it('lists every palyra metric with its type and labels, and nothing else', async () => {
    const metrics = new DaemonMetrics(() => EMPTY, { processMetrics: false });
    const registered = (await metrics.registry.getMetricsAsJSON()).map((metric) => ({
      name: metric.name,
      type: String(metric.type),
      labels: [...new Set(metric.values.flatMap((value) => Object.keys(value.labels).filter((label) => label !== 'le')))].sort(),
    }));
    const docs = (await documented()).map((row) => ({ ...row, labels: [...row.labels].sort() }));
    // Series with no value yet have no labels to read: compare label names where the registry shows some.
    const pairs = (rows: Array<{ name: string; type: string }>): string[] => rows.map((row) => `${row.name} ${row.type}`).sort();
    expect(pairs(docs)).toEqual(pairs(registered));
    for (const row of registered) {
      if (row.labels.length > 0) expect(docs.find((doc) => doc.name === row.name)?.labels, row.name).toEqual(row.labels);
    }
  });

  it('prefixes the default process metrics with palyra_', async () => {
    const metrics = new DaemonMetrics(() => EMPTY);
    const names = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names.some((name) => name.startsWith('palyra_process_'))).toBe(true);
    expect(names.filter((name) => !name.startsWith('palyra_'))).toEqual([]);
  });
});
