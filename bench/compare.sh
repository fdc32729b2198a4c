#!/usr/bin/env bash
# Side-by-side benchmark of Herald, the Node.js socket.io reference and the
# zishang520 Go port, on the bench app of shared/BENCH_PROTOCOL.md.
#
#   bench/compare.sh [--quick]
#
# Builds Herald's bench server, herald-load and the zishang520 peer, installs
# the Node.js peer's dependencies if missing, then for each server in turn
# runs the scenarios with herald-load (measuring the server's CPU and RSS by
# its pid). Every scenario gets a fresh server process on free loopback
# ports, so that one scenario's backlog or grown heap does not carry into
# the next (Node.js, still holding a saturation backlog, runs out of heap
# minutes later). Each run writes one JSON file per server and scenario to
# bench/results/raw/, then renders bench/results/RESULTS.md and its charts.
#
# --quick runs tiny scenarios (a smoke test for CI, about a minute in all
# once built),
# requires every one of them to complete on every server, exits non-zero
# otherwise, and renders into bench/results/raw/quick/ so that the committed
# results stay untouched.
#
# Every scenario's JSON, per-second timeline (CSV), progress lines and
# server log stay in bench/results/raw/ (not committed).
#
# Environment: BENCH_SERVERS (default "herald node zishang520") picks the
# servers; BENCH_DURATION (default 30s) and BENCH_MEMFLAT (default 300s) set
# the full scenarios' lengths, for a shorter run at the same scale;
# BENCH_SATURATION_RATE (default 100) the saturation scenario's messages per
# second (Herald keeps up with 100, so its figure there is a lower bound);
# BENCH_CEILING_RATE (default 1000) the rate of the ceiling scenario, which
# offers more than any server delivers, to find each one's ceiling;
# BENCH_HERALD_FLAGS (default "--loops 1") the flags of Herald's bench
# server: see "Herald's event loops" in bench/results/RESULTS.md;
# BENCH_TIMEOUT overrides the overall time limit in seconds.
set -euo pipefail

quick=0
case "${1:-}" in
--quick) quick=1 ;;
"") ;;
-h | --help)
	sed -n '2,/^set -euo pipefail/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: $0 [--quick]" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
raw=$root/bench/results/raw
out=$root/bench/results
bin=$raw/bin
servers=${BENCH_SERVERS:-herald node zishang520}
herald_flags=${BENCH_HERALD_FLAGS---loops 1}
if ((quick)); then
	out=$raw/quick
