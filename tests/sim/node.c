/* One simulated node: its core, durable disk and writes in flight.
 *
 * Also the loop that drains ready batches into the disk, the network and
 * the checker. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "entry.h"

/* A core that hands out this many batches for one input without running
 * dry is stuck in a loop; the run stops rather than hang. */
#define MAX_READY_ROUNDS 100000

const char *node_role_name(uint8_t role)
{
	switch (role) {
	case RAFT_FOLLOWER:
		return "follower";
	case RAFT_PRE_CANDIDATE:
		return "pre_candidate";
	case RAFT_CANDIDATE:
		return "candidate";
	case RAFT_LEADER:
		return "leader";
	default:
		return "down";
	}
}

static void disk_reserve(struct node *n, size_t want)
{
	if (want <= n->disk_cap) {
		return;
	}
	size_t cap = n->disk_cap ? n->disk_cap : 64;
	while (cap < want) {
		cap *= 2;
	}
	n->disk_entries =
	    sim_realloc(n->disk_entries, cap * sizeof *n->disk_entries);
	n->disk_hashes =
	    sim_realloc(n->disk_hashes, cap * sizeof *n->disk_hashes);
	n->disk_cap = cap;
}

static void log_reserve(struct node *n, raft_index last)
{
	if (last + 1 <= n->log_cap) {
		return;
	}
	size_t cap = n->log_cap ? n->log_cap : 64;
	while (cap < last + 1) {
		cap *= 2;
	}
	n->log = sim_realloc(n->log, cap * sizeof *n->log);
	n->log_cap = cap;
}

raft_index node_disk_last(const struct node *n)
{
	return n->disk_offset + n->disk_n;
}

uint64_t node_disk_hash(const struct cluster *c, const struct node *n,
			raft_index index)
{
	if (index == 0 || index > node_disk_last(n)) {
		return 0;
	}
	if (index > n->disk_offset) {
		return n->disk_hashes[index - n->disk_offset - 1];
	}
	if (index == n->disk_offset) {
		return n->disk_offset_hash;
	}
	/* Compacted into the snapshot, which the checker found equal to
	 * the committed history when it was recorded. */
	if (index > n->disk_snap.index || index > c->chk.len) {
		return 0;
	}
	return c->chk.hash[index];
}

/* Durable log: drops everything from index `from` on (from > offset). */
static void disk_truncate(struct node *n, raft_index from)
{
	while (n->disk_n > 0 && node_disk_last(n) >= from) {
		struct raft_entry *e = &n->disk_entries[n->disk_n - 1];
		free(e->data.base);
		n->disk_n--;
	}
}

/* Durable log: drops every entry up to `to` (offset < to <= last). */
static void disk_compact(struct node *n, raft_index to)
{
	size_t k = (size_t)(to - n->disk_offset);
	n->disk_offset_hash = n->disk_hashes[k - 1];
	for (size_t i = 0; i < k; i++) {
		free(n->disk_entries[i].data.base);
	}
	memmove(n->disk_entries, n->disk_entries + k,
		(n->disk_n - k) * sizeof *n->disk_entries);
	memmove(n->disk_hashes, n->disk_hashes + k,
		(n->disk_n - k) * sizeof *n->disk_hashes);
	n->disk_n -= k;
	n->disk_offset = to;
}

void sim_snapshot_clear(struct sim_snapshot *s)
{
	raft_configuration_close(&s->conf);
	memset(s, 0, sizeof *s);
	raft_configuration_init(&s->conf);
}

void sim_snapshot_copy(struct sim_snapshot *dst, const struct sim_snapshot *src)
{
	sim_snapshot_clear(dst);
	*dst = *src;
	conf_copy(&dst->conf, &src->conf);
}

/* The post-heal proposals at or below index in the committed history. */
static uint64_t heal_mask_upto(const struct cluster *c, raft_index index)
{
	uint64_t mask = 0;
	for (unsigned k = 0; k < 64; k++) {
		if (c->heal_index[k] != 0 && c->heal_index[k] <= index) {
			mask |= UINT64_C(1) << k;
		}
	}
	return mask;
}

