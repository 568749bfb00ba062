/**
 * The agent's wall clock, for everything that compares against a deadline or tells the
 * daemon the time (health pings). One seam for tests only: PALYRA_TEST_CLOCK_OFFSET_MS
 * shifts this clock by that many ms, so a test can run a real agent whose clock is wrong
 * (the system clock cannot be changed in a test). Nothing else reads that variable.
 */
const TEST_OFFSET_MS = parseOffset(process.env.PALYRA_TEST_CLOCK_OFFSET_MS);

/** Milliseconds since the epoch on this node's clock. */
export function wallNow(): number {
  return Date.now() + TEST_OFFSET_MS;
}

function parseOffset(value: string | undefined): number {
  const offset = Number(value ?? '');
  return Number.isSafeInteger(offset) ? offset : 0;
}
