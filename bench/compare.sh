#!/bin/bash
# Measures raftd against etcd on this machine: brings up a 3-member raftd
# cluster and a 3-member etcd cluster on 127.0.0.1 (free ports, data in a
# temp dir, every write synced: raftd always, etcd by default), runs the
# same raftbench loads on each (one cluster at a time), samples each
# member's CPU time and peak RSS, and prints one table with both and their
# ratios, after two reference points of the machine (a 4 KiB
# append+fdatasync, and a no-op HTTP server driven by raftbench).
#
#   bench/compare.sh [-d SECONDS] [-w SECONDS] [--no-reference] [--keep]
#
#   -d SECONDS      measured time of each load (default 10)
#   -w SECONDS      warmup before each load (default 1)
#   --no-reference  skip the fdatasync and no-op HTTP measurements
#   --keep          keep the temp dir (data and logs) at the end
#
# RAFTD and RAFTBENCH name the binaries (default: those of the source tree,
# built with `make -j2`); ETCD names etcd. If etcd is missing, the Debian
# package etcd-server is installed (as root) without starting its system
# service. Every process this script starts is stopped by its PID at the
# end, also on Ctrl-C.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
RAFTD=${RAFTD:-$top/raftd/raftd}
RAFTBENCH=${RAFTBENCH:-$top/raftbench/raftbench}
DURATION=10
WARMUP=1
REFERENCE=1
KEEP=0
KEYS=10000
VALUE_SIZE=100

die() {
	echo "compare.sh: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case "$1" in
	-d) DURATION=${2:?-d needs SECONDS}; shift 2 ;;
	-w) WARMUP=${2:?-w needs SECONDS}; shift 2 ;;
	--no-reference) REFERENCE=0; shift ;;
	--keep) KEEP=1; shift ;;
	-h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "compare.sh: $1: unknown option (see --help)" >&2; exit 2 ;;
	esac
