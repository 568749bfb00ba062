import { createTestPause } from '@palyra/shared/testing';

/**
 * Test seam, like PALYRA_TEST_CLOCK_OFFSET_MS: PALYRA_TEST_RENEWAL_PAUSE=<step> makes the
 * agent stop at that step of its FIRST renewal, print
 * `palyra-node test-pause renewal step=<step>` on stdout, and wait for SIGUSR2. An end-to-end
 * test uses it to kill the agent or the daemon exactly "during a renewal" instead of racing a
 * timer. Steps: `challenged` (the daemon sent its nonce, no proof yet), `issued` (the new
 * certificate arrived, nothing stored), `stored` (in the vault, not switched to). Nothing
 * else reads that variable; unset, this is a no-op.
 */
export type RenewalStep = 'challenged' | 'issued' | 'stored';

export const testPause = createTestPause<RenewalStep>('PALYRA_TEST_RENEWAL_PAUSE', 'palyra-node test-pause renewal');
