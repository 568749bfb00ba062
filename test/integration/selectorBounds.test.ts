/**
 * Review of issue 17 (selectors): a selector is the caller's input (a token holder's too). One
 * far past the length bound is refused with PALYRA_E_SELECTOR_INVALID, and the error does not
 * echo the whole input back (a megabyte in the status trailers breaks the answer itself).
 * Real in-process daemon, ListNodes over its control socket.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CA_SETUP_TIMEOUT_MS, Scope, TEST_TIMEOUT_MS, prepareCas, startDaemon } from './harness.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

describe('selector bounds', { timeout: TEST_TIMEOUT_MS }, () => {
  it('a 512 KiB selector is PALYRA_E_SELECTOR_INVALID with a bounded message', async () => {
    const d = await startDaemon(scope);
    for (const selector of ['a'.repeat(512 * 1024), `env in (${Array.from({ length: 60_000 }, (_, i) => `v${i}`).join(',')})`]) {
      const refused = await d.control.listNodes({ selector }).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message: string; details?: Record<string, unknown> },
      );
      expect(refused?.code).toBe('PALYRA_E_SELECTOR_INVALID');
      expect(refused?.message.length ?? 0).toBeLessThan(1024);
      expect(refused?.details?.column).toBe(4097);
    }
  });
});
