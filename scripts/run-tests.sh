#!/usr/bin/env bash
# `npm test`: the vitest suite. When gnome-keyring and D-Bus are installed (see
# scripts/install-system-deps.sh) it runs inside scripts/with-secret-service.sh, a private
# session bus with a real, unlocked Secret Service, so the OS vault tests run against it
# (only there: the wrapper exports PALYRA_TEST_SECRET_SERVICE=started inside its session, and
# test/helpers/secretService.ts gates on it); otherwise those tests skip with a message.
# PALYRA_REQUIRE_SECRET_SERVICE=1 (set by .ci/run) turns the missing tools, or a missing
# private Secret Service in the tests, into a failure. Arguments go to `vitest run`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${PALYRA_TEST_SECRET_SERVICE:-}" = "started" ]; then
  exec vitest run "$@"
fi
if command -v gnome-keyring-daemon >/dev/null 2>&1 && command -v dbus-run-session >/dev/null 2>&1 && command -v dbus-send >/dev/null 2>&1; then
  exec bash scripts/with-secret-service.sh vitest run "$@"
fi
if [ "${PALYRA_REQUIRE_SECRET_SERVICE:-}" = "1" ]; then
  echo "npm test: gnome-keyring-daemon, dbus-run-session or dbus-send is missing: run scripts/install-system-deps.sh" >&2
  exit 69
fi
echo "npm test: no gnome-keyring/D-Bus here: the OS vault tests skip (install them with scripts/install-system-deps.sh)" >&2
exec vitest run "$@"
