#!/usr/bin/env bash
# Runs Tempest against a fresh `nubis serve` (from the sources, no build needed):
#
#   npm run tempest -- --service identity            # or: bash test/tempest/run-against-server.sh ...
#   npm run tempest -- --service identity --regex test_tokens
#
# Starts the server on a free port (--port 0) with a temporary data dir and a generated admin password,
# configures the workspace $TEMPEST_DIR [.tempest, kept for its results/ and run history] for the services
# named by --service (all six without it; TEMPEST_SERVICES overrides), runs run.sh with the given arguments,
# then stops the server by its PID and removes the data dir; the server's log is kept as
# $TEMPEST_DIR/logs/nubis-server.log. Exit status: run.sh's (0: no failure).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
HERE=$ROOT/test/tempest
cd "$ROOT"
die() { echo "run-against-server.sh: $*" >&2; exit 2; }
[ -x /usr/bin/tempest ] || die "/usr/bin/tempest missing: run \`bash test/tempest/install.sh\` (as root)"

# The services to configure: the --service values given to run.sh.
services=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --service) [ $((i + 1)) -lt ${#args[@]} ] && services="${services:+$services,}${args[i + 1]}" ;;
    --) break ;;
  esac
done
services=${TEMPEST_SERVICES:-$services}
unset "${!OS_@}"  # a sourced openrc of another cloud must not leak into configure.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/nubis-tempest.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ -d "${TEMPEST_DIR:-}/logs" ] && [ -f "$work/server.log" ]; then
    install -m 600 "$work/server.log" "$TEMPEST_DIR/logs/nubis-server.log"  # holds the banner's password
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

password=$(env -u PYTHONPATH -u PYTHONHOME /usr/bin/python3 -I -c 'import secrets; print(secrets.token_urlsafe(24))')
log=$work/server.log
NUBIS_ADMIN_PASSWORD=$password node --conditions=@nubis/source --import tsx examples/openstack-server/src/bin.ts \
  serve --port 0 --host 127.0.0.1 --data-dir "$work/data" >"$log" 2>&1 </dev/null &
pid=$!

# The banner names the port actually bound: "Nubis is serving at http://127.0.0.1:<port> (Nubis x.y.z)".
url=""
for _ in $(seq 1 600); do
  url=$(sed -n 's|^Nubis is serving at \(http://[^ ]*\) .*|\1|p' "$log" | head -n 1)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "nubis serve exited before it was ready"; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$log" >&2; die "nubis serve printed no banner within 60 s"; }
echo "run-against-server.sh: nubis serve (pid $pid) at $url"

export TEMPEST_DIR=${TEMPEST_DIR:-$ROOT/.tempest}
OS_AUTH_URL=$url/identity/v3 OS_USERNAME=admin OS_PASSWORD=$password OS_PROJECT_NAME=admin \
  TEMPEST_SERVICES=$services "$HERE/configure.sh"
set +e
"$HERE/run.sh" "$@"
rc=$?
set -e
if [ "$rc" != 0 ] && [ -s "$log" ]; then
  echo "run-against-server.sh: last lines of the server log:"
  tail -n 20 "$log"
fi
exit "$rc"
