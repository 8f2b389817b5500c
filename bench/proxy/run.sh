#!/usr/bin/env bash
# Measures Sluice's embedded proxy against nginx and HAProxy, on 127.0.0.1
# only, each proxy with ONE worker (nginx worker_processes 1, HAProxy
# nbthread 1, Sluice GOMAXPROCS=1), all in front of the same Go backend
# (1 KiB body) on two ports split 90/10.
#
#   closed loop: wrk -t2 -c64 -d10s --latency        -> throughput
#   open loop:   1,000 req/s from the scheduled time -> added latency, CPU/request
#
# Prints the table with every figure as a ratio to nginx from the same run;
# the last line is {"throughput": x, "p99_added": y, "cpu_per_request": z}
# (Sluice ÷ nginx). Every process it starts is stopped by its PID on exit.
#
# Environment: ROUNDS (default 3; each figure is the median over rounds, and
# each round measures every target in turn, so slow drifts of a shared
# machine hit all of them alike), WRK_DURATION (10s),
# OPEN_SECONDS (10), RATE (1000), PORT_BASE (18080), TARGETS,
# SLUICE_CPUPROFILE (a file for a CPU profile of Sluice's proxy).
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=local
export PATH="$PATH:/usr/sbin:/sbin"

ROUNDS="${ROUNDS:-3}"
WRK_DURATION="${WRK_DURATION:-10s}"
OPEN_SECONDS="${OPEN_SECONDS:-10}"
RATE="${RATE:-1000}"
PORT_BASE="${PORT_BASE:-18080}"
TARGETS="${TARGETS:-direct nginx haproxy sluice sluice-nethttp}"
POST_BYTES="${POST_BYTES:-0}" # > 0: every request is a POST with a body this long

B1=$((PORT_BASE + 1))     # backend, "stable"
B2=$((PORT_BASE + 2))     # backend, "canary"
P_NGINX=$((PORT_BASE + 10))
P_HAPROXY=$((PORT_BASE + 11))
P_SLUICE=$((PORT_BASE + 12))
P_SLUICE_STD=$((PORT_BASE + 13)) # the same proxy behind a plain net/http server

log() { echo "bench/proxy: $*" >&2; }
# The report divides by nginx and direct, and its headline is Sluice's.
for must in direct nginx sluice; do
  case " $TARGETS " in *" $must "*) ;; *) log "TARGETS must include $must" && exit 2 ;; esac
done

# --- install what is missing -------------------------------------------------
missing=()
for tool in nginx haproxy wrk; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

WORK="$(mktemp -d /tmp/sluice-bench-proxy.XXXXXX)"
chmod 755 "$WORK" # nginx's worker runs as nobody
PIDS=()

stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  PIDS=()
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build -------------------------------------------------------------------
log "building backend, openloop, sluiceproxy, report"
for cmd in backend openloop sluiceproxy report; do
  go build -o "$WORK/bin/$cmd" "./bench/proxy/cmd/$cmd"
done

# cpu_ticks PID: utime+stime of PID and its direct children (nginx's worker),
# from /proc. Fields 14 and 15, counted after the ")" closing the name.
cpu_ticks() {
  local total=0 p stat
  for p in "$1" $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
    stat="$(cat "/proc/$p/stat" 2>/dev/null)" || continue
    stat="${stat##*) }"
    # shellcheck disable=SC2086
    set -- $stat
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

wait_ready() { "$WORK/bin/openloop" -url "$1" -wait 10s; }

# start NAME CMD...: runs CMD in the background and records its PID in
# PIDS (for cleanup) and PID[NAME]. Not in a subshell, so PIDS is kept.
declare -A PID
start() {
  local name=$1
  shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  PID[$name]=$!
}

# --- configuration files -----------------------------------------------------
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-body;
  proxy_temp_path $WORK/nginx-proxy;
  fastcgi_temp_path $WORK/nginx-fastcgi;
  uwsgi_temp_path $WORK/nginx-uwsgi;
  scgi_temp_path $WORK/nginx-scgi;
  keepalive_requests 1000000;
  upstream backend {
    server 127.0.0.1:$B1 weight=9;
    server 127.0.0.1:$B2 weight=1;
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$P_NGINX backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$host;
    }
  }
}
EOF

cat >"$WORK/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 8192
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:$P_HAPROXY
  default_backend be
backend be
  balance roundrobin
  option forwardfor
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  server stable 127.0.0.1:$B1 weight 90
  server canary 127.0.0.1:$B2 weight 10
EOF

# --- servers -----------------------------------------------------------------
log "starting backend on :$B1 and :$B2"
start backend "$WORK/bin/backend" -listen "127.0.0.1:$B1,127.0.0.1:$B2"
wait_ready "http://127.0.0.1:$B1/"
wait_ready "http://127.0.0.1:$B2/"