fi
mkdir -p "$raw" "$bin" "$out"
rm -f "$raw"/*.json "$raw"/*.csv "$raw"/*.log "$raw"/*.progress

log() { printf '%s compare: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Every child is killed on exit, whatever the cause.
server_pid=
cleanup() {
	local status=$?
	if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$server_pid" 2>/dev/null || true
	fi
	# TERM first: timeout(1) passes it on to herald-load, which a KILL of
	# timeout itself would orphan.
	local rest
	rest=$(jobs -p)
	if [[ -n "$rest" ]]; then
		# shellcheck disable=SC2086
		kill -TERM $rest 2>/dev/null || true
		for _ in $(seq 30); do
			# shellcheck disable=SC2086
			kill -0 $rest 2>/dev/null || break
			sleep 0.1
		done
		# shellcheck disable=SC2086
		kill -KILL $rest 2>/dev/null || true
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The whole run is bounded: a watchdog signals the script when the time is
# up, and the trap above stops every child. Children run in the background
# and are waited for, so that the signal is handled at once, and everything
# stays in the caller's process group, so that Ctrl-C reaches all of it.
limit=${BENCH_TIMEOUT:-$((quick ? 600 : 5400))}
main_pid=$$
(sleep "$limit" && echo "compare: time limit of ${limit}s reached" >&2 && kill -TERM "$main_pid") &

# alive reports whether a process runs; a child that died stays a zombie
# until waited for, which kill -0 does not tell apart.
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n "$st" && "${st:0:1}" != Z ]]
}

# port_open reports whether something accepts connections on a local port.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port prints the first port from $1 on that nothing listens on.
free_port() {
	local p
	for ((p = $1; p < $1 + 200; p++)); do
		if ! port_open "$p"; then
			echo "$p"
			return 0
		fi
	done
	echo "compare: no free port from $1" >&2
	return 1
}

log "building"
(cd "$root" && go build -o "$bin/" ./cmd/benchserver ./cmd/herald-load ./bench/cmd/render) &
wait $!
for s in $servers; do
	case "$s" in
	zishang520)
		(cd "$root/bench/peers/zishang520" && go build -o "$bin/zishang520" .) &
		wait $!
		;;
	node)
		command -v node >/dev/null || {
			echo "compare: node is not installed" >&2
			exit 1
		}
		if [[ ! -d "$root/bench/peers/node/node_modules/socket.io" ]]; then
			log "installing the Node.js peer's dependencies"
			(cd "$root/bench/peers/node" && npm ci --no-audit --no-fund >&2) &
			wait $!
		fi
		;;
	herald) ;;
	*)
		echo "compare: unknown server $s" >&2
		exit 2
		;;
	esac
done

# start_server NAME PORT HTTPPORT starts a server in the background, its
# output in raw/NAME-SCENARIO.log, and waits until it accepts connections;
# server_pid is its pid.
start_server() {
	local name=$1 addr=127.0.0.1:$2 http=127.0.0.1:$3
	local logf=$raw/$name-$scenario_name.log
	case "$name" in
	herald) "$bin/benchserver" --addr "$addr" --http-addr "$http" $herald_flags >"$logf" 2>&1 &
		;;
	node) node "$root/bench/peers/node/server.mjs" --addr "$addr" --http-addr "$http" >"$logf" 2>&1 &
		;;
	zishang520) "$bin/zishang520" --addr "$addr" --http-addr "$http" >"$logf" 2>&1 &
		;;
	esac
	server_pid=$!
	for _ in $(seq 150); do
		if port_open "$2" && port_open "$3"; then
			return 0
		fi
		alive "$server_pid" || break
		sleep 0.1
	done
	echo "compare: $name did not start; its log:" >&2
	cat "$logf" >&2
	return 1
}

stop_server() {
	[[ -n "$server_pid" ]] || return 0
	kill -TERM "$server_pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=
}

# The scenarios: name, then herald-load flags. Time limits allow for the
# connection ramp, the drain and closing.
if ((quick)); then
	scenarios=(
		"idle|--mode idle --conns 200 --duration 2s"
		"fanout|--mode fanout --conns 200 --rate 20 --duration 3s --rss-every 1s"
		"saturation|--mode fanout --conns 200 --rate 100 --duration 3s"
		"echo|--mode echo --conns 200 --duration 3s"
	)
	check=(--require-complete)
	scenario_limit=60
else
	d=${BENCH_DURATION:-30s}
	scenarios=(
		"idle|--mode idle --conns 15000 --ramp 2000 --duration 10s"
		"fanout|--mode fanout --conns 5000 --ramp 2000 --rate 20 --duration $d --payload 64"
		"saturation|--mode fanout --conns 5000 --ramp 2000 --rate ${BENCH_SATURATION_RATE:-100} --duration $d --payload 64 --drain 60s --drain-idle 20s"
		"ceiling|--mode fanout --conns 5000 --ramp 2000 --rate ${BENCH_CEILING_RATE:-1000} --duration 15s --payload 64 --drain 60s --drain-idle 20s"
		"echo|--mode echo --conns 1000 --duration $d"
		"memflat|--mode fanout --conns 5000 --ramp 2000 --rate 20 --duration ${BENCH_MEMFLAT:-300s} --rss-every 10s"
	)
	check=()
	scenario_limit=600
fi

# run_scenario SERVER NAME PORT HTTPPORT FLAGS... runs herald-load once,
# writing its JSON, timeline and progress into raw/.
run_scenario() {
	local s=$1 name=$2 port=$3 http_port=$4
	shift 4
	timeout --foreground --kill-after=10 "$scenario_limit" "$bin/herald-load" "$@" "${check[@]}" \
		--url "http://127.0.0.1:$port" --broadcast-url "http://127.0.0.1:$http_port/broadcast" \
		--server-pid "$server_pid" --name "$s" --scenario "$name" --json \
		--timeline "$raw/$s-$name.csv" >"$raw/$s-$name.json" 2>"$raw/$s-$name.progress" &
	wait $!
}

failed=()
failed_first=()
for s in $servers; do
	case "$s" in
	herald) base=3100 ;;
	node) base=3200 ;;
	zishang520) base=3300 ;;
	esac
	for entry in "${scenarios[@]}"; do
		name=${entry%%|*}
		scenario_name=$name
		read -r -a flags <<<"${entry#*|}"
		port=$(free_port "$base")
		http_port=$(free_port $((port + 1)))
		log "$s: $name (127.0.0.1:$port, broadcast on $http_port)"
		if ! start_server "$s" "$port" "$http_port"; then
			failed+=("$s $name: server did not start")
			stop_server
			continue
		fi
		status=0
		run_scenario "$s" "$name" "$port" "$http_port" "${flags[@]}" || status=$?
		if ((quick && status == 3)); then
			# A smoke test must not fail on one lost connection of a peer
			# (zishang520 drops one now and then): retry once, and say so.
			log "$s $name: incomplete, retrying once"
			failed_first+=("$s $name")
			status=0
			run_scenario "$s" "$name" "$port" "$http_port" "${flags[@]}" || status=$?
		fi
		tail -n 1 "$raw/$s-$name.progress" >&2 || true
		if ((status != 0)); then
			failed+=("$s $name: herald-load exit $status")
			log "$s $name: herald-load exited $status"
		fi
		if ! alive "$server_pid"; then
			failed+=("$s: crashed during $name")
			log "$s crashed during $name; the end of its log:"
			tail -n 30 "$raw/$s-$name.log" >&2 || true
		fi
		stop_server
		sleep 1
	done
done

log "rendering into $out"
command=("bench/compare.sh" "$@")
setup="Herald's bench server ran as \`benchserver ${herald_flags:-(no flags)}\`"
if [[ $herald_flags == "--loops 1" ]]; then
	setup+=": one event loop, since the load generator needs the machine's other core"
	setup+=" (\`BENCH_HERALD_FLAGS= bench/compare.sh\` runs one loop per core)"
fi
setup+="; Node.js ran \`bench/peers/node/server.mjs\` on $(node --version 2>/dev/null || echo 'an unknown version')."
"$bin/render" --raw "$raw" --out "$out" --command "${command[*]}" --setup "$setup" &
wait $!

if ((${#failed_first[@]})); then
	log "incomplete at the first try, complete at the second:"
	printf '  %s\n' "${failed_first[@]}" >&2
fi
if ((${#failed[@]})); then
	log "problems:"
	printf '  %s\n' "${failed[@]}" >&2
	if ((quick)); then
		exit 1
	fi
fi
log "done: $out/RESULTS.md"
