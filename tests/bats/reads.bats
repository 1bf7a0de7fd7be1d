#!/usr/bin/env bats
# Reads on real 3-member clusters on 127.0.0.1: follower reads served by
# the follower itself, lease and wait-free reads on the leader, and a
# deposed leader that must not serve an old value from its lease.

load helpers

setup() {
	raftd_setup
}

teardown() {
	raftd_teardown
}

# GET key $2 on member $1 with consistency $3, without following
# redirects: sets CODE and BODY.
get() {
	run http "$(url "$1")/v1/kv/$2?consistency=$3"
	split_http "$output"
}

@test "a follower serves linearizable reads itself, with the latest value" {
	start_cluster 3
	local f i
	f=$(follower)
	for i in 1 2 3 4 5; do
		run http -X PUT --data-binary "v$i" "$(url "$LEADER")/v1/kv/k"
		split_http "$output"
		assert_equal "$CODE" 200
		# Right after the write was acknowledged by the leader, the
		# follower answers with it: no redirect, no stale value.
		get "$f" k linearizable
		assert_equal "$CODE" 200
		assert_equal "$BODY" "v$i"
		get "$f" k lease
		assert_equal "$CODE" 200
		assert_equal "$BODY" "v$i"
	done
	get "$f" missing linearizable
	assert_equal "$CODE" 404
	# Keys listings too.
	run http "$(url "$f")/v1/keys?prefix=k"
	split_http "$output"
	assert_equal "$CODE" 200
	assert_output --partial '"keys":["k"]'
}

@test "lease reads on the leader see every acknowledged write" {
	start_cluster 3
	local i
	for i in $(seq 1 20); do
		run http -X PUT --data-binary "v$i" "$(url "$LEADER")/v1/kv/lk"
		split_http "$output"
		assert_equal "$CODE" 200
		get "$LEADER" lk lease
		assert_equal "$CODE" 200
		assert_equal "$BODY" "v$i"
	done
}

@test "a leader cut off from the others never serves an old value by lease" {
	start_cluster_failpoints 3
	local old=$LEADER f1 f2 i deadline served=0
	f1=$(follower)
	for i in 1 2 3; do
		[ "$i" = "$old" ] || [ "$i" = "$f1" ] || f2=$i
	done
	run http -X PUT --data-binary old "$(url "$old")/v1/kv/d"
	split_http "$output"
	assert_equal "$CODE" 200
	get "$old" d lease
	assert_equal "$BODY" old
	# Cut the leader off; keep reading from it by lease while the others
	# elect a new leader and overwrite the key.
	run http -X PUT --data-binary "{\"cut\":[$f1,$f2]}" "$(url "$old")/v1/debug/faults"
	split_http "$output"
	assert_equal "$CODE" 200
	SKIP_MEMBERS=$old
	deadline=$((SECONDS + 15))
	wrote=0
	while [ "$SECONDS" -lt "$deadline" ]; do
		get "$old" d lease
		if [ "$wrote" = 1 ]; then
			# After the new value was acknowledged, the old leader
			# must not answer with the old one.
			[ "$CODE" != 200 ] || [ "$BODY" != old ] ||
				fail "the cut-off leader served the old value by lease after a newer write"
			[ "$CODE" = 200 ] && served=$((served + 1))
		fi
		if [ "$wrote" = 0 ]; then
			for i in "$f1" "$f2"; do
				run http --max-time 2 -X PUT --data-binary new "$(url "$i")/v1/kv/d"
				split_http "$output"
				if [ "$CODE" = 200 ]; then
					wrote=1
					break
				fi
			done
		elif [ "$CODE" = 503 ]; then
			break
		fi
		sleep 0.05
	done
	assert_equal "$wrote" 1
	# It stopped serving: no leader known (it stepped down) or the
	# read could not be confirmed.
	assert_equal "$CODE" 503
	assert_equal "$served" 0
	# Links back: it follows the new leader and serves the new value.
	run http -X PUT --data-binary '{}' "$(url "$old")/v1/debug/faults"
	SKIP_MEMBERS=""
	wait_for_leader 10
	deadline=$((SECONDS + 10))
	until get "$old" d linearizable && [ "$CODE" = 200 ] && [ "$BODY" = new ]; do
		[ "$SECONDS" -lt "$deadline" ] || fail "the old leader never read the new value: $CODE $BODY"
		sleep 0.1
	done
}

@test "a follower read the leader cannot confirm fails with a clear error" {
	start_cluster_failpoints 3
	local f f2 i
	f=$(follower)
	for i in 1 2 3; do
		[ "$i" = "$LEADER" ] || [ "$i" = "$f" ] || f2=$i
	done
	run http -X PUT --data-binary x "$(url "$LEADER")/v1/kv/t"
	split_http "$output"
	assert_equal "$CODE" 200
	# The follower hears no one: no leader known soon, and reads fail
	# instead of answering from its own store.
	run http -X PUT --data-binary "{\"cut\":[$LEADER,$f2]}" "$(url "$f")/v1/debug/faults"
	split_http "$output"
	assert_equal "$CODE" 200
	get "$f" t linearizable
	assert_equal "$CODE" 503
	assert_output --regexp '"code":"(timeout|no_leader)"'
	# A stale read still answers from its store.
	get "$f" t stale
	assert_equal "$CODE" 200
	assert_equal "$BODY" x
}