/* Whether a snapshot (index, hash) is the committed history's prefix. */
static bool snapshot_in_history(struct cluster *c, const struct node *n,
				const char *what, raft_index index,
				uint64_t hash)
{
	if (index > c->chk.len || c->chk.hash[index] != hash) {
		cluster_fail(c,
			     "state machine safety: n%" PRIu64 " %s a "
			     "snapshot at %" PRIu64 " that is not the "
			     "committed history's prefix (history length "
			     "%" PRIu64 ")",
			     n->id, what, index, c->chk.len);
		return false;
	}
	return true;
}

void node_init(struct cluster *c, struct node *n, raft_id id,
	       const struct raft_core_config *config,
	       const struct raft_entry *bootstrap)
{
	memset(n, 0, sizeof *n);
	n->id = id;
	n->config = *config;
	raft_configuration_init(&n->disk_snap.conf);
	raft_configuration_init(&n->received.conf);
	n->disk_min = c->disk_min;
	n->disk_max = c->disk_max;
	log_reserve(n, 0);
	memset(&n->log[0], 0, sizeof n->log[0]);
	if (bootstrap == NULL) {
		/* A node added to a running cluster: term 0, no vote, no
		 * entry; a leader sends it the log or a snapshot. */
		return;
	}
	n->disk_hs.term = 1;
	n->disk_hs.vote = 0;
	disk_reserve(n, 1);
	struct raft_entry *copy = entry_copy_array(bootstrap, 1);
	n->disk_entries[0] = copy[0];
	free(copy);
	n->disk_hashes[0] = entry_chain_hash(0, &n->disk_entries[0]);
	n->disk_n = 1;
}

/* Sets the mirror's entry at index (log[index - 1] is set): its term, chain
 * hash and the configuration in force there. */
static void mirror_set(struct cluster *c, struct node *n, raft_index index,
		       const struct raft_entry *e, uint64_t hash)
{
	struct mirror_entry *m = &n->log[index];
	m->term = e->term;
	m->hash = hash;
	if (e->type == RAFT_ENTRY_CONF) {
		m->conf_at = index;
		m->conf_id = check_conf_entry(c, e);
	} else {
		m->conf_at = n->log[index - 1].conf_at;
		m->conf_id = n->log[index - 1].conf_id;
	}
}

/* Whether a snapshot's configuration is the one in force at its index in
 * the committed history (which holds that index). */
static bool snapshot_conf_ok(struct cluster *c, const struct node *n,
			     const char *what, raft_index index,
			     const struct raft_configuration *conf)
{
	const struct raft_configuration *want = check_conf_at(&c->chk, index);
	char a[64], b[64];
	if (conf_equal(conf, want)) {
		return true;
	}
	conf_describe(conf, a, sizeof a);
	conf_describe(want, b, sizeof b);
	cluster_fail(c,
		     "n%" PRIu64 " %s a snapshot at %" PRIu64 " with the "
		     "configuration {%s} but {%s} is in force there",
		     n->id, what, index, a, b);
	return false;
}

static void free_write(struct write *w)
{
	raft_configuration_close(&w->snapshot.conf);
	entry_free_array(w->entries, w->n_entries);
	message_free_array(w->messages, w->n_messages);
	free(w->ack_hashes);
	free(w);
}

static void drop_writes(struct node *n)
{
	while (n->writes_head != NULL) {
		struct write *w = n->writes_head;
		n->writes_head = w->next;
		free_write(w);
	}
	n->writes_tail = NULL;
	n->n_writes = 0;
}

void node_close(struct node *n)
{
	drop_writes(n);
	raft_core_free(n->core);
	n->core = NULL;
	disk_truncate(n, 1);
	free(n->disk_entries);
	free(n->disk_hashes);
	free(n->log);
	free(n->granted);
	raft_configuration_close(&n->disk_snap.conf);
	raft_configuration_close(&n->received.conf);
	memset(n, 0, sizeof *n);
}

/* The mirror of the entries up to index, which a snapshot covers: the
 * committed history's (the snapshot was checked against it). */
static bool mirror_from_history(struct cluster *c, struct node *n,
				raft_index index)
{
	if (index > c->chk.len) {
		cluster_fail(c,
			     "n%" PRIu64 ": its snapshot or compacted log "
			     "reaches %" PRIu64 " beyond the committed "
			     "history (%" PRIu64 ")",
			     n->id, index, c->chk.len);
		return false;
	}
	log_reserve(n, index);
	for (raft_index i = 1; i <= index; i++) {
		n->log[i].term = c->chk.term[i];
		n->log[i].hash = c->chk.hash[i];
		n->log[i].conf_at = c->chk.conf_at[i];
		n->log[i].conf_id = c->chk.conf_id[i];
	}
	return true;
}

