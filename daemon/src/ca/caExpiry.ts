/** A CA with less than this left is warned about: a rotation must outlast every node's longest time offline. */
export const CA_EXPIRY_WARNING_MS = 365 * 24 * 60 * 60 * 1000;

/** The warning `palyrad status` prints for a CA expiring at `notAfter` (ISO-8601), or undefined while more than a year is left. */
export function caExpiryWarning(notAfter: string, now: Date): string | undefined {
  const left = Date.parse(notAfter) - now.getTime();
  if (Number.isNaN(left) || left >= CA_EXPIRY_WARNING_MS) return undefined;
  if (left <= 0) return `the CA expired on ${notAfter}: nodes can no longer verify it; rotate it with palyrad ca rotate`;
  return `the CA expires on ${notAfter} (in ${Math.floor(left / 86_400_000)} days): rotate it with palyrad ca rotate, then palyrad ca finish once the nodes have moved`;
}
