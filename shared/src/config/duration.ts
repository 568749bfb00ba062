import { PalyraError } from '../errors/index.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "500ms", "30s", "10m", "2h", "7d" (or a bare number of seconds) into milliseconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const amount = match?.[1];
  if (match === null || amount === undefined) {
    throw new PalyraError('PALYRA_E_USAGE', `${what} "${text}" is not a duration: use a number with ms, s, m, h or d, e.g. 10m`);
  }
  const ms = Number(amount) * (UNITS[match[2] ?? 's'] ?? 1000);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new PalyraError('PALYRA_E_USAGE', `${what} "${text}" must be greater than zero`);
  }
  return Math.round(ms);
}
