#!/usr/bin/env bash
# Run Tempest from the workspace configure.sh made ($TEMPEST_DIR).
#
#   run.sh [--interop | --all] [--service S[,S]] [--regex R] [--concurrency N] [--list]
#          [--ids] [--no-preflight] [-- extra tempest run args]
#
#   --interop        (default) the 273 tests interop 2020.06 requires of the
#                    OpenStack Powered Platform (platform-2020.06.tsv, next to this script)
#   --all            all of Tempest's API tests (1562 of its 1646) instead
#   --service S      identity compute network volume image object (comma list):
#                    that part of the list, or with --all ^tempest.api.<S>.
#   --regex R        only tests whose name matches R: of the list, or with --all of
#                    all Tempest (tempest run --regex; not with --all --service)
#   --ids            select by bare id-<uuid>: also runs the inherited copies of a test
#                    (IPv6 network classes, boot-from-volume/manual-disk servers): 341 tests
#   --concurrency N  parallel workers [TEMPEST_CONCURRENCY or 2]; 1 runs serially
#   --list           only list the selection (no server needed)
#   --no-preflight   skip the Keystone reachability/token check
# Output: tempest's own progress, then results/<UTC stamp>/ (run.subunit, results.csv,
# summary.json, console.log) and as the last line: "N passed, N failed, N skipped".
# Exit: 0 no failure, 1 failures (or nothing passed), 2 usage/config, 3 server unreachable.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
INTEROP_TSV=${INTEROP_TSV:-$HERE/platform-2020.06.tsv}
PY=/usr/bin/python3
TEMPEST=/usr/bin/tempest
STESTR=/usr/bin/stestr
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV TEMPEST_CONFIG TEMPEST_CONFIG_DIR
export PYTHON=$PY   # stestr starts its workers with $PYTHON
die() { echo "run.sh: $*" >&2; exit 2; }

mode=interop svc="" regex="" conc=${TEMPEST_CONCURRENCY:-2} list=0 ids=0 preflight=1 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --interop) mode=interop ;;
    --all) mode=all ;;
    --service) [ $# -ge 2 ] || die "--service needs a value"; svc="${svc:+$svc,}$2"; shift ;;
    --regex) [ $# -ge 2 ] || die "--regex needs a value"; regex=$2; shift ;;
    --concurrency) [ $# -ge 2 ] || die "--concurrency needs a value"; conc=$2; shift ;;
    --ids) ids=1 ;;
    --list) list=1 ;;
    --no-preflight) preflight=0 ;;
    -h|--help) awk 'NR>1 && !/^#/{exit} NR>1{sub(/^# ?/,""); print}' "$0"; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done
[[ "$conc" =~ ^[1-9][0-9]*$ ]] || die "--concurrency must be a positive integer"
[ -n "${TEMPEST_DIR:-}" ] || die "set TEMPEST_DIR to the workspace configure.sh made"
TEMPEST_DIR=$(cd "$TEMPEST_DIR" 2>/dev/null && pwd -P) || die "TEMPEST_DIR does not exist: run configure.sh"
CONF=$TEMPEST_DIR/etc/tempest.conf
if [ ! -f "$CONF" ] || [ ! -f "$TEMPEST_DIR/.stestr.conf" ]; then
  die "$TEMPEST_DIR is not configured: run configure.sh"
fi
[ -x "$TEMPEST" ] || die "$TEMPEST missing: run install.sh"

out=$TEMPEST_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
sel=()
required=()
if [ "$mode" = interop ]; then
  [ -f "$INTEROP_TSV" ] || die "interop list $INTEROP_TSV missing"
  args=(select "$INTEROP_TSV" "$out")
  [ -n "$svc" ] && args+=(--service "$svc")
  [ -n "$regex" ] && args+=(--regex "$regex")
  [ "$ids" = 1 ] && args+=(--ids)
  n=$("$PY" -I "$HERE/helper.py" "${args[@]}") || exit 2
  [ "$n" -gt 0 ] || die "no interop test matches the selection"
  sel=(--include-list "$out/include-list.txt")
  required=(--required "$out/selection.tsv")
  what="interop 2020.06 platform: $n required tests${svc:+ ($svc)}"
else
  if [ -n "$svc" ]; then
    [ -z "$regex" ] || die "--all with --service and --regex: put the service in the regex"
    "$PY" -I "$HERE/helper.py" select "$INTEROP_TSV" "$out" --service "$svc" >/dev/null  # validates names
    pkgs=$(echo "$svc" | tr ',' '\n' | sed 's/^object$/object_storage/' | paste -sd'|')
    regex="^tempest\.api\.($pkgs)\."
  fi
  sel=(--regex "${regex:-^tempest\.api\.}")
  what="tempest tests matching ${regex:-^tempest\.api\.}"
fi

cd "$TEMPEST_DIR"
if [ "$list" = 1 ]; then
  "$TEMPEST" run --list-tests "${sel[@]}" "${extra[@]}" > "$out/list.txt"
  cat "$out/list.txt"
  echo "run.sh: $(grep -c '^tempest\.' "$out/list.txt") tests selected ($what)"
  exit 0
fi

if [ "$preflight" = 1 ]; then
  set +e
  "$PY" -I "$HERE/helper.py" preflight "$CONF" ${svc:+--service "$svc"}
  rc=$?
  set -e
  if [ "$rc" != 0 ]; then rm -rf "$out"; exit "$rc"; fi
fi

before=$(cat .stestr/next-stream 2>/dev/null || echo 0)
par=(--concurrency "$conc")
[ "$conc" = 1 ] && par=(--serial)
echo "run.sh: $what, concurrency $conc, results in $out"
set +e
"$TEMPEST" run "${sel[@]}" "${par[@]}" "${extra[@]}" 2>&1 | tee "$out/console.log"
set -e
after=$(cat .stestr/next-stream 2>/dev/null || echo 0)
if [ "$after" = "$before" ]; then
  echo "run.sh: ERROR: tempest recorded no run (see $out/console.log and $TEMPEST_DIR/logs/tempest.log)"
  exit 2
fi
"$STESTR" last --subunit > "$out/run.subunit" 2>/dev/null || true
/usr/bin/subunit2csv --no-passthrough < "$out/run.subunit" > "$out/results.csv" || true
exec "$PY" -I "$HERE/helper.py" summarize "$out/run.subunit" "$out" "${required[@]}"