void node_start(struct cluster *c, struct node *n)
{
	struct raft_snapshot_meta meta = {
	    .index = n->disk_snap.index,
	    .term = n->disk_snap.term,
	    .conf = n->disk_snap.conf,
	};
	struct raft_core_state state = {
	    .term = n->disk_hs.term,
	    .vote = n->disk_hs.vote,
	    .entries = n->disk_entries,
	    .n_entries = n->disk_n,
	    /* The state machine reloads the snapshot: apply resumes after
	     * it. */
	    .applied = n->disk_snap.index,
	    .snapshot = n->disk_snap.index != 0 ? &meta : NULL,
	};
	char errmsg[256] = "";

	if (n->disk_snap.index != 0 &&
	    !snapshot_in_history(c, n, "restarts from", n->disk_snap.index,
				 n->disk_snap.hash)) {
		return;
	}
	n->config.random_seed = rng_next(&c->rng);
	int rv =
	    raft_core_new(&n->config, &state, &n->core, errmsg, sizeof errmsg);
	if (rv != 0) {
		n->core = NULL;
		cluster_fail(c,
			     "n%" PRIu64 ": raft_core_new from its durable "
			     "state failed: %s: %s",
			     n->id, raft_err_name(rv), errmsg);
		return;
	}

	/* The core's log is now exactly the durable one, after what the
	 * snapshot covers. */
	raft_index last = node_disk_last(n);
	if (last < n->disk_snap.index) {
		last = n->disk_snap.index;
	}
	if (!mirror_from_history(c, n, n->disk_offset)) {
		return;
	}
	log_reserve(n, last);
	for (size_t i = 0; i < n->disk_n && !c->failed; i++) {
		mirror_set(c, n, n->disk_offset + i + 1, &n->disk_entries[i],
			   n->disk_hashes[i]);
	}
	if (node_disk_last(n) < n->disk_snap.index &&
	    !mirror_from_history(c, n, n->disk_snap.index)) {
		return;
	}
	n->last_index = last;
	n->handed_hs = n->disk_hs;
	/* Apply starts again from the snapshot, or from the beginning: the
	 * applied index is not durable, the state machine is rebuilt from
	 * the snapshot and the log. */
	n->applied = n->disk_snap.index;
	n->applied_hash = n->disk_snap.hash;
	n->heal_mask |= n->disk_snap.heal_mask;
	n->installing = 0;
	if (n->disk_snap.index != 0) {
		n->n_snapshot_restarts++;
		if (n->disk_n > 0 && n->disk_offset < n->disk_snap.index) {
			n->n_margin_restarts++;
		}
	}
	n->role = 0;
	n->leader_id = 0;
	n->commit = 0;
	n->term = n->disk_hs.term;
	cluster_trace(c, n->id,
		      "start term=%" PRIu64 " vote=%" PRIu64 " last=(%" PRIu64
		      ",%" PRIu64 ") snapshot=%" PRIu64 " log from %" PRIu64,
		      n->disk_hs.term, n->disk_hs.vote, n->last_index,
		      n->log[n->last_index].term, n->disk_snap.index,
		      n->disk_offset + 1);
	node_drain(c, n);
}

void node_stop(struct cluster *c, struct node *n)
{
	(void)c;
	drop_writes(n);
	raft_core_free(n->core);
	n->core = NULL;
	n->incarnation++;
	n->n_crashes++;
	n->role = 0;
	n->leader_id = 0;
	n->installing = 0;
}

/* The chain hash a message acknowledges: the node's log at the index an
 * AppendEntries success names (0 if not an ack or not in the log). */
static uint64_t ack_hash_now(const struct node *n,
			     const struct raft_message *msg)
{
	if (msg->type != RAFT_MSG_APPEND_RESP || !msg->append_resp.success ||
	    msg->append_resp.index > n->last_index) {
		return 0;
	}
	return n->log[msg->append_resp.index].hash;
}

/* Sends one message now. msg is the simulator's own deep copy: ownership
 * goes to the network. */