declare -A URL
URL[direct]="http://127.0.0.1:$B1/"
URL[nginx]="http://127.0.0.1:$P_NGINX/"
URL[haproxy]="http://127.0.0.1:$P_HAPROXY/"
URL[sluice]="http://127.0.0.1:$P_SLUICE/"
URL[sluice-nethttp]="http://127.0.0.1:$P_SLUICE_STD/"

for t in $TARGETS; do
  case "$t" in
  direct) ;;
  nginx) start nginx nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" ;;
  haproxy) start haproxy haproxy -db -f "$WORK/haproxy.cfg" ;;
  sluice) start sluice env GOMAXPROCS=1 "$WORK/bin/sluiceproxy" -listen "127.0.0.1:$P_SLUICE" \
    -stable "http://127.0.0.1:$B1" -canary "http://127.0.0.1:$B2" -weight 10 ${SLUICE_CPUPROFILE:+-cpuprofile "$SLUICE_CPUPROFILE"} ;;
  sluice-nethttp) start sluice-nethttp env GOMAXPROCS=1 "$WORK/bin/sluiceproxy" -server net-http -listen "127.0.0.1:$P_SLUICE_STD" \
    -stable "http://127.0.0.1:$B1" -canary "http://127.0.0.1:$B2" -weight 10 ;;
  *) log "unknown target $t" && exit 2 ;;
  esac
  wait_ready "${URL[$t]}" || { cat "$WORK/$t.log" >&2; exit 1; }
done

# --- measure -----------------------------------------------------------------
WRK_SCRIPT=()
if [ "$POST_BYTES" -gt 0 ]; then
  printf 'wrk.method = "POST"\nwrk.body = string.rep("x", %d)\nwrk.headers["Content-Type"] = "application/octet-stream"\n' \
    "$POST_BYTES" >"$WORK/post.lua"
  WRK_SCRIPT=(-s "$WORK/post.lua")
fi
# Each round: the closed loop on each target in turn; then, for each proxy
# other than nginx, one open loop on direct, nginx and that proxy at once,
# their schedules interleaved, so that the three latency tails see the same
# machine (see README.md). Each target's .open.json holds its window's
# direct, nginx and own results, in that order; direct's and nginx's own
# come from Sluice's window.
others="sluice"
for t in $TARGETS; do case "$t" in direct | nginx | sluice) ;; *) others="$others $t" ;; esac; done
declare -A CLOSED
for round in $(seq 1 "$ROUNDS"); do
  for t in $TARGETS; do
    log "round $round: $t, closed loop"
    # Warm up: fill the keep-alive pools on both sides.
    timeout 30 wrk -t2 -c64 -d2s "${WRK_SCRIPT[@]}" "${URL[$t]}" >/dev/null
    pid=""; [ "$t" = direct ] || pid="${PID[$t]}"
    c0=0; [ -z "$pid" ] || c0=$(cpu_ticks "$pid")
    timeout 60 wrk -t2 -c64 -d"$WRK_DURATION" --latency "${WRK_SCRIPT[@]}" "${URL[$t]}" >"$WORK/$t.$round.wrk"
    c1=0; [ -z "$pid" ] || c1=$(cpu_ticks "$pid")
    CLOSED[$t]=$((c1 - c0))
  done
  for t in $others; do
    log "round $round: open loop, direct + nginx + $t together"
    out="$WORK/open.$t.$round.json"
    n0=$(cpu_ticks "${PID[nginx]}") t0=$(cpu_ticks "${PID[$t]}")
    timeout $((OPEN_SECONDS + 30)) "$WORK/bin/openloop" -url "${URL[direct]},${URL[nginx]},${URL[$t]}" \
      -rate "$RATE" -duration "${OPEN_SECONDS}s" -warmup 1s -post-bytes "$POST_BYTES" >"$out"
    n1=$(cpu_ticks "${PID[nginx]}") t1=$(cpu_ticks "${PID[$t]}")
    cp "$out" "$WORK/$t.$round.open.json"
    echo "${CLOSED[$t]} $((t1 - t0))" >"$WORK/$t.$round.cpu"
    if [ "$t" = sluice ]; then
      { sed -n 1,2p "$out"; sed -n 1p "$out"; } >"$WORK/direct.$round.open.json"
      { sed -n 1,2p "$out"; sed -n 2p "$out"; } >"$WORK/nginx.$round.open.json"
      echo "- -" >"$WORK/direct.$round.cpu"
      echo "${CLOSED[nginx]} $((n1 - n0))" >"$WORK/nginx.$round.cpu"
    fi
  done
done

echo "bench/proxy on $(nproc) cores, $(uname -r); nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), $(haproxy -v | head -1 | awk '{print "HAProxy", $3}'), $(go version | awk '{print $3}')"
echo
"$WORK/bin/report" -dir "$WORK" -targets "$(echo "$TARGETS" | tr ' ' ',')" -rounds "$ROUNDS" -clk-tck "$(getconf CLK_TCK)" \
  -closed "wrk -t2 -c64 -d$WRK_DURATION --latency${WRK_SCRIPT[*]:+, POST with a $POST_BYTES-byte body}" -rate "$RATE"
