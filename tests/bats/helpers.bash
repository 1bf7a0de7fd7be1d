# Helpers for the bats suites: free ports, temp dirs, local raftd clusters
# on 127.0.0.1 started and stopped by PID (never by name).
#
# RAFTD names the binary (default: raftd/raftd of the source tree, for an
# in-tree build). Every suite calls raftd_setup in setup() and
# raftd_teardown in teardown().

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

RAFTD=${RAFTD:-$BATS_TEST_DIRNAME/../../raftd/raftd}

# Ports handed out in this test, so two calls never return the same one.
declare -a USED_PORTS=()
# PID of each member we started, by member number.
declare -a PIDS=()
# Client and peer ports by member number.
declare -a CLIENT_PORT=()
declare -a PEER_PORT=()

raftd_setup() {
	[ -x "$RAFTD" ] || skip "no raftd binary at $RAFTD (set RAFTD)"
	command -v curl >/dev/null || skip "curl is not installed"
	TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/raftd-bats.XXXXXX")
	USED_PORTS=()
	PIDS=()
	CLIENT_PORT=()
	PEER_PORT=()
}

raftd_teardown() {
	local i pid
	for i in "${!PIDS[@]}"; do
		pid=${PIDS[$i]}
		[ -n "$pid" ] || continue
		if kill -0 "$pid" 2>/dev/null; then
			# A member a test stopped with SIGSTOP must run to
			# handle SIGTERM.
			kill -CONT "$pid" 2>/dev/null || true
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done
	for i in "${!PIDS[@]}"; do
		pid=${PIDS[$i]}
		[ -n "$pid" ] || continue
		wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "${TEST_DIR:-}" ] && [ -d "$TEST_DIR" ]; then
		# Leave the logs where a failing test can show them.
		if [ "${BATS_ERROR_STATUS:-0}" != 0 ] || [ -n "${KEEP_LOGS:-}" ]; then
			for f in "$TEST_DIR"/*.log; do
				[ -f "$f" ] && { echo "== $f"; tail -n 30 "$f"; }
			done >&3 2>/dev/null || true
		fi
		rm -rf "$TEST_DIR"
	fi
}

# Waits up to $2 seconds for process $1 to end.
wait_gone() {
	local pid=$1 deadline=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# Sets FREE_PORT to a TCP port that nothing on this machine uses (any
# state, IPv4 or IPv6) and that this test did not hand out yet; call it
# directly, not in $(...), so that it remembers. The port is below the
# kernel's ephemeral range, where outgoing connections (curl, peers) cannot
# take it first.
free_port() {
	local port used low high
	read -r low high </proc/sys/net/ipv4/ip_local_port_range
	[ "$low" -gt 11000 ] || low=32768
	# Every local port in use, in one printf (a shell loop over the
	# sockets took seconds once a suite had opened a few hundred).
	# shellcheck disable=SC2046
	used=" $(printf '%d ' $(awk 'FNR > 1 { n = split($2, a, ":"); print "0x" a[n] }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null)) "
	while :; do
		port=$((10000 + (RANDOM * 32768 + RANDOM) % (low - 10000)))
		if [[ "$used" != *" $port "* ]] &&
			[[ " ${USED_PORTS[*]} " != *" $port "* ]]; then
			USED_PORTS+=("$port")
			FREE_PORT=$port
			return
		fi
	done
}

# Picks the ports of members 1..$1 and sets INITIAL_CLUSTER.
plan_cluster() {
	local n=$1 i list=""
	for ((i = 1; i <= n; i++)); do
		free_port
		PEER_PORT[$i]=$FREE_PORT
		free_port
		CLIENT_PORT[$i]=$FREE_PORT
		list+="${list:+,}$i=127.0.0.1:${PEER_PORT[$i]}/127.0.0.1:${CLIENT_PORT[$i]}"
	done
	INITIAL_CLUSTER=$list
	N_MEMBERS=$n
}

# Starts member $1 as a new member of the planned cluster; more flags may
# follow. Its stderr goes to $TEST_DIR/n$1.log.
start_member() {
	local i=$1
	shift
	"$RAFTD" --id "$i" --data-dir "$TEST_DIR/n$i" \
		--listen-peer "127.0.0.1:${PEER_PORT[$i]}" \
		--listen-client "127.0.0.1:${CLIENT_PORT[$i]}" \
		--initial-cluster "$INITIAL_CLUSTER" \
		--tick-ms "${TICK_MS:-50}" --log-level debug "$@" \
		2>>"$TEST_DIR/n$i.log" &
	PIDS[$i]=$!
}

# Restarts member $1 with only its data dir and listen addresses.
restart_member() {
	local i=$1
	shift
	"$RAFTD" --data-dir "$TEST_DIR/n$i" \
		--listen-peer "127.0.0.1:${PEER_PORT[$i]}" \
		--listen-client "127.0.0.1:${CLIENT_PORT[$i]}" \
		--tick-ms "${TICK_MS:-50}" --log-level debug "$@" \
		2>>"$TEST_DIR/n$i.log" &
	PIDS[$i]=$!
}

# Starts members 1..$1 of a new cluster and waits for a leader.
start_cluster() {
	local i
	plan_cluster "$1"
	for ((i = 1; i <= $1; i++)); do
		start_member "$i"
	done
	wait_for_leader 15
}

# Sends SIGTERM to member $1 and waits for it; sets STOP_STATUS to its
# exit status.
stop_member() {
	local pid=${PIDS[$1]}
	kill -TERM "$pid"
	if ! wait_gone "$pid" 10; then
		echo "member $1 (pid $pid) did not stop within 10 s" >&2
		return 1
	fi
	STOP_STATUS=0
	wait "$pid" || STOP_STATUS=$?
	PIDS[$1]=""
}

# The client URL of member $1.
url() {
	echo "http://127.0.0.1:${CLIENT_PORT[$1]}"
}

# Prints the value of a scalar JSON field $2 in the text $1.
json_field() {
	grep -o "\"$2\":[^,}]*" <<<"$1" | head -n 1 | cut -d: -f2- | tr -d '"'
}

# Whether member $1 takes part: it runs and is not in SKIP_MEMBERS (member
# numbers separated by spaces: members a test cut off or stopped on
# purpose, which still run but cannot follow the others).
in_play() {
	[ -n "${PIDS[$1]:-}" ] && [[ " ${SKIP_MEMBERS:-} " != *" $1 "* ]]
}

# Waits up to $1 seconds until every member in play agrees on one leader;
# sets LEADER (its member number) and prints it.
wait_for_leader() {
	local deadline=$((SECONDS + $1)) i st leader agreed
	while [ "$SECONDS" -lt "$deadline" ]; do
		leader=""
		agreed=1
		for i in "${!PIDS[@]}"; do
			in_play "$i" || continue
			st=$(curl -s --max-time 1 "$(url "$i")/v1/status") || {
				agreed=0
				break
			}
			st=$(json_field "$st" leader_id)
			if [ -z "$st" ] || [ "$st" = 0 ] ||
				{ [ -n "$leader" ] && [ "$st" != "$leader" ]; }; then
				agreed=0
				break
			fi
			leader=$st
		done
		# Followers name a dead leader until their election timeout.
		if [ "$agreed" = 1 ] && [ -n "$leader" ] && in_play "$leader" &&
			st=$(curl -s --max-time 1 "$(url "$leader")/v1/status"); then
			if [ "$(json_field "$st" state)" = leader ]; then
				LEADER=$leader
				echo "$leader"
				return 0
			fi
		fi
		sleep 0.1
	done
	echo "no leader within $1 s" >&2
	return 1
}

# A member in play that is not the leader.
follower() {
	local i
	for i in "${!PIDS[@]}"; do
		if in_play "$i" && [ "$i" != "$LEADER" ]; then
			echo "$i"
			return
		fi
	done
}

# curl that prints the body then a last line with the status code.
http() {
	curl -s --max-time 10 -w '\n%{http_code}' "$@"
}

# Sends $2 (a printf %b string: \r\n escapes) to member $1's client port
# on one connection, and prints all the server sends until it closes the
# connection; fails if it did not within 5 s.
raw_http() {
	local port=${CLIENT_PORT[$1]} conn status
	# A descriptor of its own: bats writes its report on 3.
	exec {conn}<>"/dev/tcp/127.0.0.1/$port"
	printf '%b' "$2" >&"$conn"
	timeout 5 cat <&"$conn"
	status=$?
	exec {conn}<&-
	return $status
}

# The bodies of raw_http's output, one per line: what is not a status line,
# a header or a blank line (bodies that end with a newline).
raw_bodies() {
	tr -d '\r' <<<"$1" | grep -v -e '^HTTP/1\.[01] ' -e '^[A-Za-z-]*: ' -e '^$'
}

# Splits the output of http into BODY (without the final newline of a JSON
# answer) and CODE.
split_http() {
	CODE=${1##*$'\n'}
	BODY=${1%$'\n'*}
	BODY=${BODY%$'\n'}
}

# Lists a directory tree with sizes and modification times, to check that a
# failed start changed nothing.
tree_state() {
	if [ -e "$1" ]; then
		find "$1" -printf '%p %s %T@\n' | sort
	else
		echo "absent"
	fi
}

# Starts members 1..$1 of a new cluster with failpoints enabled and waits
# for a leader.
start_cluster_failpoints() {
	local i
	plan_cluster "$1"
	for ((i = 1; i <= $1; i++)); do
		start_member "$i" --enable-failpoints
	done
	wait_for_leader 15
}

# Prints field $2 of member $1's /v1/status (empty if it does not answer).
status_field() {
	local st
	st=$(curl -s --max-time 2 "$(url "$1")/v1/status") || return 0
	json_field "$st" "$2"
}

# Waits up to $3 seconds until member $1 applied index $2; fails saying
# where it stands.
wait_applied() {
	local deadline=$((SECONDS + $3)) applied
	while :; do
		applied=$(status_field "$1" applied_index)
		[ "${applied:-0}" -lt "$2" ] || return 0
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "member $1 applied ${applied:-?} < $2 after $3 s" >&2
			return 1
		fi
		sleep 0.05
	done
}