static void send_owned(struct cluster *c, struct node *n,
		       struct raft_message *msg, uint64_t ack_hash)
{
	check_message_sent(c, n, msg, ack_hash);
	if (msg->to == 0 || msg->to > c->n || msg->to == n->id) {
		/* Already reported; nowhere to deliver it. */
		message_close(msg);
		return;
	}
	struct node *to = &c->nodes[msg->to];
	char desc[256];
	if (c->trace != NULL) {
		message_describe(msg, desc, sizeof desc);
	}
	raft_id dst = msg->to;
	if (net_send(&c->net, &c->rng, c->now, msg, to->incarnation) == 0) {
		cluster_trace(c, n->id, "-x n%" PRIu64 " %s lost: dropped", dst,
			      desc);
	}
}

/* Updates the mirror of the core's log with a batch's entries: they
 * replace the log from entries[0].index on. */
static void mirror_replace(struct cluster *c, struct node *n,
			   const struct raft_entry *entries, size_t count)
{
	raft_index first = entries[0].index;

	if (first == 0 || first > n->last_index + 1 || first <= n->installing) {
		cluster_fail(c,
			     "n%" PRIu64 ": ready entries start at index "
			     "%" PRIu64 " but the log ends at %" PRIu64
			     " (a gap)",
			     n->id, first, n->last_index);
		return;
	}
	log_reserve(n, first + count - 1);
	uint64_t hash = n->log[first - 1].hash;
	raft_term prev_term = n->log[first - 1].term;
	for (size_t i = 0; i < count; i++) {
		const struct raft_entry *e = &entries[i];
		raft_index index = first + i;
		char label[ENTRY_LABEL_LEN];
		if (e->index != index) {
			cluster_fail(c,
				     "n%" PRIu64 ": ready entries not "
				     "contiguous: index %" PRIu64
				     " where %" PRIu64 " was due",
				     n->id, e->index, index);
			return;
		}
		if (e->term < prev_term || e->term > n->handed_hs.term) {
			cluster_fail(c,
				     "n%" PRIu64 ": entry (%" PRIu64 ",%" PRIu64
				     ") has a term below the "
				     "previous entry's %" PRIu64
				     " or above the node's term %" PRIu64,
				     n->id, index, e->term, prev_term,
				     n->handed_hs.term);
			return;
		}
		prev_term = e->term;
		hash = entry_chain_hash(hash, e);
		if (index <= n->commit && index <= n->last_index) {
			check_log_replace(c, n, index, e->term, hash);
		}
		mirror_set(c, n, index, e, hash);
		entry_label(e, label);
		check_log_entry(c, n, index, e->term, hash, label);
	}
	n->last_index = first + count - 1;
}

/* The core handed out a snapshot to install (a leader streamed it; the
 * data is on the disk already): the state machine is replaced by it, and
 * the core's log restarts after it. Returns false on a failure. */
static bool install_snapshot(struct cluster *c, struct node *n,
			     const struct raft_snapshot_meta *meta)
{
	const struct sim_snapshot *r = &n->received;

	if (r->index != meta->index || r->term != meta->term) {
		cluster_fail(c,
			     "n%" PRIu64 ": the core installs a snapshot at "
			     "(%" PRIu64 ",%" PRIu64 ") but the snapshot "
			     "stored last is (%" PRIu64 ",%" PRIu64 ")",
			     n->id, meta->index, meta->term, r->index, r->term);
		return false;
	}
	if (meta->index <= n->commit) {
		cluster_fail(c,
			     "n%" PRIu64 ": the core installs a snapshot at "
			     "%" PRIu64 " which its commit index %" PRIu64
			     " already covers",
			     n->id, meta->index, n->commit);
		return false;
	}
	if (!snapshot_in_history(c, n, "installs", r->index, r->hash) ||
	    c->chk.term[r->index] != meta->term ||
	    !mirror_from_history(c, n, meta->index)) {
		if (!c->failed) {
			cluster_fail(c,
				     "n%" PRIu64 ": installs a snapshot at "
				     "%" PRIu64 " of term %" PRIu64
				     " where the history has term %" PRIu64,
				     n->id, meta->index, meta->term,
				     c->chk.term[r->index]);
		}
		return false;
	}
	if (!snapshot_conf_ok(c, n, "installs", meta->index, &meta->conf)) {
		return false;
	}
	n->last_index = meta->index;
	n->applied = meta->index;
	n->applied_hash = r->hash;
	n->heal_mask |= r->heal_mask;
	n->installing = meta->index;
	n->n_installs++;
	cluster_trace(c, n->id, "install snapshot (%" PRIu64 ",%" PRIu64 ")",
		      meta->index, meta->term);
	return true;
}

