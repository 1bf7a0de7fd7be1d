# Helpers of raftctl.bats, on top of helpers.bash (which starts and stops
# the clusters).
#
# RAFTCTL names the binary: by default the raftctl next to $RAFTD's build
# (../raftctl/raftctl from raftd/raftd), else the one of the source tree.

if [ -z "${RAFTCTL:-}" ]; then
	if [ -n "${RAFTD:-}" ] && [ -x "$(dirname "$RAFTD")/../raftctl/raftctl" ]; then
		RAFTCTL=$(dirname "$RAFTD")/../raftctl/raftctl
	else
		RAFTCTL=$BATS_TEST_DIRNAME/../../raftctl/raftctl
	fi
fi

# Skips the test when raftctl is not built.
raftctl_setup() {
	[ -x "$RAFTCTL" ] || skip "no raftctl binary at $RAFTCTL (set RAFTCTL)"
}

# The client addresses (HOST:PORT) of members $@, comma-separated; of all
# the planned members without arguments.
endpoints() {
	local i list=""
	if [ $# -eq 0 ]; then
		set -- $(seq 1 "$N_MEMBERS")
	fi
	for i in "$@"; do
		list+="${list:+,}127.0.0.1:${CLIENT_PORT[$i]}"
	done
	echo "$list"
}

# raftctl against members $1 (a comma-separated list of member numbers,
# "all" for every member); the other arguments follow.
ctl() {
	local members=$1 list
	shift
	if [ "$members" = all ]; then
		list=$(endpoints)
	else
		list=$(endpoints ${members//,/ })
	fi
	"$RAFTCTL" --endpoints "$list" "$@"
}

# Queries the JSON text $3: with the jq filter $1 if jq is installed, else
# with the Python expression $2 over the parsed document `d`. Prints the
# result as jq -r would (true/false for booleans, raw strings).
json_q() {
	if command -v jq >/dev/null && [ -z "${NO_JQ:-}" ]; then
		jq -r "$1" <<<"$3"
	else
		python3 -c '
import json, sys
d = json.loads(sys.argv[2])
v = eval(sys.argv[1])
print(str(v).lower() if isinstance(v, bool) else v)
' "$2" "$3"
	fi
}

# A port on 127.0.0.1 where nothing listens; sets DEAD_PORT.
dead_port() {
	free_port
	DEAD_PORT=$FREE_PORT
}
