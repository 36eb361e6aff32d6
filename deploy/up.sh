#!/usr/bin/env bash
# Bring up the scale-out topology on this machine, every process on 127.0.0.1 and a free port:
#   PostgreSQL → MLflow tracking server (registry on Postgres, artifacts in STATE/mlartifacts)
#              → Prefect server (Postgres via asyncpg) → Dask scheduler + DASK_WORKERS workers → Prefect process worker on POOL.
# Usage: deploy/up.sh STATE_DIR   (PYTHON=venv python, POOL=reeltag, DASK_WORKERS=2, PG_BIN=/usr/lib/postgresql/N/bin)
# Writes STATE_DIR/env (export lines: PREFECT_API_URL, MLFLOW_TRACKING_URI, DASK_SCHEDULER, PG_URL, REELTAG_TRACKING__URI, ...),
# STATE_DIR/reeltag.scale.toml (the [tracking]/[video] settings a project needs) and STATE_DIR/pids/*.pid.
# deploy/down.sh STATE_DIR stops everything by those pids; a failure here runs it too.
set -Eeuo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
STATE="$(mkdir -p "${1:?usage: deploy/up.sh STATE_DIR}" && cd "$1" && pwd)"
PY="${PYTHON:-python3}"
REELTAG="${REELTAG:-$(dirname "$PY")/reeltag}"
POOL="${POOL:-reeltag}"
DASK_WORKERS="${DASK_WORKERS:-2}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
STARTUP_S="${STARTUP_S:-240}"
trap '"$HERE/down.sh" "$STATE" >&2; echo "up.sh: failed, stopped what had started (logs in $STATE/logs)" >&2; exit 1' ERR
mkdir -p "$STATE/pids" "$STATE/logs" "$STATE/mlartifacts" "$STATE/prefect"
export DO_NOT_TRACK=true MLFLOW_DISABLE_TELEMETRY=true PREFECT_SERVER_ANALYTICS_ENABLED=false
export PYTHONPATH="$REPO/src:$REPO${PYTHONPATH:+:$PYTHONPATH}"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start() {  # start NAME CMD...: own session (pid = process group), output to logs/NAME.log, pid to pids/NAME.pid
  local name="$1"; shift
  setsid "$@" >"$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$STATE/pids/$name.pid"
}
wait_for() {  # wait_for WHAT TEST_CMD...: poll until the command succeeds or STARTUP_S passes
  local what="$1" deadline=$((SECONDS + STARTUP_S)); shift
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || { echo "up.sh: $what not ready after ${STARTUP_S}s" >&2; return 1; }
    sleep 1
  done
}
http_ok() { "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1"; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# --- PostgreSQL (refuses to run as root: run as the postgres user, its folder owned by it)
PG_PORT="$(free_port)"; PGDATA="$STATE/pg/data"
mkdir -p "$STATE/pg"; [ "$(id -u)" = 0 ] && chown postgres "$STATE/pg"
as_pg "$PG_BIN/initdb" -D "$PGDATA" -A trust -U postgres >"$STATE/logs/initdb.log" 2>&1
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$STATE/pg/postgres.log" -w -t "$STARTUP_S" \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$STATE/pg -c fsync=off" start >/dev/null
head -1 "$PGDATA/postmaster.pid" >"$STATE/pids/postgres.pid"
for db in mlflow prefect; do as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db"; done
PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT"

# --- MLflow tracking server (backend + registry on Postgres, artifacts proxied by the server)
ML_PORT="$(free_port)"
start mlflow "$PY" -m mlflow server --host 127.0.0.1 --port "$ML_PORT" --workers 1 \
  --backend-store-uri "$PG_URL/mlflow" --artifacts-destination "$STATE/mlartifacts"
# --- Prefect server on Postgres
PF_PORT="$(free_port)"
PREFECT_HOME="$STATE/prefect" PREFECT_API_DATABASE_CONNECTION_URL="postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/prefect" \
  start prefect-server "$PY" -m prefect server start --host 127.0.0.1 --port "$PF_PORT"
# --- Dask scheduler (no dashboard)
DK_PORT="$(free_port)"; DASK_SCHEDULER="tcp://127.0.0.1:$DK_PORT"
start dask-scheduler "$PY" -m distributed.cli.dask_scheduler --host 127.0.0.1 --port "$DK_PORT" --no-dashboard --dashboard-address 127.0.0.1:0
export PREFECT_API_URL="http://127.0.0.1:$PF_PORT/api" MLFLOW_TRACKING_URI="http://127.0.0.1:$ML_PORT"
wait_for "Dask scheduler" "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)' "$DK_PORT"
# --- Dask workers: one thread each, no nanny (a killed worker stays dead; its tasks move to the others)
for i in $(seq 1 "$DASK_WORKERS"); do
  DASK_DISTRIBUTED__WORKER__DAEMON=False start "dask-worker-$i" "$PY" -m distributed.cli.dask_worker "$DASK_SCHEDULER" \
    --name "worker-$i" --nthreads 1 --no-nanny --host 127.0.0.1 --no-dashboard
done
wait_for "MLflow server" http_ok "$MLFLOW_TRACKING_URI/health"
wait_for "Prefect server" http_ok "$PREFECT_API_URL/health"
[ "$DASK_WORKERS" -gt 0 ] && wait_for "$DASK_WORKERS Dask workers" "$PY" -c \
  'import sys; from distributed import Client; c = Client(sys.argv[1], timeout=5); c.wait_for_workers(int(sys.argv[2]), timeout=5); c.close()' \
  "$DASK_SCHEDULER" "$DASK_WORKERS"
# --- Prefect process worker on POOL (flow runs import reeltag and flows/ from this checkout)
PREFECT_HOME="$STATE/prefect" start prefect-worker "$REELTAG" worker --pool "$POOL"

cat >"$STATE/env" <<ENV
export PREFECT_API_URL=$PREFECT_API_URL
export MLFLOW_TRACKING_URI=$MLFLOW_TRACKING_URI
export DASK_SCHEDULER=$DASK_SCHEDULER
export PG_URL=$PG_URL
export REELTAG_POOL=$POOL
ENV
cat >"$STATE/reeltag.scale.toml" <<TOML
[tracking]
uri = "$MLFLOW_TRACKING_URI"
[video]
executor = "dask"
dask_address = "$DASK_SCHEDULER"
TOML
echo "up: Postgres $PG_URL, MLflow $MLFLOW_TRACKING_URI, Prefect $PREFECT_API_URL, Dask $DASK_SCHEDULER ($DASK_WORKERS workers), worker on pool $POOL"
echo "    source $STATE/env; settings for a project: $STATE/reeltag.scale.toml; stop: deploy/down.sh $STATE"
