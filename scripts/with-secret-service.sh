#!/usr/bin/env bash
# Runs a command inside a private D-Bus session bus with a real, unlocked Secret Service
# (gnome-keyring-daemon), for the OS vault tests. Headless: no display, no login session.
#
#   scripts/with-secret-service.sh npx vitest run
#
# The keyring lives in a temp dir removed afterwards, so nothing touches the user's own
# keyring; the command sees DBUS_SESSION_BUS_ADDRESS of the private bus. Exits with the
# command's status (69 when gnome-keyring or dbus-run-session is missing: see
# scripts/install-system-deps.sh; 70 when the secret service does not come up).
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 64
fi
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "with-secret-service: $tool is not installed (run: bash scripts/install-system-deps.sh)" >&2
    exit 69
  fi
done

# The inner script runs inside the new session; "$@" is the command.
# shellcheck disable=SC2016
exec dbus-run-session -- sh -c '
  set -u
  work=$(mktemp -d "${TMPDIR:-/tmp}/palyra-keyring.XXXXXX")
  mkdir -m 700 "$work/data" "$work/runtime"
  # A throwaway password: it only unlocks the throwaway login keyring created in $work.
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d " \n")
  printf "%s" "$password" | XDG_DATA_HOME="$work/data" XDG_RUNTIME_DIR="$work/runtime" \
    gnome-keyring-daemon --foreground --unlock --components=secrets >"$work/daemon.log" 2>&1 &
  keyring_pid=$!
  stop_keyring() {
    kill "$keyring_pid" 2>/dev/null || true
    # A daemon a test stopped with SIGSTOP would never see SIGTERM.
    kill -CONT "$keyring_pid" 2>/dev/null || true
    wait "$keyring_pid" 2>/dev/null || true
    rm -rf "$work"
  }
  trap "stop_keyring; exit 130" INT TERM

  # Wait (at most ~10 s) until the daemon owns org.freedesktop.secrets on this bus.
  # NameHasOwner never activates a service, so this only sees the daemon started above.
  tries=0
  until dbus-send --session --print-reply --reply-timeout=1000 --dest=org.freedesktop.DBus \
      /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
      | grep -q "boolean true"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 100 ] || ! kill -0 "$keyring_pid" 2>/dev/null; then
      echo "with-secret-service: gnome-keyring-daemon did not take org.freedesktop.secrets on the bus:" >&2
      cat "$work/daemon.log" >&2 || true
      stop_keyring
      exit 70
    fi
    sleep 0.1
  done

  # The OS vault tests run only against this private bus (test/helpers/secretService.ts).
  export PALYRA_TEST_SECRET_SERVICE=started
  status=0
  "$@" || status=$?
  stop_keyring
  exit "$status"
' sh "$@"
