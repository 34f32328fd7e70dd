#!/usr/bin/env bash
# Start a throwaway single-node Ceph cluster (1 mon, 1 memstore OSD, radosgw,
# no mgr unless CEPH_MGR=1, no systemd) under $CEPH_DIR; print `export ...` lines.
# The test run's global setup starts one through startCeph() (src/ceph.ts); by hand:
#   env=$(./up.sh) && eval "$env"     # (a bare eval "$(./up.sh)" hides a failure)
#   export CEPH_DIR=/tmp/x; ./up.sh >/dev/null && source "$CEPH_DIR/env"
# and stop it with ./down.sh. Needs (Debian 12): ceph-mon ceph-osd ceph-common
# radosgw uuid-runtime curl procps.
# Config (environment):
#   CEPH_DIR            working dir (default: a new `mktemp -d`); must be empty
#   CEPH_PORT_BASE      mon v1 = BASE, mon v2 = BASE+1, OSD (and mgr) BASE+10..BASE+29
#                       (default 26800: below Linux's ephemeral range 32768-60999)
#   CEPH_RGW_PORT       radosgw HTTP port on 127.0.0.1 (default BASE+80 = 26880)
#   CEPH_MEMSTORE_BYTES OSD capacity, held in RAM (default 1 GiB). memstore enforces
#                       it late: past it, writes first succeed, then hang once the
#                       OSD is marked full. Keep test data small.
#   CEPH_UP_TIMEOUT     seconds to wait for each step (default 30)
#   CEPH_MGR=1          also start a ceph-mgr (package ceph-mgr; needed by `ceph df`,
#                       `ceph osd df`, `ceph pg stat`, rbd trash/perf schedules)
#   CEPH_KEEP_ON_FAIL=1 on failure keep the daemons and dir for debugging
# Progress goes to stderr, the exports to stdout and $CEPH_DIR/env.
# On failure it prints the daemon logs' tails and tears down what it started.
# Exit status 2: bad settings or a port already in use (another cluster?).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BASE=${CEPH_PORT_BASE:-26800}
RGW_PORT=${CEPH_RGW_PORT:-$((BASE + 80))}
MEM_BYTES=${CEPH_MEMSTORE_BYTES:-$((1 << 30))}
TIMEOUT=${CEPH_UP_TIMEOUT:-30}
MGR=${CEPH_MGR:-0}
unset CEPH_ARGS CEPH_CONF CEPH_KEYRING   # every ceph tool honours these: drop another cluster's
t0=$(date +%s%3N)
exec 3>&1 4>&2                # fd 3: the exports (stdout); fd 4: progress (stderr)
log() { printf '[ceph-up +%sms] %s\n' "$(($(date +%s%3N) - t0))" "$*" >&4; }
for v in "$BASE" "$RGW_PORT" "$MEM_BYTES" "$TIMEOUT"; do
  case $v in ''|*[!0-9]*) log "CEPH_PORT_BASE, CEPH_RGW_PORT, CEPH_MEMSTORE_BYTES, CEPH_UP_TIMEOUT must be integers"; exit 2 ;; esac
done

# A port inside the ephemeral range can be held by some client's TIME_WAIT socket,
# and then the bind fails at random: warn.
read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range
for p in "$BASE" "$((BASE + 29))" "$RGW_PORT"; do
  if [ "$p" -ge "$eph_lo" ] && [ "$p" -le "$eph_hi" ]; then
    log "warning: port $p is inside the ephemeral range $eph_lo-$eph_hi; binds may fail at random"
    break
  fi
