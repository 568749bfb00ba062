/**
 * Vitest globalSetup: outside the private bus of scripts/with-secret-service.sh, the run sees
 * no D-Bus session bus at all, so no test, daemon or agent can reach the user's real keyring
 * (the OS vault finds a bus through DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus).
 * Workers and the processes they spawn inherit this environment.
 */
export default function setup(): void {
  if (process.env.PALYRA_TEST_SECRET_SERVICE === 'started') return;
  delete process.env.DBUS_SESSION_BUS_ADDRESS;
  delete process.env.XDG_RUNTIME_DIR;
}
