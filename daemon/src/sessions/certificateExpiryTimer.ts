/** setTimeout's longest delay (about 24.8 days); longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ExpiryTimerOptions {
  /** Clock (tests inject one). */
  now?: (() => Date) | undefined;
}

/**
 * Calls `onExpired` once `expiresAt` has passed by the clock: a live connection (gRPC Session,
 * QUIC) must end when the certificate it authenticated with expires, since nothing
 * re-authenticates it. Lifetimes reach 365 days, past setTimeout's limit, so a long wait is
 * cut into steps; each step re-reads the clock, so an injected clock that jumps ahead is
 * seen at the next step. The timer does not keep the process alive.
 */
export function certificateExpiryTimer(expiresAt: Date, onExpired: () => void, { now = () => new Date() }: ExpiryTimerOptions = {}): { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = (): void => {
    if (cancelled) return;
    const left = expiresAt.getTime() - now().getTime();
    if (left <= 0) {
      cancelled = true;
      onExpired();
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return {
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}
