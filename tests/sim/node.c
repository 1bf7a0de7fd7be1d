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

/* Durable log: drops everything from index `from` on. */
static void disk_truncate(struct node *n, raft_index from)
{
	while (n->disk_n >= from) {
		struct raft_entry *e = &n->disk_entries[n->disk_n - 1];
		free(e->data.base);
		n->disk_n--;
	}
}

void node_init(struct cluster *c, struct node *n, raft_id id,
	       const struct raft_core_config *config,
	       const struct raft_entry *bootstrap)
{
	memset(n, 0, sizeof *n);
	n->id = id;
	n->config = *config;
	n->disk_hs.term = 1;
	n->disk_hs.vote = 0;
	disk_reserve(n, 1);
	struct raft_entry *copy = entry_copy_array(bootstrap, 1);
	n->disk_entries[0] = copy[0];
	free(copy);
	n->disk_hashes[0] = entry_chain_hash(0, &n->disk_entries[0]);
	n->disk_n = 1;
	n->disk_min = c->disk_min;
	n->disk_max = c->disk_max;
	log_reserve(n, 0);
	n->log[0].term = 0;
	n->log[0].hash = 0;
}

static void free_write(struct write *w)
{
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
	memset(n, 0, sizeof *n);
}

void node_start(struct cluster *c, struct node *n)
{
	struct raft_core_state state = {
	    .term = n->disk_hs.term,
	    .vote = n->disk_hs.vote,
	    .entries = n->disk_entries,
	    .n_entries = n->disk_n,
	};
	char errmsg[256] = "";

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

	/* The core's log is now exactly the durable one. */
	log_reserve(n, n->disk_n);
	for (size_t i = 0; i < n->disk_n; i++) {
		n->log[i + 1].term = n->disk_entries[i].term;
		n->log[i + 1].hash = n->disk_hashes[i];
	}
	n->last_index = n->disk_n;
	n->handed_hs = n->disk_hs;
	/* Apply starts again from the beginning: the applied index is not
	 * durable, the state machine is rebuilt from the log. */
	n->applied = 0;
	n->applied_hash = 0;
	n->role = 0;
	n->leader_id = 0;
	n->commit = 0;
	n->term = n->disk_hs.term;
	cluster_trace(c, n->id,
		      "start term=%" PRIu64 " vote=%" PRIu64 " last=(%" PRIu64
		      ",%" PRIu64 ")",
		      n->disk_hs.term, n->disk_hs.vote, n->last_index,
		      n->log[n->last_index].term);
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

	if (first == 0 || first > n->last_index + 1) {
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
		n->log[index].term = e->term;
		n->log[index].hash = hash;
		entry_label(e, label);
		check_log_entry(c, n, index, e->term, hash, label);
	}
	n->last_index = first + count - 1;
}

/* Takes a batch's hard state, entries and held messages into a new write
 * at the end of the queue. */
static void queue_write(struct cluster *c, struct node *n,
			const struct raft_ready *rd)
{
	bool persists = rd->hard_state_changed || rd->n_entries > 0;

	if (rd->hard_state_changed) {
		check_hard_state_handed_out(c, n, &rd->hard_state);
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
		}
	}
}

void node_drain(struct cluster *c, struct node *n)
{
	unsigned rounds = 0;

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
		    rd.n_persisted_messages > 0) {
			queue_write(c, n, &rd);
		}
		for (size_t i = 0; i < rd.n_messages; i++) {
			struct raft_message copy;
			message_copy(&copy, &rd.messages[i]);
			send_owned(c, n, &copy, ack_hash_now(n, &copy));
		}
		if (rd.n_committed > 0) {
			cluster_trace(c, n->id,
				      "apply [%" PRIu64 "..%" PRIu64 "]",
				      rd.committed[0].index,
				      rd.committed[rd.n_committed - 1].index);
		}
		for (size_t i = 0; i < rd.n_committed; i++) {
			apply_entry(c, n, &rd.committed[i]);
			applied_to = rd.committed[i].index;
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
	}
	if (!c->failed && n->core != NULL) {
		check_node(c, n);
	}
}

/* Makes the oldest write durable: the disk takes its hard state and
 * entries, then its held messages leave. */
static void complete_write(struct cluster *c, struct node *n, struct write *w)
{
	char range[64] = "";

	if (w->has_hard_state) {
		check_hard_state_durable(c, n, &n->disk_hs, &w->hard_state);
		n->disk_hs = w->hard_state;
	}
	if (w->n_entries > 0) {
		raft_index first = w->entries[0].index;
		if (first > n->disk_n + 1) {
			cluster_fail(c,
				     "n%" PRIu64 ": write starts at %" PRIu64
				     " but the durable log ends at %zu",
				     n->id, first, n->disk_n);
			return;
		}
		disk_truncate(n, first);
		disk_reserve(n, n->disk_n + w->n_entries);
		uint64_t hash =
		    n->disk_n > 0 ? n->disk_hashes[n->disk_n - 1] : 0;
		for (size_t i = 0; i < w->n_entries; i++) {
			/* The entry's data moves to the disk. */
			n->disk_entries[n->disk_n] = w->entries[i];
			hash = entry_chain_hash(hash, &w->entries[i]);
			n->disk_hashes[n->disk_n] = hash;
			n->disk_n++;
		}
		snprintf(range, sizeof range, " [%" PRIu64 "..%" PRIu64 "]",
			 first, first + w->n_entries - 1);
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