/* Takes a batch's hard state, snapshot, entries and held messages into a
 * new write at the end of the queue. */
static void queue_write(struct cluster *c, struct node *n,
			const struct raft_ready *rd)
{
	bool persists =
	    rd->hard_state_changed || rd->n_entries > 0 || rd->snapshot != NULL;

	if (rd->hard_state_changed) {
		check_hard_state_handed_out(c, n, &rd->hard_state);
	}
	if (rd->snapshot != NULL && !install_snapshot(c, n, rd->snapshot)) {
		return;
	}
	if (rd->n_entries > 0) {
		mirror_replace(c, n, rd->entries, rd->n_entries);
	}
	if (!persists && n->writes_head == NULL) {
		/* Nothing to write and nothing in flight: everything the
		 * core handed out is durable, so these may leave now. */
		for (size_t i = 0; i < rd->n_persisted_messages; i++) {
			struct raft_message copy;
			message_copy(&copy, &rd->persisted_messages[i]);
			send_owned(c, n, &copy, ack_hash_now(n, &copy));
		}
		return;
	}

	struct write *w = sim_malloc(sizeof *w);
	memset(w, 0, sizeof *w);
	w->has_hard_state = rd->hard_state_changed;
	w->hard_state = rd->hard_state;
	raft_configuration_init(&w->snapshot.conf);
	if (rd->snapshot != NULL) {
		w->snapshot.index = rd->snapshot->index;
		w->snapshot.term = rd->snapshot->term;
		conf_copy(&w->snapshot.conf, &rd->snapshot->conf);
		w->snapshot.hash = n->received.hash;
		w->snapshot.heal_mask = n->received.heal_mask;
	}
	w->entries = entry_copy_array(rd->entries, rd->n_entries);
	w->n_entries = rd->n_entries;
	w->messages = message_copy_array(rd->persisted_messages,
					 rd->n_persisted_messages);
	w->n_messages = rd->n_persisted_messages;
	if (w->n_messages > 0) {
		w->ack_hashes =
		    sim_malloc(w->n_messages * sizeof *w->ack_hashes);
		for (size_t i = 0; i < w->n_messages; i++) {
			w->ack_hashes[i] = ack_hash_now(n, &w->messages[i]);
		}
	}

	uint64_t done_at = c->now;
	if (persists) {
		done_at += rng_range(&c->rng, n->disk_min, n->disk_max);
	}
	/* Writes complete in the order they were handed out. */
	if (n->writes_tail != NULL && done_at < n->writes_tail->done_at) {
		done_at = n->writes_tail->done_at;
	}
	if (done_at <= c->now) {
		done_at = c->now + 1;
	}
	w->done_at = done_at;
	if (n->writes_tail != NULL) {
		n->writes_tail->next = w;
	} else {
		n->writes_head = w;
	}
	n->writes_tail = w;
	n->n_writes++;
}

/* Applies one committed entry to the (trivial) state machine: the checker
 * records it; post-heal proposals mark the node for the liveness check. */
static void apply_entry(struct cluster *c, struct node *n,
			const struct raft_entry *e)
{
	static const char heal_prefix[] = "heal-";
	size_t plen = sizeof heal_prefix - 1;

	check_apply(c, n, e);
	if (e->type == RAFT_ENTRY_NORMAL && e->data.len > plen &&
	    e->data.len < plen + 4 &&
	    memcmp(e->data.base, heal_prefix, plen) == 0) {
		const char *p = (const char *)e->data.base + plen;
		unsigned k = 0;
		bool digits = true;
		for (size_t i = plen; i < e->data.len; i++, p++) {
			digits = digits && *p >= '0' && *p <= '9';
			k = k * 10 + (unsigned)(*p - '0');
		}
		if (digits && k < 64) {
			n->heal_mask |= UINT64_C(1) << k;
			if (c->heal_index[k] == 0) {
				c->heal_index[k] = e->index;
			}
		}
	}
}

