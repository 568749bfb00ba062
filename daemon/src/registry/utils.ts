/** Milliseconds since the epoch of an ISO-8601 timestamp (validated elsewhere). */
export function timeOf(iso: string): number {
  return Date.parse(iso);
}

export function isoAfter(now: Date, ms: number): string {
  return new Date(now.getTime() + ms).toISOString();
}

/** Device ids are ULIDs; Crockford base32 is case-insensitive, the canonical form upper case. */
export function canonicalDeviceId(id: string): string {
  return /^[0-9a-z]{26}$/i.test(id) ? id.toUpperCase() : id;
}
