import { PalyraError } from '@palyra/shared/errors';
import type { FanoutPlan } from './types.js';

/** Parses `--batch N` or `--batch P%` (PALYRA_E_USAGE otherwise). */
export function parseBatchOption(text: string): NonNullable<FanoutPlan['batch']> {
  const percent = /^(\d{1,3})%$/.exec(text);
  if (percent) {
    const value = Number(percent[1]);
    if (value >= 1 && value <= 100) return { percent: value };
  } else if (/^\d{1,9}$/.test(text) && Number(text) >= 1) {
    return { count: Number(text) };
  }
  throw new PalyraError('PALYRA_E_USAGE', `--batch must be a count of nodes (5) or a percentage from 1% to 100% (25%), not ${JSON.stringify(text)}`);
}

/** Nodes per batch for `total` nodes: a percentage rounds up, so every batch holds at least one node. */
export function batchSize(batch: FanoutPlan['batch'], total: number): number {
  if (batch === undefined) return Math.max(total, 1);
  if ('count' in batch) return batch.count;
  return Math.max(1, Math.ceil((total * batch.percent) / 100));
}