void node_drain(struct cluster *c, struct node *n)
{
	unsigned rounds = 0;

	n->n_inputs++;
	while (!c->failed && n->core != NULL && raft_core_has_ready(n->core)) {
		struct raft_ready rd;
		raft_index applied_to = 0;

		if (++rounds > MAX_READY_ROUNDS) {
			cluster_fail(c,
				     "n%" PRIu64 ": the core keeps handing "
				     "out ready batches (%u in a row)",
				     n->id, rounds);
			return;
		}
		raft_core_ready(n->core, &rd);
		if (rd.hard_state_changed || rd.n_entries > 0 ||
		    rd.n_persisted_messages > 0 || rd.snapshot != NULL) {
			queue_write(c, n, &rd);
		}
		for (size_t i = 0; i < rd.n_messages && !c->failed; i++) {
			struct raft_message copy;
			if (rd.messages[i].type == RAFT_MSG_SNAPSHOT) {
				/* The runtime streams the snapshot beside
				 * the core. */
				node_start_transfer(c, n, &rd.messages[i]);
				continue;
			}
			message_copy(&copy, &rd.messages[i]);
			send_owned(c, n, &copy, ack_hash_now(n, &copy));
		}
		if (rd.n_committed > 0) {
			cluster_trace(c, n->id,
				      "apply [%" PRIu64 "..%" PRIu64 "]",
				      rd.committed[0].index,
				      rd.committed[rd.n_committed - 1].index);
		}
		struct raft_core_status now;
		raft_core_status(n->core, &now);
		for (size_t i = 0; i < rd.n_committed; i++) {
			apply_entry(c, n, &rd.committed[i]);
			applied_to = rd.committed[i].index;
			/* A leader applying an entry of its term answers its
			 * client. */
			if (now.role == RAFT_LEADER &&
			    rd.committed[i].term == now.term) {
				check_acked(&c->chk, applied_to);
			}
		}
		for (size_t i = 0; i < rd.n_reads; i++) {
			const struct raft_read *r = &rd.reads[i];
			cluster_trace(
			    c, n->id,
			    "read ctx=%" PRIu64 " index=%" PRIu64 " %s", r->ctx,
			    r->index,
			    r->status == 0 ? "ok" : raft_err_name(r->status));
			check_read_done(c, n, r);
		}
		raft_core_advance(n->core);
		/* Only after advance: nothing may come between ready and
		 * advance. */
		if (applied_to > 0) {
			raft_core_applied(n->core, applied_to);
		}
		{
			struct raft_core_status after;
			raft_core_status(n->core, &after);
			check_served(c, n, after.applied_index);
		}
	}
	if (!c->failed && n->core != NULL) {
		check_node(c, n);
	}
}

/* Makes the oldest write durable: the disk takes its hard state and
 * entries, then its held messages leave. */
static void complete_write(struct cluster *c, struct node *n, struct write *w)
{
	char range[96] = "";

	if (w->has_hard_state) {
		check_hard_state_durable(c, n, &n->disk_hs, &w->hard_state);
		n->disk_hs = w->hard_state;
	}
	if (w->snapshot.index != 0) {
		/* The snapshot's metadata is recorded with its data, which
		 * is on the disk already, and the whole log is dropped (the
		 * core's log restarts after the snapshot too). */
		sim_snapshot_copy(&n->disk_snap, &w->snapshot);
		disk_truncate(n, n->disk_offset + 1);
		n->disk_offset = w->snapshot.index;
		n->disk_offset_hash = w->snapshot.hash;
		if (n->installing == w->snapshot.index) {
			n->installing = 0;
		}
		snprintf(range, sizeof range, " snapshot=%" PRIu64,
			 w->snapshot.index);
	}
	if (w->n_entries > 0) {
		raft_index first = w->entries[0].index;
		size_t used = strlen(range);
		if (first > node_disk_last(n) + 1 || first <= n->disk_offset) {
			cluster_fail(c,
				     "n%" PRIu64 ": write starts at %" PRIu64
				     " but the durable log holds (%" PRIu64
				     ", %" PRIu64 "]",
				     n->id, first, n->disk_offset,
				     node_disk_last(n));
			return;
		}
		disk_truncate(n, first);
		disk_reserve(n, n->disk_n + w->n_entries);
		uint64_t hash = n->disk_n > 0 ? n->disk_hashes[n->disk_n - 1]
					      : n->disk_offset_hash;
		for (size_t i = 0; i < w->n_entries; i++) {
			/* The entry's data moves to the disk. */
			n->disk_entries[n->disk_n] = w->entries[i];
			hash = entry_chain_hash(hash, &w->entries[i]);
			n->disk_hashes[n->disk_n] = hash;
			n->disk_n++;
		}
		snprintf(range + used, sizeof range - used,
			 " [%" PRIu64 "..%" PRIu64 "]", first,
			 first + w->n_entries - 1);
		free(w->entries);
		w->entries = NULL;
		w->n_entries = 0;
	}
	cluster_trace(c, n->id,
		      "durable hs=(%" PRIu64 ",%" PRIu64 ")%s%s msgs=%zu",
		      n->disk_hs.term, n->disk_hs.vote,
		      w->has_hard_state ? "*" : "", range, w->n_messages);
	for (size_t i = 0; i < w->n_messages; i++) {
		send_owned(c, n, &w->messages[i], w->ack_hashes[i]);
	}
	free(w->messages);
	w->messages = NULL;
	w->n_messages = 0;
}

