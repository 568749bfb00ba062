import { createTestPause } from '@palyra/shared/testing';
import type { RotateStep } from './CertificateAuthority.js';

/**
 * Test seam, like the agent's PALYRA_TEST_RENEWAL_PAUSE: PALYRA_TEST_CA_ROTATE_PAUSE=<step>
 * makes the daemon stop after that durable step of its FIRST CA rotation (`key`: the new key
 * is in the vault; `certificate`: its certificate is written too; `state`: the CA state record
 * names it), print `palyrad test-pause ca-rotate step=<step>` on stdout and wait for SIGUSR2.
 * An end-to-end test kills the daemon there (kill -9) and checks what a restart loads. Nothing
 * else reads that variable; unset, this is a no-op.
 */
export const caRotateTestPause = createTestPause<RotateStep>('PALYRA_TEST_CA_ROTATE_PAUSE', 'palyrad test-pause ca-rotate');
