/** How a bounded call ended. */
export type BoundedResult =
  | { readonly status: 'ok' }
  | { readonly status: 'threw'; readonly error: unknown }
  | { readonly status: 'timed_out' }
  | { readonly status: 'aborted'; readonly reason: unknown };

/**
 * Runs `fn` with a signal that aborts after `timeoutMs` or when `outer` aborts, and returns
 * as soon as either happens even if `fn` ignores its signal (its late result is dropped).
 * Never rejects.
 */
export async function runBounded(
  fn: (signal: AbortSignal) => unknown,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<BoundedResult> {
  if (outer?.aborted === true) return { status: 'aborted', reason: outer.reason };
  const controller = new AbortController();
  let settle!: (result: BoundedResult) => void;
  const stopped = new Promise<BoundedResult>((resolve) => (settle = resolve));
  const timer = setTimeout(() => {
    settle({ status: 'timed_out' });
    controller.abort(new Error(`did not finish within ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = (): void => {
    settle({ status: 'aborted', reason: outer?.reason });
    controller.abort(outer?.reason);
  };
  outer?.addEventListener('abort', onAbort, { once: true });
  const running = (async (): Promise<BoundedResult> => {
    try {
      await fn(controller.signal);
      return { status: 'ok' };
    } catch (error) {
      return { status: 'threw', error };
    }
  })();
  try {
    return await Promise.race([stopped, running]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}
