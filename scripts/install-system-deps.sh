#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (run as root, or with sudo).
#  - openssl: the CA tests check issued certificates with `openssl verify`.
#  - procps: process inspection used by end-to-end tests (ps).
# Later layers add gnome-keyring (the OS vault) and chromium (the browser plugin) here.
set -euo pipefail
packages=(openssl procps)
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
