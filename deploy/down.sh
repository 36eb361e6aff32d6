#!/usr/bin/env bash
# Stop what deploy/up.sh STATE_DIR started, by the pids it recorded (newest first); safe to run twice.
set -uo pipefail
STATE="${1:?usage: deploy/down.sh STATE_DIR}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
GRACE_S="${GRACE_S:-20}"
alive() { kill -0 "$1" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }  # a zombie has stopped
gone_within() {  # gone_within PID SECONDS: poll every 0.1 s; fails if the pid is still alive after SECONDS
  local pid="$1" tick
  for tick in $(seq 1 $(( $2 * 10 ))); do alive "$pid" || return 0; sleep 0.1; done
  ! alive "$pid"
}
stop_pid() {  # stop_pid PID SIGNAL...: send each signal (to the process group the pid leads, else the pid) a second
  local pid="$1"; shift  # apart while the pid lives, then wait up to GRACE_S and KILL
  for sig in "$@"; do
    alive "$pid" || return 0
    kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null
    gone_within "$pid" 1 && return 0
  done
  gone_within "$pid" "$GRACE_S" || { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; }
}
[ -d "$STATE/pids" ] || exit 0
for name in prefect-worker $(cd "$STATE/pids" && ls dask-worker-*.pid 2>/dev/null | sed 's/\.pid$//') dask-scheduler prefect-server mlflow; do
  file="$STATE/pids/$name.pid"; [ -f "$file" ] || continue
  pid="$(cat "$file")"
  if alive "$pid"; then
    if [ "$name" = prefect-worker ]; then stop_pid "$pid" INT INT; else stop_pid "$pid" TERM; fi  # a Prefect worker wants SIGINT twice
  fi
  rm -f "$file"
done
if [ -f "$STATE/pids/postgres.pid" ]; then
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$STATE/pg/data" -m fast -w stop >/dev/null 2>&1
  else "$PG_BIN/pg_ctl" -D "$STATE/pg/data" -m fast -w stop >/dev/null 2>&1; fi
  pid="$(cat "$STATE/pids/postgres.pid")"; alive "$pid" && stop_pid "$pid" TERM
  rm -f "$STATE/pids/postgres.pid"
fi
echo "down: stopped the processes recorded in $STATE/pids"
