#!/usr/bin/env bats
# raftd snapshots end to end: real 3-member clusters on 127.0.0.1 that take
# snapshots, compact their logs, send snapshots to members that fell
# behind, and survive crashes and corrupt snapshot files.
#
# Keys are k1, k2, ...; key ki holds "vi", or "vi-" followed by some
# padding when a test needs a large store. Every member runs with
# --snapshot-entries 50 --snapshot-trailing 10 --snapshot-keep 2 unless a
# test says otherwise.

bats_require_minimum_version 1.5.0

load helpers
load raftctl_helpers

setup() {
	raftd_setup
	command -v jq >/dev/null || skip "jq is not installed"
	SNAP_FLAGS=(--snapshot-entries 50 --snapshot-trailing 10 --snapshot-keep 2)
}

teardown() {
	raftd_teardown
}

# ------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------

# Starts members 1..$1 of a new cluster with $SNAP_FLAGS and the flags
# that follow, and waits for a leader. Requests may wait 20 s: the suite
# must pass on a busy machine.
start_snap_cluster() {
	local n=$1 i
	shift
	plan_cluster "$n"
	for ((i = 1; i <= n; i++)); do
		start_member "$i" --request-timeout-ms 20000 "${SNAP_FLAGS[@]}" "$@"
	done
	wait_for_leader 30 >/dev/null
}

# Restarts member $1 with $SNAP_FLAGS and the flags that follow (flags are
# not kept in the data dir).
restart_snap_member() {
	local i=$1
	shift
	restart_member "$i" --request-timeout-ms 20000 "${SNAP_FLAGS[@]}" "$@"
}

# Member $1's /v1/status (empty if it does not answer).
status_of() {
	curl -s --max-time 2 "$(url "$1")/v1/status" || true
}

# Field $2 (a jq path without the leading dot) of member $1's status.
sfield() {
	local st
	st=$(status_of "$1")
	[ -n "$st" ] || return 0
	jq -r ".$2" <<<"$st"
}

# (Loops run in awk: bats makes long shell loops slow.)

# Sets PADDING to $1 bytes of "x".
padding() {
	PADDING=$(head -c "$1" /dev/zero | tr '\0' x)
}

# Prints the values of keys k$1..k$2 (written with $3 bytes of padding),
# each followed by a newline and "200", as check_keys reads them.
expected_values() {
	padding "${3:-0}"
	awk -v from="$1" -v to="$2" -v pad="$PADDING" 'BEGIN {
		for (i = from; i <= to; i++)
			printf "v%d%s\n200\n", i, (pad == "" ? "" : "-" pad)
	}'
}

# PUTs keys k$1..k$2 on the leader, 8 at a time: key ki gets "vi", or with
# $3 > 0, "vi-" and $3 bytes of padding. Fails unless every write is
# acknowledged; sets LAST_INDEX to the highest log index acknowledged.
put_keys() {
	local from=$1 to=$2 pad=${3:-0} cfg=$TEST_DIR/put.cfg out
	padding "$pad"
	mkdir -p "$TEST_DIR/values"
	awk -v from="$from" -v to="$to" -v base="$(url "$LEADER")" \
		-v dir="$TEST_DIR/values" -v pad="$PADDING" 'BEGIN {
		for (i = from; i <= to; i++) {
			if (i > from)
				print "next"
			printf "url = \"%s/v1/kv/k%d\"\nrequest = \"PUT\"\n", base, i
			if (pad == "") {
				printf "data-binary = \"v%d\"\n", i
			} else {
				f = dir "/" i
				printf "v%d-%s", i, pad >f
				close(f)
				printf "data-binary = \"@%s\"\n", f
			}
			print "location\nsilent\nmax-time = 30"
			print "write-out = \"\\ncode=%{http_code}\\n\""
		}
	}' >"$cfg"
	out=$(curl -s --parallel --parallel-max 8 -K "$cfg" 2>&1) || true
	if [ "$(grep -c '^code=200$' <<<"$out")" != $((to - from + 1)) ]; then
		echo "writes of k$from..k$to: not all acknowledged:" >&2
		grep -v '^code=200$' <<<"$out" | grep . | sort | uniq -c | head >&2
		return 1
	fi
	LAST_INDEX=$(grep -o '"index":[0-9]*' <<<"$out" | cut -d: -f2 |
		sort -n | tail -n 1)
}

