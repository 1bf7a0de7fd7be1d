#!/bin/sh
# Brings up a local 3-node raftd cluster on 127.0.0.1 and shows it working:
# installs missing packages, builds what is stale (in build/release), starts
# the three members with data in a temporary directory, prints the ports and
# the leader, writes and reads a key through raftctl, and says how to stop.
#
#   ./scripts/cluster.sh          start (or restart) the cluster
#   ./scripts/cluster.sh stop     stop the members it started, by PID
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build/release"
state="$top/build/cluster"

stop() {
	if [ -f "$state/pids" ]; then
		while read -r pid; do
			kill "$pid" 2>/dev/null || true
		done <"$state/pids"
		rm -f "$state/pids"
		echo "cluster: stopped (data kept in $(cat "$state/dir" 2>/dev/null))"
	else
		echo "cluster: nothing to stop"
	fi
}

if [ "${1:-}" = stop ]; then
	stop
	exit 0
fi

"$top/scripts/deps.sh"
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
	[ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi >/dev/null
fi
mkdir -p "$build" "$state"
if [ ! -f "$build/Makefile" ] || [ "$top/configure" -nt "$build/Makefile" ]; then
	(cd "$build" && "$top/configure" -q)
fi
make -s -C "$build" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
raftd="$build/raftd/raftd"
raftctl="$build/raftctl/raftctl"

[ -f "$state/pids" ] && stop

# Free ports, chosen at random below the kernel's ephemeral range: a port
# the kernel hands out can be taken again at once by an outgoing
# connection (the members dial each other) before the member binds it.
used_ports=" "
free_port() {
	python3 - "$used_ports" <<'PY'
import random, socket, sys
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
low = low if low > 11000 else 32768
used = set(sys.argv[1].split())
while True:
    port = random.randrange(10000, low)
    if str(port) in used:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
PY
}
dir=$(mktemp -d /tmp/raft-cluster-XXXXXX)
echo "$dir" >"$state/dir"
members=""
i=1
while [ $i -le 3 ]; do
	p=$(free_port)
	used_ports="$used_ports$p "
	eval "peer$i=$p"
	p=$(free_port)
	used_ports="$used_ports$p "
	eval "client$i=$p"
	eval "members=\"\${members:+\$members,}$i=127.0.0.1:\$peer$i/127.0.0.1:\$client$i\""
	i=$((i + 1))
done

: >"$state/pids"
i=1
while [ $i -le 3 ]; do
	eval "peer=\$peer$i client=\$client$i"
	"$raftd" --id "$i" --data-dir "$dir/$i" \
		--listen-peer "127.0.0.1:$peer" --listen-client "127.0.0.1:$client" \
		--initial-cluster "$members" >"$dir/$i.log" 2>&1 &
	echo $! >>"$state/pids"
	echo "member $i: pid $!, peers on 127.0.0.1:$peer, clients on 127.0.0.1:$client, data in $dir/$i, log $dir/$i.log"
	i=$((i + 1))
done

endpoints="127.0.0.1:$client1,127.0.0.1:$client2,127.0.0.1:$client3"
echo "$endpoints" >"$state/endpoints"

# Wait (up to 10 s) for a leader.
n=0
until "$raftctl" --endpoints "$endpoints" status 2>/dev/null | grep -q '\*'; do
	n=$((n + 1))
	if [ $n -ge 100 ]; then
		echo "cluster: no leader after 10 s; see the logs in $dir" >&2
		exit 1
	fi
	sleep 0.1
done

echo
echo "\$ raftctl --endpoints $endpoints status"
"$raftctl" --endpoints "$endpoints" status
echo
echo "\$ raftctl put greeting 'hello, raft'"
"$raftctl" --endpoints "$endpoints" put greeting 'hello, raft'
echo "\$ raftctl get greeting"
"$raftctl" --endpoints "$endpoints" get greeting
echo
echo
echo "The cluster keeps running. Try:"
echo "  export RAFTCTL_ENDPOINTS=$endpoints"
echo "  $raftctl status"
echo "  curl -L http://127.0.0.1:$client2/v1/kv/greeting"
echo "Stop it with: ./scripts/cluster.sh stop"
