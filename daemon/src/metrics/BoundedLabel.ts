/** Label value for whatever did not fit in a BoundedLabel's set. */
export const OTHER_LABEL = 'other';

/**
 * Folds label values into a bounded set: the first `max` distinct values keep their name,
 * every later one becomes "other". Capability names are announced by nodes (attacker-
 * controlled): without the cap, a node could create time series without end in every
 * scraper. Values longer than `maxLength` are folded as well (a label is not a dump).
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly maxLength = 128,
  ) {}

  value(raw: string): string {
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.max || raw.length === 0 || raw.length > this.maxLength || raw === OTHER_LABEL) return OTHER_LABEL;
    this.seen.add(raw);
    return raw;
  }
}