done
for p in "$BASE" "$((BASE + 1))" "$RGW_PORT"; do   # fail fast on a taken port (a leftover cluster?)
  if (exec 5<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    log "port $p is already in use; pick another CEPH_PORT_BASE or stop its owner:"
    ss -ltnpH "sport = :$p" >&4 2>&1 || true
    exit 2
  fi
done
CEPH_DIR=${CEPH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/nubis-ceph.XXXXXX")}
mkdir -p "$CEPH_DIR"
CEPH_DIR=$(cd "$CEPH_DIR" && pwd)
[ -z "$(ls -A "$CEPH_DIR")" ] || { log "CEPH_DIR $CEPH_DIR is not empty"; exit 2; }
case $CEPH_DIR in *[[:space:]:]*) log "CEPH_DIR must not contain blanks or ':' (qemu rbd: strings)"; exit 2 ;; esac
touch "$CEPH_DIR/.nubis-ceph"           # marker: down.sh only deletes dirs that have it
mkdir -p "$CEPH_DIR"/{mon,mgr/x,osd/0,rgw/gw,run,log,crash}
exec >>"$CEPH_DIR/log/setup.log" 2>&1   # the tools' own chatter
CONF=$CEPH_DIR/ceph.conf KEYRING=$CEPH_DIR/keyring
C=(-c "$CONF")                           # every ceph tool gets our conf, never /etc/ceph

on_exit() {
  local rc=$? f
  [ "$rc" = 0 ] && return
  set +e                                  # report and clean up whatever else fails
  log "FAILED (rc=$rc); log tails:"
  for f in "$CEPH_DIR"/log/*.log; do echo "== $f"; grep -v -e audit -e handle_command "$f" | tail -n 15; done >&4
  [ -n "${CEPH_KEEP_ON_FAIL:-}" ] || CEPH_DIR=$CEPH_DIR "$here/down.sh" >&4 2>&4 || true
}
trap on_exit EXIT

# wait_for DESC CMD... : retry CMD every 0.1 s until it succeeds or TIMEOUT passes,
# failing early if one of our daemons has died.
wait_for() {
  local desc=$1 deadline=$(($(date +%s) + TIMEOUT)) f; shift
  until "$@" >/dev/null 2>&1; do
    for f in "$CEPH_DIR"/run/*.pid; do
      kill -0 "$(cat "$f")" 2>/dev/null || { log "daemon $(basename "$f" .pid) died"; return 1; }
    done
    [ "$(date +%s)" -lt "$deadline" ] || { log "timed out waiting for $desc"; return 1; }
    sleep 0.1
  done
  log "$desc: ok"
}

# start NAME CMD... : run a daemon in the foreground (-f) of its own session, logs in log/,
# and record its PID in run/NAME.pid (setsid execs in place, so $! is the daemon).
# fds 3/4 are closed so that `eval "$(./up.sh)"` sees EOF when up.sh exits.
start() {
  local name=$1; shift
  setsid "$@" -f </dev/null >>"$CEPH_DIR/log/$name.out" 2>&1 3>&- 4>&- &
  echo $! >"$CEPH_DIR/run/$name.pid"
}

# rand CHARS N : N random characters from the tr(1) set CHARS
rand() { local s=; while [ ${#s} -lt "$2" ]; do s+=$(head -c 64 /dev/urandom | tr -dc "$1"); done; echo "${s:0:$2}"; }

FSID=$(uuidgen) OSD_UUID=$(uuidgen)
cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon_host = [v2:127.0.0.1:$((BASE + 1)),v1:127.0.0.1:$BASE]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_port_min = $((BASE + 10))
ms_bind_port_max = $((BASE + 29))
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
# all clients are new: drop the AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED warning
auth_allow_insecure_global_id_reclaim = false
keyring = $KEYRING
# nothing under /var/lib/ceph, /var/log/ceph or /run/ceph: all in CEPH_DIR
run_dir = $CEPH_DIR/run
crash_dir = $CEPH_DIR/crash
log_file = $CEPH_DIR/log/\$name.log
mon_cluster_log_file = $CEPH_DIR/log/cluster.log
mon_data = $CEPH_DIR/mon/\$id
osd_data = $CEPH_DIR/osd/\$id
rgw_data = $CEPH_DIR/rgw/\$id
mgr_data = $CEPH_DIR/mgr/\$id
# no 'restful' module: the optional mgr opens no HTTP port
mgr_initial_modules = iostat
osd_objectstore = memstore
memstore_device_bytes = $MEM_BYTES
# one OSD: size-1 pools, few PGs each, no autoscaler (that needs a mgr)
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_max_pg_per_osd = 1000
mon_warn_on_pool_no_redundancy = false
mon_allow_pool_delete = true
# commit each map change at once, not once a second: start-up 17 s -> 2 s
paxos_propose_interval = 0.01
# without a mgr, health turns HEALTH_ERR "no active mgr" after 120 s: don't
mon_mgr_mkfs_grace = 31536000
[client.rgw.gw]
# endpoint= binds 127.0.0.1 only (port= would bind every address)
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw_thread_pool_size = 16
EOF

# Keys: the mon imports this keyring (with caps) at mkfs, so no `ceph auth add` later.
ceph-authtool "$KEYRING" --create-keyring --gen-key -n mon. --cap mon 'allow *'
ceph-authtool "$KEYRING" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *'
ceph-authtool "$KEYRING" --gen-key -n mgr.x \
  --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *'
ceph-authtool "$KEYRING" --gen-key -n osd.0 \
  --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd'
ceph-authtool "$KEYRING" --gen-key -n client.rgw.gw --cap mon 'allow rw' --cap osd 'allow rwx'

monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$((BASE + 1)),v1:127.0.0.1:$BASE]" \
  "$CEPH_DIR/monmap"
ceph-mon "${C[@]}" --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring "$KEYRING"
start mon.a ceph-mon "${C[@]}" -i a
log "mon started (pid $(cat "$CEPH_DIR/run/mon.a.pid"))"
if [ "$MGR" = 1 ]; then start mgr.x ceph-mgr "${C[@]}" -i x; log "mgr started"; fi

ceph "${C[@]}" --connect-timeout "$TIMEOUT" osd new "$OSD_UUID" 0
ceph-osd "${C[@]}" -i 0 --mkfs --osd-uuid "$OSD_UUID"
start osd.0 ceph-osd "${C[@]}" -i 0
log "osd started (pid $(cat "$CEPH_DIR/run/osd.0.pid"))"
osd_up() { ceph "${C[@]}" osd stat -f json | grep -q '"num_up_osds":1'; }
wait_for "osd up" osd_up

ceph "${C[@]}" osd pool create rbd 8 8
timeout "$TIMEOUT" rbd "${C[@]}" pool init rbd
log "pool rbd ready"

start rgw.gw radosgw "${C[@]}" -n client.rgw.gw
log "rgw started (pid $(cat "$CEPH_DIR/run/rgw.gw.pid"))"
S3_USER=nubis S3_ACCESS=$(rand A-Z0-9 20) S3_SECRET=$(rand A-Za-z0-9 40) SWIFT_KEY=$(rand A-Za-z0-9 40)
wait_for "rgw http" curl -sf "http://127.0.0.1:$RGW_PORT/"
radosgw-admin "${C[@]}" user create --uid "$S3_USER" --display-name "Nubis tests" \
  --access-key "$S3_ACCESS" --secret-key "$S3_SECRET" \
  --caps 'users=*;buckets=*;metadata=*;usage=*'
radosgw-admin "${C[@]}" subuser create --uid "$S3_USER" --subuser "$S3_USER:swift" \
  --access full --key-type swift --secret-key "$SWIFT_KEY"
log "s3/swift user ready"

if [ "$MGR" = 1 ]; then
  mgr_up() { ceph "${C[@]}" mgr stat -f json | grep -q '"available": *true'; }
  wait_for "mgr available" mgr_up
fi
ceph "${C[@]}" -s
cat >"$CEPH_DIR/env" <<EOF
export CEPH_DIR=$CEPH_DIR
export CEPH_CONF=$CONF
export CEPH_KEYRING=$KEYRING
export CEPH_RGW_URL=http://127.0.0.1:$RGW_PORT
export CEPH_S3_ACCESS_KEY=$S3_ACCESS
export CEPH_S3_SECRET_KEY=$S3_SECRET
export CEPH_SWIFT_USER=$S3_USER:swift
export CEPH_SWIFT_KEY=$SWIFT_KEY
EOF
cat "$CEPH_DIR/env" >&3
log "ready in $(($(date +%s%3N) - t0)) ms; stop with: CEPH_DIR=$CEPH_DIR $here/down.sh"
