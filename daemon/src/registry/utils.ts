/** Milliseconds since the epoch of an ISO-8601 timestamp (validated elsewhere). */
export function timeOf(iso: string): number {
  return Date.parse(iso);
}

export function isoAfter(now: Date, ms: number): string {
  return new Date(now.getTime() + ms).toISOString();
}

/** Whether `expiresAt` is now or past. */
export function expired(expiresAt: string, now: Date): boolean {
  return timeOf(expiresAt) <= now.getTime();
}

/** An ISO-8601 timestamp of a value callers may give as either. */
export function isoOf(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : value;
}
