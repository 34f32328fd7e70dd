#!/usr/bin/env bash
# Stop the daemons up.sh started, by the PIDs it recorded, and remove CEPH_DIR.
# Usage: CEPH_DIR=/tmp/nubis-ceph.XXXXXX ./down.sh   (or: ./down.sh DIR)
# Refuses a dir without up.sh's marker; signals a PID only while its command
# line still names this dir's ceph.conf (so a recycled PID is never hit).
# Never `rm -rf` CEPH_DIR of a running cluster instead: the mon stops by itself,
# but the OSD and RGW keep running as orphans that nothing can find any more.
set -euo pipefail
CEPH_DIR=${1:-${CEPH_DIR:?set CEPH_DIR or pass the dir as argument}}
[ -d "$CEPH_DIR" ] || { echo "ceph-down: $CEPH_DIR does not exist; nothing to do" >&2; exit 0; }
[ -e "$CEPH_DIR/.nubis-ceph" ] || { echo "ceph-down: $CEPH_DIR was not made by up.sh; refusing" >&2; exit 2; }
CEPH_DIR=$(cd "$CEPH_DIR" && pwd)

ours() {  # PID is alive (not a zombie) and still runs with our conf
  [ -r "/proc/$1/cmdline" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null &&
    tr '\0' '\n' <"/proc/$1/cmdline" | grep -qxF "$CEPH_DIR/ceph.conf"
}
stopped=0
stop() {  # stop NAME: SIGTERM, up to 5 s for a clean exit, then SIGKILL
  local f=$CEPH_DIR/run/$1.pid pid
  [ -s "$f" ] && pid=$(cat "$f") && ours "$pid" || return 0
  stopped=$((stopped + 1))
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do ours "$pid" || return 0; sleep 0.1; done
  echo "ceph-down: $1 (pid $pid) still running 5 s after SIGTERM; sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
}
# One at a time, clients first: an OSD whose mon is gone waits 5 s to say goodbye.
stop rgw.gw; stop mgr.x; stop osd.0; stop mon.a
rm -rf "$CEPH_DIR"
echo "ceph-down: stopped $stopped daemon(s), removed $CEPH_DIR" >&2