void node_complete_writes(struct cluster *c, struct node *n)
{
	while (!c->failed && n->core != NULL && n->writes_head != NULL &&
	       n->writes_head->done_at <= c->now) {
		struct write *w = n->writes_head;
		size_t n_entries = w->n_entries;
		raft_index last_index = 0;
		raft_term last_term = 0;
		bool has_hs = w->has_hard_state;
		struct raft_hard_state hs = w->hard_state;

		if (n_entries > 0) {
			last_index = w->entries[n_entries - 1].index;
			last_term = w->entries[n_entries - 1].term;
		}
		n->writes_head = w->next;
		if (n->writes_head == NULL) {
			n->writes_tail = NULL;
		}
		n->n_writes--;
		complete_write(c, n, w);
		free_write(w);
		if (c->failed) {
			return;
		}
		if (has_hs) {
			raft_core_hard_state_persisted(n->core, &hs);
		}
		if (n_entries > 0) {
			raft_core_persisted(n->core, last_index, last_term);
		}
		node_drain(c, n);
	}
}

void node_deliver(struct cluster *c, struct node *n,
		  const struct raft_message *msg)
{
	int rv = raft_core_step(n->core, msg);
	if (rv != 0) {
		cluster_fail(c, "n%" PRIu64 ": raft_core_step refused a %s: %s",
			     n->id, raft_message_type_name(msg->type),
			     raft_err_name(rv));
		return;
	}
	node_drain(c, n);
}

raft_index cluster_snapshot_index(const struct cluster *c, raft_id id)
{
	const struct node *n = &c->nodes[id];
	return n->installing != 0 ? n->installing : n->disk_snap.index;
}

int cluster_take_snapshot(struct cluster *c, raft_id id, raft_index index,
			  raft_index trailing)
{
	struct node *n = &c->nodes[id];

	if (n->core == NULL) {
		return RAFT_ENOTFOUND;
	}
	bool valid =
	    index <= n->applied && index > cluster_snapshot_index(c, id);
	int rv = raft_core_snapshot_taken(n->core, index, trailing);
	cluster_trace(
	    c, id, "snapshot_taken index=%" PRIu64 " trailing=%" PRIu64 ": %s",
	    index, trailing, rv == 0 ? "ok" : raft_err_name(rv));
	if (rv != (valid ? 0 : RAFT_EINVAL)) {
		cluster_fail(c,
			     "n%" PRIu64 ": raft_core_snapshot_taken(%" PRIu64
			     ", %" PRIu64 ") with applied index %" PRIu64
			     " and snapshot %" PRIu64
			     " returned %s, expected %s",
			     id, index, trailing, n->applied,
			     cluster_snapshot_index(c, id), raft_err_name(rv),
			     raft_err_name(valid ? 0 : RAFT_EINVAL));
		return rv;
	}
	if (rv != 0) {
		return rv;
	}
	/* The state machine saved its state at index; its hash is the
	 * applied sequence's there. */
	uint64_t hash = n->log[index].hash;
	const struct raft_snapshot_meta *meta = raft_core_snapshot(n->core);
	if (!snapshot_in_history(c, n, "took", index, hash)) {
		return rv;
	}
	if (meta == NULL || meta->index != index ||
	    meta->term != n->log[index].term) {
		cluster_fail(
		    c,
		    "n%" PRIu64 ": after raft_core_snapshot_taken(%" PRIu64
		    ") the core's snapshot is not (%" PRIu64 ",%" PRIu64 ")",
		    id, index, index, n->log[index].term);
		return rv;
	}
	if (!snapshot_conf_ok(c, n, "took", index, &meta->conf)) {
		return rv;
	}
	sim_snapshot_clear(&n->disk_snap);
	n->disk_snap.index = index;
	n->disk_snap.term = n->log[index].term;
	conf_copy(&n->disk_snap.conf, &meta->conf);
	n->disk_snap.hash = hash;
	n->disk_snap.heal_mask = heal_mask_upto(c, index);
	n->n_snapshots_taken++;
	/* Then the durable log is compacted like the core's: everything up
	 * to index - trailing. Those entries are applied, hence durable. */
	raft_index to = index > trailing ? index - trailing : 0;
	if (to > n->disk_offset) {
		if (to > node_disk_last(n)) {
			cluster_fail(c,
				     "n%" PRIu64 ": compacts to %" PRIu64
				     " beyond its durable log (%" PRIu64 ")",
				     id, to, node_disk_last(n));
			return rv;
		}
		disk_compact(n, to);
	}
	node_drain(c, n);
	return rv;
}