# Checks that keys k$2..k$3 hold their values (written with $4 bytes of
# padding) with reads through member $1 of consistency $5 (default stale:
# from member $1's own store, so it must have applied them; else following
# redirects).
check_keys() {
	local m=$1 from=$2 to=$3 pad=${4:-0} consistency=${5:-stale}
	local got=$TEST_DIR/got.$1 want=$TEST_DIR/want.$1
	timeout 30 curl -s -L --max-time 5 -w '\n%{http_code}\n' \
		"$(url "$m")/v1/kv/k[$from-$to]?consistency=$consistency" >"$got" || true
	expected_values "$from" "$to" "$pad" >"$want"
	if ! cmp -s "$want" "$got"; then
		echo "member $m: $consistency reads of k$from..k$to: wanted, got:" >&2
		diff "$want" "$got" | grep '^<' | cut -c1-60 | head -n 4 >&2
		diff "$want" "$got" | grep '^>' | cut -c1-160 | head -n 4 >&2
		echo "member $m: $(status_of "$m" | jq -c '{applied_index,
			snapshot_index, first_log_index, last_log_index}')" >&2
		return 1
	fi
}

# The snapshot files (.snap) of member $1, oldest first, one a line.
snap_files() {
	ls "$TEST_DIR/n$1/snapshots" 2>/dev/null | grep '\.snap$' || true
}

# Flips every bit of the byte in the middle of file $1.
corrupt_middle() {
	local size off byte
	size=$(stat -c %s "$1")
	off=$((size / 2))
	byte=$(od -An -tu1 -j "$off" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((byte ^ 255)))" |
		dd of="$1" bs=1 seek="$off" conv=notrunc status=none
	[ "$(od -An -tu1 -j "$off" -N1 "$1" | tr -d ' ')" = $((byte ^ 255)) ]
}

