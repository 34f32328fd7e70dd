#!/usr/bin/env bash
# Idempotent install of Tempest 33 and the openstack CLI (python3-openstackclient) from Debian 12 (root).
# `apt-get update` runs only when a package has no install candidate or the first install attempt fails
# (stale lists). Debian's OpenStack tools run on /usr/bin/python3: the `python3` first on PATH (pyenv) lacks
# their modules, so every script here calls /usr/bin/tempest, /usr/bin/stestr, /usr/bin/python3.
set -euo pipefail
PKGS=(tempest python3-openstackclient)
APT=(apt-get -q -o DPkg::Lock::Timeout=600)
export DEBIAN_FRONTEND=noninteractive
me=test/tempest/install.sh

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "$me: ${missing[*]} missing; run this script as root" >&2; exit 1; }
  for p in "${missing[@]}"; do
    cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/{print $2}')
    if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then "${APT[@]}" update; break; fi
  done
  if ! "${APT[@]}" install -y --no-install-recommends "${missing[@]}"; then
    "${APT[@]}" update
    "${APT[@]}" install -y --no-install-recommends "${missing[@]}"
  fi
fi

# Same interpreter as the Debian packages, whatever PATH says.
for b in /usr/bin/python3 /usr/bin/tempest /usr/bin/stestr /usr/bin/subunit2csv /usr/bin/openstack; do
  [ -x "$b" ] || { echo "$me: $b missing after install" >&2; exit 1; }
done
env -u PYTHONPATH -u PYTHONHOME /usr/bin/python3 -c 'import tempest, stestr, subunit, openstack' \
  || { echo "$me: /usr/bin/python3 cannot import tempest/stestr/subunit/openstack" >&2; exit 1; }
ver=$(dpkg-query -W -f='${Version}' tempest)
if [ ${#missing[@]} -gt 0 ]; then
  echo "$me: installed ${missing[*]} (tempest $ver)"
else
  echo "$me: all packages present (tempest $ver)"
fi