/* A leader's ready batch asks to stream its snapshot to msg->to: the
 * runtime does it beside the core, taking a while, and may lose it. */
void node_start_transfer(struct cluster *c, struct node *n,
			 const struct raft_message *msg)
{
	const struct raft_snapshot_meta *meta = &msg->snapshot.meta;
	struct transfer t;
	char desc[256];

	check_message_sent(c, n, msg, 0);
	if (c->failed) {
		return;
	}
	if (meta->index == 0 || meta->index != n->disk_snap.index ||
	    meta->term != n->disk_snap.term) {
		cluster_fail(c,
			     "n%" PRIu64 " asks to stream a snapshot at "
			     "(%" PRIu64 ",%" PRIu64 ") to n%" PRIu64
			     " but its state machine saved (%" PRIu64
			     ",%" PRIu64 ")",
			     n->id, meta->index, meta->term, msg->to,
			     n->disk_snap.index, n->disk_snap.term);
		return;
	}
	if (!snapshot_conf_ok(c, n, "streams", meta->index, &meta->conf)) {
		return;
	}
	memset(&t, 0, sizeof t);
	t.from = n->id;
	t.to = msg->to;
	t.from_incarnation = n->incarnation;
	t.to_incarnation = c->nodes[msg->to].incarnation;
	message_copy(&t.msg, msg);
	t.hash = n->disk_snap.hash;
	t.heal_mask = n->disk_snap.heal_mask;
	if (c->snap_long_ppm > 0 && rng_ppm(&c->rng, c->snap_long_ppm)) {
		t.at = c->now +
		       rng_range(&c->rng, c->snap_delay_max, c->snap_long_max);
	} else {
		t.at = c->now +
		       rng_range(&c->rng, c->snap_delay_min, c->snap_delay_max);
	}
	/* A stream breaks on a bad network like a message is lost, or on
	 * its own (a chunk refused, a connection reset). */
	if ((c->net.faults.drop_ppm > 0 &&
	     rng_ppm(&c->rng, c->net.faults.drop_ppm)) ||
	    (c->snap_fail_ppm > 0 && rng_ppm(&c->rng, c->snap_fail_ppm))) {
		t.broken = true;
	}
	c->n_snap_sent++;
	c->n_snap_events++;
	c->snap_sent_to[msg->to]++;
	if (c->trace != NULL) {
		message_describe(msg, desc, sizeof desc);
		cluster_trace(c, n->id,
			      "=> n%" PRIu64 " %s streaming until t=%" PRIu64
			      ".%u%s",
			      msg->to, desc, t.at / SIM_STEPS_PER_TICK,
			      (unsigned)(t.at % SIM_STEPS_PER_TICK),
			      t.broken ? " (will break)" : "");
	}
	if (c->n_transfers == c->transfers_cap) {
		c->transfers_cap = c->transfers_cap ? 2 * c->transfers_cap : 8;
		c->transfers = sim_realloc(
		    c->transfers, c->transfers_cap * sizeof *c->transfers);
	}
	c->transfers[c->n_transfers++] = t;
}