# The index in a snapshot file name.
snap_file_index() {
	local n=${1#snapshot-}
	n=${n%%-*}
	echo $((10#$n))
}

# Waits up to $2 seconds until member $1 is not writing a snapshot and its
# last snapshot is within --snapshot-entries (50) of what it applied: the
# snapshots due for the writes so far are done.
wait_snapshots_settled() {
	local deadline=$((SECONDS + $2)) st
	while :; do
		st=$(status_of "$1")
		if [ -n "$st" ] && jq -e '.snapshot_saving == false and
			.snapshot_index > 0 and
			.applied_index - .snapshot_index < 50' <<<"$st" >/dev/null; then
			return 0
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "member $1: snapshots not settled after $2 s: $st" >&2
			return 1
		fi
		sleep 0.05
	done
}

# ------------------------------------------------------------------------
# Taking snapshots and compacting the log
# ------------------------------------------------------------------------

@test "every member takes snapshots, compacts its log and keeps --snapshot-keep files" {
	start_snap_cluster 3
	local i st snap first last files metrics saved
	put_keys 1 300
	for i in 1 2 3; do
		wait_applied "$i" "$LAST_INDEX" 30
		wait_snapshots_settled "$i" 30
	done
	for i in 1 2 3; do
		st=$(status_of "$i")
		snap=$(jq .snapshot_index <<<"$st")
		first=$(jq .first_log_index <<<"$st")
		last=$(jq .last_log_index <<<"$st")
		# Several snapshots, each followed by a compaction that keeps
		# the 10 entries before it.
		saved="^raftd\[$i\] info snapshot at [0-9]+ \(term [0-9]+\) saved; log compacted to"
		[ "$(grep -cE "$saved" "$TEST_DIR/n$i.log")" -ge 3 ] ||
			fail "member $i: fewer than 3 snapshots: $(grep saved "$TEST_DIR/n$i.log")"
		grep -qE "^raftd\[$i\] info snapshot at $snap \(term [0-9]+\) saved; log compacted to $((snap - 10))\$" \
			"$TEST_DIR/n$i.log"
		[ "$snap" -ge $((LAST_INDEX - 50)) ] ||
			fail "member $i: snapshot $snap, last write $LAST_INDEX"
		assert_equal "$first" $((snap - 10 + 1))
		# The log holds fewer than 50 + 10 entries, not 300.
		[ $((last - first + 1)) -lt 60 ] || fail "member $i: log holds $first..$last"
		# Exactly --snapshot-keep files, the newest being the last
		# snapshot, and nothing half-written.
		files=$(snap_files "$i")
		assert_equal "$(wc -l <<<"$files")" 2
		assert_equal "$(snap_file_index "$(tail -n 1 <<<"$files")")" "$snap"
		[ "$(snap_file_index "$(head -n 1 <<<"$files")")" -lt "$snap" ]
		assert_equal "$(ls "$TEST_DIR/n$i/snapshots" | grep -vc '\.snap$')" 0
		# /metrics says the same.
		metrics=$(curl -s "$(url "$i")/metrics")
		grep -qx "raft_snapshot_index $snap" <<<"$metrics"
		grep -qx "raft_first_log_index $first" <<<"$metrics"
		grep -qx "raft_snapshot_saving 0" <<<"$metrics"
		# Every key is still there.
		check_keys "$i" 1 300
	done
}

# ------------------------------------------------------------------------
# Sending snapshots to members that fell behind
# ------------------------------------------------------------------------

@test "a follower restarted after the others compacted past it catches up by InstallSnapshot" {
	start_snap_cluster 3
	local f i f_last l snap first term
	put_keys 1 100
	f=$(follower)
	wait_applied "$f" "$LAST_INDEX" 30
	f_last=$(sfield "$f" last_log_index)
	stop_member "$f"
	put_keys 101 400
	# The others no longer hold the entry after f's last one.
	for i in 1 2 3; do
		[ "$i" = "$f" ] && continue
		wait_applied "$i" "$LAST_INDEX" 30
		wait_snapshots_settled "$i" 30
		first=$(sfield "$i" first_log_index)
		[ "$first" -gt $((f_last + 1)) ] ||
			fail "member $i still holds $first.. (f stopped at $f_last)"
	done
	l=$LEADER
	snap=$(sfield "$l" snapshot_index)
	restart_snap_member "$f"
	wait_applied "$f" "$LAST_INDEX" 30
	# It received the leader's snapshot and installed it.
	grep -q "^raftd\[$l\] info node $f needs snapshot $snap: sending it\$" "$TEST_DIR/n$l.log"
	grep -q "^raftd\[$f\] info receiving snapshot $snap ([0-9]* bytes) from node $l\$" "$TEST_DIR/n$f.log"
	grep -q "^raftd\[$f\] info installing snapshot $snap (term [0-9]*)\$" "$TEST_DIR/n$f.log"
	grep -q "^raftd\[$l\] info node $f installed snapshot $snap\$" "$TEST_DIR/n$l.log"
	[ "$(sfield "$f" snapshot_index)" -ge "$snap" ]
	assert_equal "$(sfield "$f" installing)" null
	# The file it keeps is the leader's, byte for byte.
	term=$(ls "$TEST_DIR/n$l/snapshots" | grep "^snapshot-0*$snap-.*\.snap\$")
	cmp "$TEST_DIR/n$l/snapshots/$term" "$TEST_DIR/n$f/snapshots/$term"
	# Every key, from its own store, and through it.
	check_keys "$f" 1 400
	check_keys "$f" 1 400 0 linearizable
	# It follows the log again after the snapshot.
	put_keys 401 420
	wait_applied "$f" "$LAST_INDEX" 30
	check_keys "$f" 401 420
}

# ------------------------------------------------------------------------
# Crashes and bad files
# ------------------------------------------------------------------------

@test "kill -9 while a snapshot is being written: a clean restart, every key, and the next snapshot works" {
	# Snapshots only on request, so that the one killed is ours.
	SNAP_FLAGS=(--snapshot-entries 0 --snapshot-bytes 0 --snapshot-trailing 10 --snapshot-keep 2)
	start_snap_cluster 3
	local f dir attempt n=300 tmp="" index post deadline before_snap before_files
	put_keys 1 "$n" 10000
	f=$(follower)
	dir=$TEST_DIR/n$f/snapshots
	for attempt in 1 2 3 4 5; do
		wait_applied "$f" "$LAST_INDEX" 30
		before_snap=$(sfield "$f" snapshot_index)
		before_files=$(snap_files "$f")
		curl -s -X POST --max-time 30 "$(url "$f")/v1/snapshot" \
			>"$TEST_DIR/post.$attempt" 2>&1 &
		post=$!
		deadline=$((SECONDS + 20))
		# Kill it as soon as the file is being written.
		tmp=""
		while [ "$SECONDS" -lt "$deadline" ] && kill -0 "$post" 2>/dev/null; do
			tmp=$(compgen -G "$dir/*.tmp" || true)
			if [ -n "$tmp" ]; then
				kill -KILL "${PIDS[$f]}"
				break
			fi
		done
		wait "$post" || true
		if [ -n "$tmp" ]; then
			wait "${PIDS[$f]}" 2>/dev/null || true
			PIDS[$f]=""
			if [ -e "$tmp" ]; then
				echo "# attempt $attempt: killed while writing $tmp" >&3
				break
			fi
			# The file was finished between the look and the kill.
			echo "# attempt $attempt: killed just after the file was written" >&3
			restart_snap_member "$f"
			wait_for_leader 30 >/dev/null
		else
			echo "# attempt $attempt: missed: $(cat "$TEST_DIR/post.$attempt")" >&3
		fi
		tmp=""
		# Again, with something new to snapshot.
		put_keys $((n + 1)) $((n + 20)) 10000
		n=$((n + 20))
	done
	[ -n "$tmp" ] || fail "no attempt caught a snapshot being written"
	# It died with the file half-written: no new snapshot file.
	assert_equal "$(snap_files "$f")" "$before_files"
	local lines_before
	lines_before=$(wc -l <"$TEST_DIR/n$f.log")
	restart_snap_member "$f"
	wait_for_leader 30 >/dev/null
	wait_applied "$f" "$LAST_INDEX" 30
	# It started from its store and log: no snapshot loaded, no new one
	# recorded, the half-written file neither read nor taken for one.
	tail -n +$((lines_before + 1)) "$TEST_DIR/n$f.log" >"$TEST_DIR/restart.log"
	run grep -E '^raftd\[[0-9]+\] error |loading|installing|skipped|\.tmp' \
		"$TEST_DIR/restart.log"
	assert_failure
	assert_equal "$(sfield "$f" snapshot_index)" "$before_snap"
	assert_equal "$(snap_files "$f")" "$before_files"
	assert_equal "$(sfield "$f" fatal)" null
	check_keys "$f" 1 "$n" 10000
	# A new snapshot works, covers every write, and the torn file is gone.
	run http -X POST "$(url "$f")/v1/snapshot"
	split_http "$output"
	assert_equal "$CODE" 200
	index=$(jq .index <<<"$BODY")
	[ "$index" -ge "$LAST_INDEX" ]
	assert_equal "$(sfield "$f" snapshot_index)" "$index"
	assert_equal "$(snap_files "$f" | tail -n 1)" \
		"$(ls "$dir" | grep "^snapshot-$(printf %020d "$index")-[0-9]\{20\}\.snap\$")"
	[ "$(snap_files "$f" | wc -l)" -le 2 ]
	run ls "$dir"
	refute_output --partial .tmp
	# And it is whole: a restart finds it valid.
	stop_member "$f"
	lines_before=$(wc -l <"$TEST_DIR/n$f.log")
	restart_snap_member "$f"
	wait_for_leader 30 >/dev/null
	assert_equal "$(sfield "$f" snapshot_index)" "$index"
	run grep -c skipped <(tail -n +$((lines_before + 1)) "$TEST_DIR/n$f.log")
	assert_output 0
	check_keys "$f" 1 "$n" 10000
}

@test "a corrupt newest snapshot file: one clear line, not loaded, every key served, a new snapshot soon" {
	start_snap_cluster 3
	local f snap file st lines_before
	put_keys 1 200
	f=$(follower)
	wait_applied "$f" "$LAST_INDEX" 30
	wait_snapshots_settled "$f" 30
	snap=$(sfield "$f" snapshot_index)
	file=$TEST_DIR/n$f/snapshots/$(snap_files "$f" | tail -n 1)
	assert_equal "$(snap_file_index "$(basename "$file")")" "$snap"
	stop_member "$f"
	corrupt_middle "$file"
	lines_before=$(wc -l <"$TEST_DIR/n$f.log")
	restart_snap_member "$f"
	wait_for_leader 30 >/dev/null
	wait_applied "$f" "$LAST_INDEX" 30
	tail -n +$((lines_before + 1)) "$TEST_DIR/n$f.log" >"$TEST_DIR/restart.log"
	# One line naming the file and the check that failed.
	run grep -F "$file" "$TEST_DIR/restart.log"
	assert_output "raftd[$f] warn snapshot $file: checksum mismatch: skipped"
	# Its store is ahead of the snapshot: nothing loaded.
	run grep -E 'loading|installing' "$TEST_DIR/restart.log"
	assert_failure
	assert_equal "$(sfield "$f" fatal)" null
	check_keys "$f" 1 200
	# A few writes (fewer than --snapshot-entries) and it takes a new
	# snapshot on its own, to replace the bad file.
	put_keys 201 205
	local deadline=$((SECONDS + 20))
	until [ "$(sfield "$f" snapshot_index)" -gt "$snap" ] &&
		[ "$(sfield "$f" snapshot_saving)" = false ]; do
		[ "$SECONDS" -lt "$deadline" ] ||
			fail "member $f: no new snapshot after $snap: $(status_of "$f")"
		sleep 0.05
	done
	snap=$(sfield "$f" snapshot_index)
	assert_equal "$(snap_file_index "$(snap_files "$f" | tail -n 1)")" "$snap"
	# POST /v1/snapshot works as well, after more writes.
	put_keys 206 210
	wait_applied "$f" "$LAST_INDEX" 30
	run http -X POST "$(url "$f")/v1/snapshot"
	split_http "$output"
	assert_equal "$CODE" 200
	[ "$(jq .index <<<"$BODY")" -ge "$LAST_INDEX" ]
	snap=$(jq .index <<<"$BODY")
	assert_equal "$(sfield "$f" snapshot_index)" "$snap"
	# Two newer files: the bad one was pruned.
	[ ! -e "$file" ]
	# The new file is whole: a restart skips nothing and serves every key.
	stop_member "$f"
	lines_before=$(wc -l <"$TEST_DIR/n$f.log")
	restart_snap_member "$f"
	wait_for_leader 30 >/dev/null
	wait_applied "$f" "$LAST_INDEX" 30
	run grep -c skipped <(tail -n +$((lines_before + 1)) "$TEST_DIR/n$f.log")
	assert_output 0
	assert_equal "$(sfield "$f" snapshot_index)" "$snap"
	check_keys "$f" 1 210
}

@test "a store behind a snapshot whose file is bad: refused with one line; with the good file it loads" {
	start_snap_cluster 3
	local f snap file
	put_keys 1 120
	f=$(follower)
	wait_applied "$f" "$LAST_INDEX" 30
	wait_snapshots_settled "$f" 30
	snap=$(sfield "$f" snapshot_index)
	file=$TEST_DIR/n$f/snapshots/$(snap_files "$f" | tail -n 1)
	assert_equal "$(snap_file_index "$(basename "$file")")" "$snap"
	stop_member "$f"
	# The store is lost (its log starts after the snapshot), and the
	# snapshot file is bad.
	rm -rf "$TEST_DIR/n$f/kv"
	cp "$file" "$TEST_DIR/good.snap"
	corrupt_middle "$file"
	run "$RAFTD" --data-dir "$TEST_DIR/n$f" \
		--listen-peer "127.0.0.1:${PEER_PORT[$f]}" \
		--listen-client "127.0.0.1:${CLIENT_PORT[$f]}"
	assert_failure 1
	# Its log lines, then one line that says what is wrong and what to do.
	[ "$(grep -c '^raftd: ' <<<"$output")" = 1 ] || fail "$output"
	assert_line --index $((${#lines[@]} - 1)) \
		"raftd: snapshot $file: checksum mismatch; the state machine (at 0) needs snapshot $snap: restore this node's data dir, or remove the node and add it back"
	run curl -s --max-time 2 "$(url "$f")/v1/status"
	assert_failure
	# With the good file back it loads it, then catches up from the log.
	cp "$TEST_DIR/good.snap" "$file"
	restart_snap_member "$f"
	wait_for_leader 30 >/dev/null
	wait_applied "$f" "$LAST_INDEX" 30
	grep -qxF "raftd[$f] info state machine at 0, behind snapshot $snap: loading $file" \
		"$TEST_DIR/n$f.log"
	assert_equal "$(sfield "$f" snapshot_index)" "$snap"
	check_keys "$f" 1 120
}

# ------------------------------------------------------------------------
# Watching a transfer
# ------------------------------------------------------------------------

@test "a slow snapshot transfer shows in status, metrics and raftctl status, survives a restart and finishes" {
	raftctl_setup
	start_snap_cluster 3 --enable-failpoints
	local f l o i snap file size st deadline received
	f=$(follower)
	l=$LEADER
	for i in 1 2 3; do
		[ "$i" = "$l" ] || [ "$i" = "$f" ] || o=$i
	done
	# The other follower will lose half of the leader's heartbeats too:
	# with elections of 2 to 4 s it never misses 40 in a row.
	stop_member "$o"
	restart_snap_member "$o" --enable-failpoints --election-ticks 40
	wait_for_leader 30 >/dev/null
	assert_equal "$LEADER" "$l"
	stop_member "$f"
	# 3 MB of values: a snapshot of a dozen chunks of 256 KB.
	put_keys 1 300 10000
	wait_applied "$l" "$LAST_INDEX" 30
	wait_snapshots_settled "$l" 30
	snap=$(sfield "$l" snapshot_index)
	file=$(snap_files "$l" | tail -n 1)
	assert_equal "$(snap_file_index "$file")" "$snap"
	size=$(stat -c %s "$TEST_DIR/n$l/snapshots/$file")
	[ "$size" -gt $((2 * 1024 * 1024)) ]
	# The leader loses half of what it sends: each lost chunk stalls the
	# transfer for an election timeout.
	run http -X PUT --data-binary '{"drop_percent":50}' "$(url "$l")/v1/debug/faults"
	split_http "$output"
	assert_equal "$CODE" 200
	restart_snap_member "$f"
	# Wait until part of the file arrived, then cut the link so that
	# the transfer stands still while we look at it.
	deadline=$((SECONDS + 30))
	until st=$(status_of "$f") && [ -n "$st" ] &&
		jq -e '.installing.received > 0' <<<"$st" >/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] ||
			fail "member $f received nothing of the snapshot in 30 s: $st"
		sleep 0.02
	done
	run http -X PUT --data-binary "{\"cut\":[$f]}" "$(url "$l")/v1/debug/faults"
	split_http "$output"
	assert_equal "$CODE" 200
	sleep 0.3
	st=$(status_of "$f")
	# (All 12 chunks arriving before the cut, none lost, is next to
	# impossible.)
	[ "$(jq -c .installing <<<"$st")" != null ] ||
		fail "the transfer finished before it could be watched: $st"
	received=$(jq .installing.received <<<"$st")
	assert_equal "$(jq -c .installing <<<"$st")" \
		"{\"index\":$snap,\"received\":$received,\"size\":$size}"
	[ "$received" -lt "$size" ]
	echo "# member $f holds $received of $size bytes" >&3
	# It does not move while cut off.
	sleep 0.3
	assert_equal "$(sfield "$f" installing.received)" "$received"
	# The part file holds what was received.
	assert_equal "$(stat -c %s "$TEST_DIR/n$f/snapshots/$file.part")" "$received"
	assert_equal "$(sfield "$f" snapshot_index)" 0
	# /metrics on the member says the same.
	st=$(curl -s "$(url "$f")/metrics")
	grep -qx "raft_snapshot_install_index $snap" <<<"$st"
	grep -qx "raft_snapshot_install_received_bytes $received" <<<"$st"
	grep -qx "raft_snapshot_install_size_bytes $size" <<<"$st"
	# The leader sees it receiving the snapshot.
	deadline=$((SECONDS + 10))
	until [ "$(status_of "$l" | jq -c ".members[] | select(.id == $f) |
		[.progress, .snapshot_size]")" = "[\"snapshot\",$size]" ]; do
		[ "$SECONDS" -lt "$deadline" ] ||
			fail "leader: $(status_of "$l" | jq -c ".members[] | select(.id == $f)")"
		sleep 0.05
	done
	# raftctl status prints a line for it, from its own status.
	run --separate-stderr ctl all status
	assert_success
	assert_line "node $f: installing snapshot $snap ($((received * 100 / size))%, $received of $size bytes)"
	# Restarted in the middle, it keeps what it received.
	stop_member "$f"
	restart_snap_member "$f"
	# Links back, no more losses: it goes on from there, installs the
	# snapshot and catches up.
	run http -X PUT --data-binary '{}' "$(url "$l")/v1/debug/faults"
	split_http "$output"
	assert_equal "$CODE" 200
	wait_applied "$f" "$LAST_INDEX" 30
	grep -q "^raftd\[$f\] info resuming snapshot $snap from node $l at byte $received\$" \
		"$TEST_DIR/n$f.log"
	assert_equal "$(sfield "$f" installing)" null
	[ "$(sfield "$f" snapshot_index)" -ge "$snap" ]
	grep -q "^raftd\[$f\] info installing snapshot $snap (term [0-9]*)\$" "$TEST_DIR/n$f.log"
	grep -q "^raftd\[$l\] info node $f installed snapshot $snap\$" "$TEST_DIR/n$l.log"
	cmp "$TEST_DIR/n$l/snapshots/$file" "$TEST_DIR/n$f/snapshots/$file"
	[ ! -e "$TEST_DIR/n$f/snapshots/$file.part" ]
	run --separate-stderr ctl all status
	assert_success
	refute_line --partial "installing"
	check_keys "$f" 1 300 10000
}

# ------------------------------------------------------------------------
# Snapshots on request
# ------------------------------------------------------------------------

@test "POST /v1/snapshot on a follower and on the leader; raftctl snapshot [--node ID]" {
	raftctl_setup
	# Snapshots only on request; 2 entries kept before each.
	SNAP_FLAGS=(--snapshot-entries 0 --snapshot-bytes 0 --snapshot-trailing 2 --snapshot-keep 2)
	start_snap_cluster 3
	local f l index i m
	l=$LEADER
	f=$(follower)
	put_keys 1 20
	wait_applied "$f" "$LAST_INDEX" 30
	# A follower snapshots itself; nothing is forwarded.
	run http -X POST "$(url "$f")/v1/snapshot"
	split_http "$output"
	assert_equal "$CODE" 200
	assert_output --regexp '^\{"index":[0-9]+\}'
	index=$(jq .index <<<"$BODY")
	[ "$index" -ge "$LAST_INDEX" ]
	assert_equal "$(sfield "$f" snapshot_index)" "$index"
	assert_equal "$(sfield "$f" first_log_index)" $((index - 2 + 1))
	run snap_files "$f"
	assert_output --regexp "^snapshot-$(printf %020d "$index")-[0-9]{20}\.snap\$"
	for i in 1 2 3; do
		[ "$i" = "$f" ] || assert_equal "$(sfield "$i" snapshot_index)" 0
	done
	# Again without writes: the same snapshot.
	run http -X POST "$(url "$f")/v1/snapshot"
	split_http "$output"
	assert_equal "$CODE" 200
	assert_equal "$(jq .index <<<"$BODY")" "$index"
	assert_equal "$(snap_files "$f" | wc -l)" 1
	# The leader.
	run http -X POST "$(url "$l")/v1/snapshot"
	split_http "$output"
	assert_equal "$CODE" 200
	index=$(jq .index <<<"$BODY")
	[ "$index" -ge "$LAST_INDEX" ]
	assert_equal "$(sfield "$l" snapshot_index)" "$index"
	assert_equal "$(sfield "$l" first_log_index)" $((index - 2 + 1))
	run http -X POST "$(url "$l")/v1/snapshot"
	split_http "$output"
	assert_equal "$(jq .index <<<"$BODY")" "$index"
	# Other methods: 405 in the error shape, naming POST.
	for m in GET PUT DELETE; do
		run http -X "$m" "$(url "$l")/v1/snapshot"
		split_http "$output"
		assert_equal "$CODE" 405
		assert_equal "$(jq -r .error.code <<<"$BODY")" method_not_allowed
	done
	run curl -s -D - -o /dev/null "$(url "$f")/v1/snapshot"
	assert_line --partial "HTTP/1.1 405"
	assert_line --partial "Allow: POST"
	assert_equal "$(sfield "$l" snapshot_index)" "$index"
	# raftctl snapshot: the leader; --node: that member.
	put_keys 21 40
	run --separate-stderr ctl "$f" snapshot
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	assert_output --regexp '^OK index=[0-9]+$'
	index=${output#OK index=}
	[ "$index" -ge "$LAST_INDEX" ]
	assert_equal "$(sfield "$l" snapshot_index)" "$index"
	wait_applied "$f" "$LAST_INDEX" 30
	run --separate-stderr ctl "$l" snapshot --node "$f"
	assert_success
	assert_output --regexp '^OK index=[0-9]+$'
	index=${output#OK index=}
	[ "$index" -ge "$LAST_INDEX" ]
	assert_equal "$(sfield "$f" snapshot_index)" "$index"
	grep -qx "raft_snapshot_index $index" <(curl -s "$(url "$f")/metrics")
	run --separate-stderr ctl all -o json snapshot --node "$f"
	assert_success
	assert_equal "$(jq .index <<<"$output")" "$index"
	run --separate-stderr ctl all snapshot --node 9
	assert_failure 1
	[ "$stderr" = "raftctl: snapshot: node 9 is not a member" ] || fail "stderr: $stderr"
	# Every key is still served, by both.
	check_keys "$f" 1 40
	check_keys "$l" 1 40
}
