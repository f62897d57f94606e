#!/usr/bin/env bash
# A real one-node SLURM cluster on this machine, for trying and testing lcm4j's SLURM launcher without a cluster:
#
#   scripts/slurm-local.sh start    install slurm-wlm + munge if missing, write /etc/slurm/slurm.conf, start munged,
#                                   slurmctld and slurmd, wait until the node is schedulable (partition "debug")
#   scripts/slurm-local.sh status   the daemons and the node state; exit 0 when jobs can run
#   scripts/slurm-local.sh stop     stop the three daemons by their pid files
#
# start and stop are idempotent. When the cluster cannot be had (not root, packages not installable, a slurm.conf
# that another setup owns), start prints "skipped: <reason>" and exits 3, so that tests and scripts can tell
# "no SLURM here" from a broken set-up (exit 1).
set -uo pipefail

SKIPPED=3
CONF=/etc/slurm/slurm.conf
MARKER="# written by lcm4j scripts/slurm-local.sh"
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid
LOG_DIR=/var/log/slurm

skip() { echo "skipped: $*"; exit "$SKIPPED"; }
die() { echo "slurm-local: $*" >&2; exit 1; }

running() { # pid file -> 0 when its process is alive
  local pid; pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && [ -d "/proc/$pid" ]
}

node_state() { sinfo -h -N -o %t 2>/dev/null | head -1; }

install_packages() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
    && command -v munged >/dev/null && return 0
  command -v apt-get >/dev/null || skip "slurm-wlm/munge are not installed and there is no apt-get to install them"
  echo "slurm-local: installing slurm-wlm and munge (apt-get)"
  # the package index may be missing on a fresh container; a failed update still lets a cached index work
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/tmp/slurm-local-apt.log 2>&1; then
    skip "cannot install slurm-wlm and munge with apt-get ($(tail -1 /tmp/slurm-local-apt.log))"
  fi
}

write_conf() {
  if [ -f "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
    skip "$CONF exists and was not written by this script; not touching another SLURM set-up"
  fi
  local host cpus mem tmp
  host=$(hostname -s)
  cpus=$(nproc)
  # RealMemory lets jobs ask for --mem; 90% of the machine keeps slurmd from draining the node for "low memory"
  mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  tmp=$(mktemp)
  cat >"$tmp" <<EOF
$MARKER; rewritten on every start
ClusterName=lcm
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmUser=root
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
  if [ -f "$CONF" ] && cmp -s "$tmp" "$CONF"; then
    rm -f "$tmp"
    return 1 # unchanged
  fi
  mkdir -p "$(dirname "$CONF")"
  mv "$tmp" "$CONF" && chmod 644 "$CONF"
  return 0
}

start_munge() {
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown -R munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge 2>/dev/null
  [ -f /etc/munge/munge.key ] || { /usr/sbin/mungekey --create >/dev/null 2>&1 || create-munge-key -f >/dev/null 2>&1; \
    chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  running "$MUNGE_PID" && return 0
  # as the munge user first; a root-owned log file left by an earlier root start makes that refuse, --force works
  su -s /bin/sh munge -c munged >/dev/null 2>&1 || munged --force >/dev/null 2>&1 || die "munged did not start"
  for _ in $(seq 1 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0; sleep 0.25; done
  die "munged started but munge -n | unmunge fails"
}

start() {
  [ "$(id -u)" = 0 ] || skip "not root (SLURM's daemons need root)"
  install_packages
  mkdir -p /var/spool/slurmctld /var/spool/slurmd "$LOG_DIR"
  local changed=0
  write_conf && changed=1
  start_munge
  if running "$CTLD_PID"; then
    [ "$changed" = 1 ] && scontrol reconfigure >/dev/null 2>&1
  else
    slurmctld || die "slurmctld did not start; see $LOG_DIR/slurmctld.log"
  fi
  running "$SLURMD_PID" || slurmd || die "slurmd did not start; see $LOG_DIR/slurmd.log"
  local state=""
  for i in $(seq 1 120); do
    state=$(node_state)
    case "$state" in
      idle|mix|alloc|comp) echo "slurm-local: ready (node $(hostname -s) $state, partition debug, $(nproc) CPUs)"; return 0 ;;
      drain*|down*|drng*|fail*)
        # a node left down by an unclean stop of an earlier cluster: this script owns it, so bring it back
        [ "$i" -gt 8 ] && scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 ;;
    esac
    sleep 0.5
  done
  die "the node did not become schedulable in 60 s (state '${state:-none}'); see $LOG_DIR/slurmctld.log and slurmd.log"
}

stop_one() { # name pidfile
  if running "$2"; then
    local pid; pid=$(cat "$2")
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    echo "slurm-local: stopped $1 (pid $pid)"
  fi
  rm -f "$2"
}

stop() {
  [ "$(id -u)" = 0 ] || skip "not root"
  stop_one slurmd "$SLURMD_PID"
  stop_one slurmctld "$CTLD_PID"
  stop_one munged "$MUNGE_PID"
}

status() {
  local rc=0 d
  for d in "munged:$MUNGE_PID" "slurmctld:$CTLD_PID" "slurmd:$SLURMD_PID"; do
    if running "${d#*:}"; then echo "${d%%:*}: running (pid $(cat "${d#*:}"))"; else echo "${d%%:*}: stopped"; rc=1; fi
  done
  if [ "$rc" = 0 ]; then
    local state; state=$(node_state)
    echo "node $(hostname -s): ${state:-unknown}"
    case "$state" in idle|mix|alloc|comp) ;; *) rc=1 ;; esac
  fi
  return "$rc"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 64 ;;
esac
