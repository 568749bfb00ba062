import { it } from 'vitest';

/**
 * The OS vault tests talk only to the private, throwaway Secret Service that
 * scripts/with-secret-service.sh starts (it exports PALYRA_TEST_SECRET_SERVICE=started inside
 * its D-Bus session), never to whatever session bus happens to exist: on a developer's
 * desktop that is the real keyring. test/setup/sessionBus.ts also hides any other bus from
 * the run. Without the private one these tests skip, or fail when CI asks for it
 * (PALYRA_REQUIRE_SECRET_SERVICE=1).
 */
export const TEST_SECRET_SERVICE =
  process.env.PALYRA_TEST_SECRET_SERVICE === 'started' && (process.env.DBUS_SESSION_BUS_ADDRESS ?? '') !== '';

const REQUIRED = process.env.PALYRA_REQUIRE_SECRET_SERVICE === '1';

export const NO_TEST_SECRET_SERVICE =
  'no private test Secret Service (PALYRA_TEST_SECRET_SERVICE is not "started"): run `npm test`, or wrap the command in ' +
  'scripts/with-secret-service.sh';

/**
 * `it(name, fn)` when the private Secret Service runs; otherwise a skipped test, or a failing
 * one under PALYRA_REQUIRE_SECRET_SERVICE=1.
 */
export function itWithSecretService(name: string, fn: () => Promise<void>, timeout?: number): void {
  if (TEST_SECRET_SERVICE) it(name, fn, timeout);
  else if (REQUIRED) {
    it(name, () => {
      throw new Error(`PALYRA_REQUIRE_SECRET_SERVICE=1 but there is ${NO_TEST_SECRET_SERVICE}`);
    });
  } else it.skip(`${name} (skipped: ${NO_TEST_SECRET_SERVICE})`, () => {});
}
