#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (run as root, or with sudo).
#  - openssl: the CA tests check issued certificates with `openssl verify`.
#  - procps: process inspection used by end-to-end tests (ps).
#  - tmux: the approvals TUI end-to-end test drives `palyrad approvals` in a real terminal.
#  - gnome-keyring, dbus-daemon, dbus-bin, libsecret-tools: the OS vault tests run against a real
#    Secret Service (gnome-keyring-daemon) on a private bus (dbus-run-session, dbus-send), see
#    scripts/with-secret-service.sh; secret-tool checks what was stored.
#  - chromium: the browser plugin's tests drive the real Chromium (headless); the plugin never
#    downloads a browser.
#  - postgresql: the store's repository contract suite and the --store e2e test run against a
#    real PostgreSQL server that scripts/postgres-server.mjs starts (initdb + pg_ctl from
#    /usr/lib/postgresql/<version>/bin, in a temp dir, on a private socket and port).
#  - systemd: `systemd-analyze verify` checks the units `palyra-node service install --dry-run` and
#    `palyrad service install --dry-run` print (test/e2e/service.test.ts); systemd need not run.
#  - python3, make, g++: `npm ci` builds better-sqlite3 (the daemon's SQLite store) from source
#    with node-gyp when no prebuilt binary can be fetched (CI reaches only the npm registry).
set -euo pipefail
packages=(openssl procps tmux gnome-keyring dbus-daemon dbus-bin libsecret-tools chromium postgresql systemd python3 make g++)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: ${packages[*]}"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