done
[[ "$DURATION" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "compare.sh: -d: \"$DURATION\" is not a number" >&2; exit 2; }
[[ "$WARMUP" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "compare.sh: -w: \"$WARMUP\" is not a number" >&2; exit 2; }

[ -x "$RAFTD" ] || die "no raftd at $RAFTD (build first: make -j2, or set RAFTD)"
[ -x "$RAFTBENCH" ] || die "no raftbench at $RAFTBENCH (build first: make -j2, or set RAFTBENCH)"
command -v curl >/dev/null || die "curl is not installed"

# JSON fields: jq if there, else python3.
if command -v jq >/dev/null; then
	jfield() { jq -r "$2" "$1"; }
elif command -v python3 >/dev/null; then
	jfield() {
		python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
for p in sys.argv[2].lstrip(".").split("."):
    v = v.get(p) if isinstance(v, dict) else None
print("null" if v is None else v)' "$1" "$2"
	}
else
	die "need jq or python3 to read raftbench's JSON"
fi

# ---------------------------------------------------------------------------
# etcd: installed if missing, its system service never left running.

install_etcd() {
	local made_policy=0
	[ "$(id -u)" = 0 ] || die "etcd is not installed; run as root (apt-get install etcd-server) or set ETCD"
	echo "compare.sh: installing etcd-server (Debian package)" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-cache policy etcd-server 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		apt-get update -qq
	fi
	# Forbid the package's maintainer scripts to start the service (the
	# Debian way: policy-rc.d), only for this install.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		made_policy=1
	fi
	apt-get install -y -qq etcd-server >/dev/null || {
		[ "$made_policy" = 0 ] || rm -f /usr/sbin/policy-rc.d
		die "apt-get install etcd-server failed"
	}
	[ "$made_policy" = 0 ] || rm -f /usr/sbin/policy-rc.d
	# Should a service have started anyway: stop and disable it. Only the
	# package's service, by its own tools, never by process name.
	if command -v systemctl >/dev/null; then
		if systemctl is-active --quiet etcd 2>/dev/null; then
			systemctl stop etcd || true
		fi
		systemctl disable etcd >/dev/null 2>&1 || true
	fi
	if [ -x /etc/init.d/etcd ] && /etc/init.d/etcd status >/dev/null 2>&1; then
		/etc/init.d/etcd stop >/dev/null 2>&1 || true
	fi
	if command -v update-rc.d >/dev/null; then
		update-rc.d etcd disable >/dev/null 2>&1 || true
	fi
}

ETCD=${ETCD:-$(command -v etcd || true)}
if [ -z "$ETCD" ]; then
	install_etcd
	ETCD=$(command -v etcd) || die "etcd-server installed but no etcd binary"
fi
etcd_version=$("$ETCD" --version 2>/dev/null | sed -n 's/^etcd Version: //p')

# ---------------------------------------------------------------------------
# Processes, ports, clean-up.

WORK=$(mktemp -d "${TMPDIR:-/tmp}/raft-compare.XXXXXX")
declare -a PIDS=()

stop_pids() {
	local pid deadline
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		deadline=$((SECONDS + 10))
		while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	PIDS=()
}

# Drops $1 from PIDS (it was stopped already).
forget_pid() {
	local p
	declare -a keep=()
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

cleanup() {
	stop_pids
	if [ "$KEEP" = 1 ]; then
		echo "compare.sh: data and logs kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Ports nothing uses and that this run did not hand out yet, below the
# ephemeral range (as tests/bats/helpers.bash does).
declare -a USED_PORTS=()
free_port() {
	local port used low
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range
	[ "$low" -gt 11000 ] || low=32768
	used=" "
	while read -r _ local _; do
		[[ "$local" == *:* ]] && used+="$((16#${local##*:})) "
	done < <(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	while :; do
		port=$((10000 + (RANDOM * 32768 + RANDOM) % (low - 10000)))
		if [[ "$used" != *" $port "* ]] && [[ " ${USED_PORTS[*]} " != *" $port "* ]]; then
			USED_PORTS+=("$port")
			FREE_PORT=$port
			return
		fi
	done
}

# CPU seconds (user + system) of the processes $@, as one number.
cpu_of() {
	local pid total=0 t
	local hz
	hz=$(getconf CLK_TCK)
	for pid in "$@"; do
		# Fields 14 and 15 of /proc/PID/stat, after the ")" of the name.
		t=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
		total=$((total + t))
	done
	awk -v t="$total" -v hz="$hz" 'BEGIN { printf "%.3f", t / hz }'
}

# Peak RSS (VmHWM) of process $1 in MiB.
hwm_of() {
	awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

# ---------------------------------------------------------------------------
# The clusters.

declare -a MEMBER_PIDS=()
ENDPOINTS=""

start_raftd() {
	local i list=""
	declare -a peers=() clients=()
	for i in 1 2 3; do
		free_port; peers[i]=$FREE_PORT
		free_port; clients[i]=$FREE_PORT
		list+="${list:+,}$i=127.0.0.1:${peers[$i]}/127.0.0.1:${clients[$i]}"
	done
	MEMBER_PIDS=()
	ENDPOINTS=""
	for i in 1 2 3; do
		"$RAFTD" --id "$i" --data-dir "$WORK/raftd$i" \
			--listen-peer "127.0.0.1:${peers[$i]}" \
			--listen-client "127.0.0.1:${clients[$i]}" \
			--initial-cluster "$list" --log-level warn \
			>>"$WORK/raftd$i.log" 2>&1 &
		PIDS+=("$!")
		MEMBER_PIDS+=("$!")
		ENDPOINTS+="${ENDPOINTS:+,}127.0.0.1:${clients[$i]}"
	done
	# Up to 20 s for a leader that every member names.
	local deadline=$((SECONDS + 20)) ep st leaders
	while [ "$SECONDS" -lt "$deadline" ]; do
		leaders=0
		for ep in ${ENDPOINTS//,/ }; do
			st=$(curl -s --max-time 1 "http://$ep/v1/status" || true)
			[[ "$st" == *'"state":"leader"'* || "$st" == *'"state": "leader"'* ]] && leaders=$((leaders + 1))
		done
		[ "$leaders" = 1 ] && return 0
		sleep 0.2
	done
	die "raftd: no leader within 20 s (logs in $WORK, kept: --keep)"
}

start_etcd() {
	local i list="" token
	declare -a peers=() clients=()
	token="compare-$$-$RANDOM"
	for i in 1 2 3; do
		free_port; peers[i]=$FREE_PORT
		free_port; clients[i]=$FREE_PORT
		list+="${list:+,}e$i=http://127.0.0.1:${peers[$i]}"
	done
	MEMBER_PIDS=()
	ENDPOINTS=""
	for i in 1 2 3; do
		# Defaults otherwise, fsync included; logs at warn as raftd.
		"$ETCD" --name "e$i" --data-dir "$WORK/etcd$i" \
			--listen-peer-urls "http://127.0.0.1:${peers[$i]}" \
			--initial-advertise-peer-urls "http://127.0.0.1:${peers[$i]}" \
			--listen-client-urls "http://127.0.0.1:${clients[$i]}" \
			--advertise-client-urls "http://127.0.0.1:${clients[$i]}" \
			--initial-cluster "$list" --initial-cluster-state new \
			--initial-cluster-token "$token" \
			--logger zap --log-level warn \
			>>"$WORK/etcd$i.log" 2>&1 &
		PIDS+=("$!")
		MEMBER_PIDS+=("$!")
		ENDPOINTS+="${ENDPOINTS:+,}127.0.0.1:${clients[$i]}"
	done
	local deadline=$((SECONDS + 30)) ep ok
	while [ "$SECONDS" -lt "$deadline" ]; do
		ok=0
		for ep in ${ENDPOINTS//,/ }; do
			curl -s --max-time 1 "http://$ep/health" | grep -q '"health":"true"' && ok=$((ok + 1))
		done
		[ "$ok" = 3 ] && return 0
		sleep 0.2
	done
	die "etcd: not healthy within 30 s (logs in $WORK, kept: --keep)"
}

# ---------------------------------------------------------------------------
# The loads: name, then raftbench's options.

LOADS=(
	"put c=1|--op put -c 1"
	"put c=64|--op put -c 64"
	"put c=256|--op put -c 256"
	"get linearizable c=64|--op get --consistency linearizable -c 64 --preload"
	"get lease c=64|--op get --consistency lease -c 64"
	"get stale c=64|--op get --consistency stale -c 64"
)

# run_loads TARGET: runs every load against the cluster up now; writes
# $WORK/TARGET-N.json and $WORK/TARGET-N.cpu (members' CPU, % of a core).
run_loads() {
	local target=$1 n=0 entry name args out c0 c1 t0 t1
	for entry in "${LOADS[@]}"; do
		n=$((n + 1))
		name=${entry%%|*}
		args=${entry#*|}
		out="$WORK/$target-$n.json"
		if [ "$target" = etcd ] && [[ "$args" == *lease* ]]; then
			echo "n/a" >"$out.skip"
			continue
		fi
		echo "compare.sh: $target: $name (${DURATION} s)" >&2
		c0=$(cpu_of "${MEMBER_PIDS[@]}")
		t0=$(date +%s.%N)
		# shellcheck disable=SC2086
		if ! "$RAFTBENCH" --target "$target" --endpoints "$ENDPOINTS" $args \
			--keys "$KEYS" --value-size "$VALUE_SIZE" \
			-d "$DURATION" --warmup "$WARMUP" -q -o json \
			>"$out" 2>"$out.err"; then
			echo "compare.sh: $target: $name failed: $(tail -n 1 "$out.err")" >&2
			rm -f "$out"
		fi
		c1=$(cpu_of "${MEMBER_PIDS[@]}")
		t1=$(date +%s.%N)
		awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" \
			'BEGIN { printf "%.0f", (b - a) / (e - s) * 100 }' >"$out.cpu"
	done
	local pid rss=""
	for pid in "${MEMBER_PIDS[@]}"; do
		rss+="${rss:+ / }$(hwm_of "$pid")"
	done
	echo "$rss" >"$WORK/$target.rss"
}

# ---------------------------------------------------------------------------
# Reference points of the machine.

FSYNC_LINE="(skipped)"
FSYNC_LINE_AFTER="(skipped)"
NOOP_LINE="(skipped)"

measure_fsync() {
	local cc
	cc=$(command -v cc || command -v gcc || true)
	[ -n "$cc" ] || { FSYNC_LINE="(no C compiler)"; return; }
	cat >"$WORK/fsync.c" <<'EOF'
/* 4 KiB appends, each followed by fdatasync: the latency of one durable
 * write on this file system. Prints p50 and p99 in microseconds. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}
int main(int argc, char **argv)
{
	enum { N = 300 };
	static char block[4096];
	double us[N];
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
	(void)argc;
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	memset(block, 'x', sizeof(block));
	for (int i = 0; i < N; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (write(fd, block, sizeof(block)) != sizeof(block) ||
		    fdatasync(fd) != 0) {
			perror("write/fdatasync");
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[i] = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
	}
	qsort(us, N, sizeof(us[0]), cmp);
	double sum = 0;
	for (int i = 0; i < N; i++) {
		sum += us[i];
	}
	printf("%.0f %.0f %.0f\n", us[N / 2], us[N * 99 / 100], sum / N);
	close(fd);
	unlink(argv[1]);
	return 0;
}
EOF
	if "$cc" -O2 -o "$WORK/fsync" "$WORK/fsync.c" 2>"$WORK/fsync.err" &&
		read -r p50 p99 mean < <("$WORK/fsync" "$WORK/fsync.dat"); then
		FSYNC_LINE="p50 ${p50} us, p99 ${p99} us, mean ${mean} us (300 writes, $(df -T "$WORK" | awk 'NR == 2 { print $2 }'))"
	else
		FSYNC_LINE="(failed: $(tail -n 1 "$WORK/fsync.err" 2>/dev/null))"
	fi
}

# A single-threaded epoll HTTP/1.1 server that answers every request 200
# "{}" (keep-alive), driven by raftbench as if it were etcd (POST with a
# JSON body): the ceiling of raftbench plus one server thread here.
measure_noop_http() {
	local cc port pid
	cc=$(command -v cc || command -v gcc || true)
	[ -n "$cc" ] || { NOOP_LINE="(no C compiler)"; return; }
	cat >"$WORK/noop.c" <<'EOF'
/* A no-op HTTP/1.1 server on 127.0.0.1:PORT: every request (headers and a
 * Content-Length body) gets "200 {}" on a kept-alive connection. Exits
 * by itself after SECONDS. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#define CAP 65536
struct conn {
	int fd;
	size_t len;
	char buf[CAP];
};
static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			     "Content-Length: 2\r\n\r\n{}";
int main(int argc, char **argv)
{
	int port = atoi(argv[1]), one = 1, ep, lfd;
	struct sockaddr_in a;
	struct epoll_event ev, evs[256];
	(void)argc;
	alarm((unsigned)atoi(argv[2]));
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 1024) != 0) {
		perror("bind/listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r;
			if (c == NULL) {
				int fd = accept(lfd, NULL, NULL);
				if (fd < 0)
					continue;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				c = calloc(1, sizeof(*c));
				c->fd = fd;
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				continue;
			}
			r = read(c->fd, c->buf + c->len, CAP - c->len - 1);
			if (r <= 0) {
				close(c->fd);
				free(c);
				continue;
			}
			c->len += (size_t)r;
			c->buf[c->len] = '\0';
			for (;;) {
				char *end = strstr(c->buf, "\r\n\r\n");
				char *cl;
				size_t body = 0, total;
				if (end == NULL)
					break;
				*end = '\0';
				cl = strcasestr(c->buf, "\r\ncontent-length:");
				if (cl != NULL)
					body = strtoul(cl + 17, NULL, 10);
				*end = '\r';
				total = (size_t)(end + 4 - c->buf) + body;
				if (total > c->len)
					break;
				if (write(c->fd, answer, sizeof(answer) - 1) < 0)
					break;
				memmove(c->buf, c->buf + total, c->len - total + 1);
				c->len -= total;
			}
		}
	}
}
EOF
	"$cc" -O2 -o "$WORK/noop" "$WORK/noop.c" 2>"$WORK/noop.err" || {
		NOOP_LINE="(failed to build: $(tail -n 1 "$WORK/noop.err"))"
		return
	}
	free_port
	port=$FREE_PORT
	"$WORK/noop" "$port" 60 >>"$WORK/noop.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	sleep 0.3
	if "$RAFTBENCH" --target etcd --spread --endpoints "127.0.0.1:$port" \
		--op get --consistency stale -c 64 -d 5 -q -o json \
		>"$WORK/noop.json" 2>"$WORK/noop.json.err"; then
		NOOP_LINE="$(jfield "$WORK/noop.json" .throughput) ops/s, p99 $(awk -v v="$(jfield "$WORK/noop.json" .latency_us.p99)" 'BEGIN { printf "%.3f", v / 1000 }') ms with 64 connections (raftbench CPU $(awk -v v="$(jfield "$WORK/noop.json" .client_cpu)" 'BEGIN { printf "%.0f", v * 100 }')% of a core)"
	else
		NOOP_LINE="(failed: $(tail -n 1 "$WORK/noop.json.err"))"
	fi
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	forget_pid "$pid"
}

# ---------------------------------------------------------------------------
# Run.

if [ "$REFERENCE" = 1 ]; then
	echo "compare.sh: reference: 4 KiB append+fdatasync" >&2
	measure_fsync
fi

echo "compare.sh: starting 3 raftd members" >&2
start_raftd
run_loads raftd
stop_pids

echo "compare.sh: starting 3 etcd members ($ETCD, $etcd_version)" >&2
start_etcd
run_loads etcd
stop_pids

if [ "$REFERENCE" = 1 ]; then
	echo "compare.sh: reference: no-op HTTP server" >&2
	measure_noop_http
	# Once more: a shared machine's disk latency drifts.
	before=$FSYNC_LINE
	measure_fsync
	FSYNC_LINE_AFTER=$FSYNC_LINE
	FSYNC_LINE=$before
fi

# ---------------------------------------------------------------------------
# The table.

# cell TARGET N: "ops/s p50 p99 cpu" of a load, or n/a.
cells() {
	local f="$WORK/$1-$2.json"
	if [ ! -f "$f" ]; then
		printf '%9s %8s %8s %5s %5s' "n/a" "" "" "" ""
		return
	fi
	printf '%9.0f %8.2f %8.2f %5s %5.0f' "$(jfield "$f" .throughput)" \
		"$(awk -v v="$(jfield "$f" .latency_us.p50)" 'BEGIN { print v / 1000 }')" \
		"$(awk -v v="$(jfield "$f" .latency_us.p99)" 'BEGIN { print v / 1000 }')" \
		"$(cat "$f.cpu")" \
		"$(awk -v v="$(jfield "$f" .client_cpu)" 'BEGIN { print v * 100 }')"
}

ratio() {
	local a="$WORK/raftd-$2.json" b="$WORK/etcd-$2.json"
	if [ ! -f "$a" ] || [ ! -f "$b" ]; then
		printf '%7s' "-"
		return
	fi
	awk -v x="$(jfield "$a" "$1")" -v y="$(jfield "$b" "$1")" \
		'BEGIN { if (y > 0) printf "%7.2f", x / y; else printf "%7s", "-" }'
}

errors_of() {
	local f="$WORK/$1-$2.json"
	[ -f "$f" ] && jfield "$f" .errors.total || echo "-"
}

echo
echo "raftd $("$RAFTD" --version 2>/dev/null | head -n 1 | awk '{ print $NF }') vs etcd ${etcd_version:-?}," \
	"3 members each on 127.0.0.1, $(nproc) CPUs; ${DURATION} s per load after ${WARMUP} s warmup;" \
	"${VALUE_SIZE}-byte values, ${KEYS} keys (uniform); cpu = the 3 members, cli = raftbench, in % of one core"
printf '\n%-22s | %-40s | %-40s | %s\n' "" "raftd" "etcd" "raftd/etcd"
printf '%-22s | %9s %8s %8s %5s %5s | %9s %8s %8s %5s %5s | %7s %7s\n' \
	"load" "ops/s" "p50 ms" "p99 ms" "cpu%" "cli%" "ops/s" "p50 ms" "p99 ms" \
	"cpu%" "cli%" "ops/s" "p99"
n=0
for entry in "${LOADS[@]}"; do
	n=$((n + 1))
	printf '%-22s | %s | %s | %s %s\n' "${entry%%|*}" "$(cells raftd $n)" \
		"$(cells etcd $n)" "$(ratio .throughput $n)" "$(ratio .latency_us.p99 $n)"
done
printf '%-22s | %-40s | %-40s |\n' "peak RSS MiB (members)" \
	"$(cat "$WORK/raftd.rss")" "$(cat "$WORK/etcd.rss")"
errs_r="" errs_e=""
n=0
for entry in "${LOADS[@]}"; do
	n=$((n + 1))
	errs_r+="${errs_r:+ }$(errors_of raftd $n)"
	errs_e+="${errs_e:+ }$(errors_of etcd $n)"
done
printf '%-22s | %-40s | %-40s |\n' "errors per load" "$errs_r" "$errs_e"
echo
echo "machine: 4 KiB append+fdatasync, before: $FSYNC_LINE"
echo "machine: 4 KiB append+fdatasync, after:  $FSYNC_LINE_AFTER"
echo "machine: no-op HTTP server: $NOOP_LINE"
echo "(etcd has no lease read; its linearizable reads are ReadIndex, like raftd's.)"
