/* The invariant checker: Raft's safety properties, checked as the run goes.
 *
 * Every check compares what a node's core handed out (ready batches,
 * raft_core_status) with what the checker remembers of the whole run: the
 * one committed history, the leader of each term, every entry ever seen by
 * (index, term), the votes each node granted, the reads asked. A broken
 * property calls cluster_fail() with both values. */
#include "check.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "entry.h"
#include "rng.h"

void check_init(struct checker *chk)
{
	memset(chk, 0, sizeof *chk);
	chk->confs_cap = 16;
	chk->confs = sim_malloc(chk->confs_cap * sizeof *chk->confs);
	memset(&chk->confs[0], 0, sizeof chk->confs[0]);
	raft_configuration_init(&chk->confs[0].conf);
	chk->n_confs = 1;
}

void check_close(struct checker *chk)
{
	for (uint32_t i = 0; i < chk->n_confs; i++) {
		raft_configuration_close(&chk->confs[i].conf);
	}
	free(chk->confs);
	free(chk->serves);
	free(chk->hash);
	free(chk->term);
	free(chk->commit_term);
	free(chk->conf_at);
	free(chk->conf_id);
	free(chk->leaders);
	free(chk->seen);
	free(chk->reads);
	memset(chk, 0, sizeof *chk);
}

/* ---- (index, term) -> entry: open addressing, linear probing ---------- */

static size_t seen_slot(const struct checker *chk, raft_index index,
			raft_term term)
{
	size_t mask = chk->seen_cap - 1;
	size_t i =
	    (size_t)rng_mix(index * UINT64_C(0x9e3779b97f4a7c15) ^ term) & mask;
	while (chk->seen[i].index != 0 &&
	       (chk->seen[i].index != index || chk->seen[i].term != term)) {
		i = (i + 1) & mask;
	}
	return i;
}

static void seen_grow(struct checker *chk)
{
	struct seen_entry *old = chk->seen;
	size_t old_cap = chk->seen_cap;

	chk->seen_cap = old_cap ? old_cap * 2 : 1024;
	chk->seen = sim_malloc(chk->seen_cap * sizeof *chk->seen);
	memset(chk->seen, 0, chk->seen_cap * sizeof *chk->seen);
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].index != 0) {
			chk->seen[seen_slot(chk, old[i].index, old[i].term)] =
			    old[i];
		}
	}
	free(old);
}

static const struct seen_entry *seen_get(const struct checker *chk,
					 raft_index index, raft_term term)
{
	if (chk->seen_cap == 0) {
		return NULL;
	}
	const struct seen_entry *e = &chk->seen[seen_slot(chk, index, term)];
	return e->index != 0 ? e : NULL;
}

/* The label of an entry for failure messages ("?" if never seen). */
static const char *label_of(const struct checker *chk, raft_index index,
			    raft_term term)
{
	const struct seen_entry *e = seen_get(chk, index, term);
	return e != NULL ? e->label : "?";
}

void check_log_entry(struct cluster *c, struct node *n, raft_index index,
		     raft_term term, uint64_t hash, const char *label)
{
	struct checker *chk = &c->chk;

	if (2 * (chk->seen_n + 1) > chk->seen_cap) {
		seen_grow(chk);
	}
	struct seen_entry *e = &chk->seen[seen_slot(chk, index, term)];
	if (e->index == 0) {
		e->index = index;
		e->term = term;
		e->hash = hash;
		e->first_node = n->id;
		snprintf(e->label, sizeof e->label, "%s", label);
		chk->seen_n++;
		return;
	}
	if (e->hash != hash) {
		/* Same index and term, yet a different entry or a different
		 * prefix: two leaders of one term, or a bad truncation. */
		cluster_fail(
		    c,
		    "log matching: n%" PRIu64 " holds (%" PRIu64 ",%" PRIu64
		    ") '%s' after a different prefix or "
		    "with different data than n%" PRIu64 " held it ('%s')",
		    n->id, index, term, label, e->first_node, e->label);
	}
}

void check_log_replace(struct cluster *c, struct node *n, raft_index index,
		       raft_term new_term, uint64_t new_hash)
{
	if (n->log[index].hash != new_hash) {
		raft_term old_term = n->log[index].term;
		cluster_fail(c,
			     "committed entry changed: n%" PRIu64
			     " replaces (%" PRIu64 ",%" PRIu64 ") '%s' with "
			     "(%" PRIu64 ",%" PRIu64 ") although its commit "
			     "index is %" PRIu64,
			     n->id, index, old_term,
			     label_of(&c->chk, index, old_term), index,
			     new_term, n->commit);
	}
}

/* ---- configurations ----------------------------------------------------- */

uint32_t check_conf_entry(struct cluster *c, const struct raft_entry *entry)
{
	struct checker *chk = &c->chk;
	char errmsg[128] = "";

	/* CONF entries are few: the newest first, where a replicated one
	 * usually is. */
	for (uint32_t i = chk->n_confs; i-- > 1;) {
		if (chk->confs[i].index == entry->index &&
		    chk->confs[i].term == entry->term) {
			return i;
		}
	}
	if (chk->n_confs == chk->confs_cap) {
		chk->confs_cap *= 2;
		chk->confs = sim_realloc(chk->confs,
					 chk->confs_cap * sizeof *chk->confs);
	}
	struct conf_record *r = &chk->confs[chk->n_confs];
	r->index = entry->index;
	r->term = entry->term;
	raft_configuration_init(&r->conf);
	int rv = raft_configuration_decode(&entry->data, &r->conf, errmsg,
					   sizeof errmsg);
	if (rv != 0) {
		cluster_fail(c,
			     "CONF entry (%" PRIu64 ",%" PRIu64 ") does not "
			     "decode: %s: %s",
			     entry->index, entry->term, raft_err_name(rv),
			     errmsg);
		return 0;
	}
	return chk->n_confs++;
}

const struct raft_configuration *check_conf(const struct checker *chk,
					    uint32_t id)
{
	return &chk->confs[id < chk->n_confs ? id : 0].conf;
}

const struct raft_configuration *check_conf_at(const struct checker *chk,
					       raft_index index)
{
	if (index == 0 || index > chk->len) {
		return check_conf(chk, 0);
	}
	return check_conf(chk, chk->conf_id[index]);
}

const struct raft_configuration *check_committed_conf(const struct checker *chk)
{
	if (chk->len == 0) {
		return check_conf(chk, chk->boot_conf);
	}
	return check_conf_at(chk, chk->len);
}

/* Single-server changes (thesis 4.1): two configurations one after the
 * other in the committed history differ by one voter at most, so that any
 * majority of one meets any majority of the other. */
static void check_conf_step(struct cluster *c, raft_index index,
			    const struct raft_configuration *prev,
			    const struct raft_configuration *next)
{
	unsigned changed = 0;
	char a[64], b[64];

	for (unsigned i = 0; i < next->n; i++) {
		changed += next->servers[i].role == RAFT_VOTER &&
			   !conf_has(prev, next->servers[i].id, RAFT_VOTER);
	}
	for (unsigned i = 0; i < prev->n; i++) {
		changed += prev->servers[i].role == RAFT_VOTER &&
			   !conf_has(next, prev->servers[i].id, RAFT_VOTER);
	}
	if (changed > 1) {
		conf_describe(prev, a, sizeof a);
		conf_describe(next, b, sizeof b);
		cluster_fail(
		    c,
		    "single-server change: the configuration committed "
		    "at %" PRIu64 " (%s) changes %u voters of the one "
		    "before it (%s)",
		    index, b, changed, a);
	}
}

/* ---- the committed history ---------------------------------------------- */

static void history_reserve(struct checker *chk, raft_index last)
{
	if (last + 1 <= chk->cap) {
		return;
	}
	size_t cap = chk->cap ? chk->cap : 256;
	while (cap < last + 1) {
		cap *= 2;
	}
	chk->hash = sim_realloc(chk->hash, cap * sizeof *chk->hash);
	chk->term = sim_realloc(chk->term, cap * sizeof *chk->term);
	chk->commit_term =
	    sim_realloc(chk->commit_term, cap * sizeof *chk->commit_term);
	chk->conf_at = sim_realloc(chk->conf_at, cap * sizeof *chk->conf_at);
	chk->conf_id = sim_realloc(chk->conf_id, cap * sizeof *chk->conf_id);
	if (chk->cap == 0) {
		chk->hash[0] = 0;
		chk->term[0] = 0;
		chk->commit_term[0] = 0;
		chk->conf_at[0] = 0;
		chk->conf_id[0] = 0;
	}
	chk->cap = cap;
}

/* Node n's log says its entries 1..upto are committed (its commit index,
 * or an entry it applies). They must agree with the history; whatever is
 * new extends it. observer_term is n's term now. */
static void observe_committed(struct cluster *c, struct node *n,
			      raft_index upto, raft_term observer_term,
			      const char *how)
{
	struct checker *chk = &c->chk;
	raft_index at = upto <= chk->len ? upto : chk->len;

	if (at > 0 && n->log[at].hash != chk->hash[at]) {
		cluster_fail(c,
			     "state machine safety: n%" PRIu64 " %s index "
			     "%" PRIu64 " and holds (%" PRIu64 ",%" PRIu64
			     ") '%s' there, but the committed history has "
			     "(%" PRIu64 ",%" PRIu64 ") '%s' (or a different "
			     "prefix)",
			     n->id, how, upto, at, n->log[at].term,
			     label_of(chk, at, n->log[at].term), at,
			     chk->term[at], label_of(chk, at, chk->term[at]));
		return;
	}
	if (upto <= chk->len) {
		return;
	}
	history_reserve(chk, upto);
	for (raft_index i = chk->len + 1; i <= upto; i++) {
		chk->hash[i] = n->log[i].hash;
		chk->term[i] = n->log[i].term;
		chk->commit_term[i] = observer_term;
		chk->conf_at[i] = n->log[i].conf_at;
		chk->conf_id[i] = n->log[i].conf_id;
		if (n->log[i].conf_at != i) {
			continue;
		}
		/* A configuration committed: every member of it is one for
		 * good once it leaves (ids are never reused). */
		const struct raft_configuration *conf =
		    check_conf(chk, n->log[i].conf_id);
		if (chk->conf_id[i - 1] != 0) {
			check_conf_step(
			    c, i, check_conf(chk, chk->conf_id[i - 1]), conf);
		}
		for (unsigned k = 0; k < conf->n; k++) {
			raft_id id = conf->servers[k].id;
			if (id >= 1 && id <= c->n) {
				c->nodes[id].member_once = true;
			}
		}
	}
	chk->len = upto;
}

void check_apply(struct cluster *c, struct node *n,
		 const struct raft_entry *entry)
{
	if (entry->index != n->applied + 1) {
		cluster_fail(c,
			     "apply order: n%" PRIu64 " was handed index "
			     "%" PRIu64 " to apply after index %" PRIu64
			     " (a gap or a repeat)",
			     n->id, entry->index, n->applied);
		return;
	}
	uint64_t hash = entry_chain_hash(n->applied_hash, entry);
	if (entry->index > n->last_index || n->log[entry->index].hash != hash) {
		cluster_fail(c,
			     "n%" PRIu64 " applies (%" PRIu64 ",%" PRIu64
			     ") which is not the entry its log holds at that "
			     "index (last index %" PRIu64 ")",
			     n->id, entry->index, entry->term, n->last_index);
		return;
	}
	if (node_disk_hash(c, n, entry->index) != hash) {
		cluster_fail(c,
			     "n%" PRIu64 " applies (%" PRIu64 ",%" PRIu64
			     ") before it is durable locally (durable log "
			     "ends at %" PRIu64 ")",
			     n->id, entry->index, entry->term,
			     node_disk_last(n));
		return;
	}
	/* The term handed out in this batch is the node's term now (the
	 * last observed one may be older, if this input moved it). */
	observe_committed(c, n, entry->index, n->handed_hs.term, "applies");
	n->applied = entry->index;
	n->applied_hash = hash;
}

/* ---- votes -------------------------------------------------------------- */

static void vote_rule(struct cluster *c, struct node *n, const char *what,
		      const struct raft_hard_state *old_hs,
		      const struct raft_hard_state *new_hs)
{
	if (new_hs->term < old_hs->term) {
		cluster_fail(c,
			     "n%" PRIu64 " %s term went back from %" PRIu64
			     " to %" PRIu64,
			     n->id, what, old_hs->term, new_hs->term);
		return;
	}
	if (new_hs->term == old_hs->term && old_hs->vote != 0 &&
	    new_hs->vote != old_hs->vote) {
		cluster_fail(
		    c,
		    "double vote: n%" PRIu64 " %s vote in term "
		    "%" PRIu64 " changed from n%" PRIu64 " to n%" PRIu64,
		    n->id, what, new_hs->term, old_hs->vote, new_hs->vote);
	}
}

void check_hard_state_handed_out(struct cluster *c, struct node *n,
				 const struct raft_hard_state *hs)
{
	vote_rule(c, n, "handed-out", &n->handed_hs, hs);
	n->handed_hs = *hs;
}

void check_hard_state_durable(struct cluster *c, struct node *n,
			      const struct raft_hard_state *old_hs,
			      const struct raft_hard_state *new_hs)
{
	vote_rule(c, n, "durable", old_hs, new_hs);
}

/* Remembers that n gave its vote in term to candidate (itself when it
 * wins); a second, different one is a double vote, whatever its disk says. */
static void record_grant(struct cluster *c, struct node *n, raft_term term,
			 raft_id candidate)
{
	if (term >= n->granted_cap) {
		size_t cap = n->granted_cap ? n->granted_cap : 64;
		while (cap <= term) {
			cap *= 2;
		}
		n->granted = sim_realloc(n->granted, cap * sizeof *n->granted);
		memset(n->granted + n->granted_cap, 0,
		       (cap - n->granted_cap) * sizeof *n->granted);
		n->granted_cap = cap;
	}
	if (n->granted[term] != 0 && n->granted[term] != candidate) {
		cluster_fail(c,
			     "double vote: n%" PRIu64 " granted its vote in "
			     "term %" PRIu64 " to n%" PRIu64 " and then to "
			     "n%" PRIu64,
			     n->id, term, n->granted[term], candidate);
		return;
	}
	n->granted[term] = candidate;
}

void check_message_sent(struct cluster *c, struct node *n,
			const struct raft_message *msg, uint64_t ack_hash)
{
	if (msg->from != n->id || msg->to == 0 || msg->to > c->n ||
	    msg->to == n->id) {
		cluster_fail(
		    c, "n%" PRIu64 " sends a %s from n%" PRIu64 " to n%" PRIu64,
		    n->id, raft_message_type_name(msg->type), msg->from,
		    msg->to);
		return;
	}
	if (msg->type == 0 || msg->type > RAFT_MSG_CORE_MAX) {
		cluster_fail(c, "n%" PRIu64 " sends a message of type %u",
			     n->id, (unsigned)msg->type);
		return;
	}
	/* What only a leader sends: never before its term is durable, or a
	 * restart could lead the same term again with other entries. */
	if ((msg->type == RAFT_MSG_APPEND || msg->type == RAFT_MSG_HEARTBEAT ||
	     msg->type == RAFT_MSG_TIMEOUT_NOW ||
	     msg->type == RAFT_MSG_SNAPSHOT ||
	     (msg->type == RAFT_MSG_READ_INDEX_RESP &&
	      msg->read_index_resp.ok)) &&
	    n->disk_hs.term != msg->term) {
		cluster_fail(c,
			     "n%" PRIu64 " sends a %s of term %" PRIu64
			     " to n%" PRIu64 " before that term is durable "
			     "(durable term=%" PRIu64 ")",
			     n->id, raft_message_type_name(msg->type),
			     msg->term, msg->to, n->disk_hs.term);
		return;
	}
	if (msg->type == RAFT_MSG_VOTE_RESP && msg->vote_resp.granted &&
	    !msg->vote_resp.pre_vote) {
		if (n->disk_hs.term != msg->term ||
		    n->disk_hs.vote != msg->to) {
			cluster_fail(c,
				     "n%" PRIu64 " grants its vote in term "
				     "%" PRIu64 " to n%" PRIu64
				     " before that vote is durable (durable "
				     "term=%" PRIu64 " vote=n%" PRIu64 ")",
				     n->id, msg->term, msg->to, n->disk_hs.term,
				     n->disk_hs.vote);
			return;
		}
		record_grant(c, n, msg->term, msg->to);
	}
	if (msg->type == RAFT_MSG_APPEND_RESP && msg->append_resp.success &&
	    msg->append_resp.index > 0) {
		raft_index index = msg->append_resp.index;
		if (ack_hash == 0) {
			cluster_fail(c,
				     "n%" PRIu64 " acknowledges entries up to "
				     "%" PRIu64 " to n%" PRIu64
				     " that its log did not hold",
				     n->id, index, msg->to);
		} else if (index > node_disk_last(n)) {
			cluster_fail(c,
				     "n%" PRIu64 " acknowledges entries up to "
				     "%" PRIu64 " to n%" PRIu64
				     " but only %" PRIu64 " are durable",
				     n->id, index, msg->to, node_disk_last(n));
		} else if (node_disk_hash(c, n, index) != ack_hash) {
			/* The overwrite of a conflicting suffix is still in
			 * flight: the disk holds the old entries. */
			cluster_fail(c,
				     "n%" PRIu64 " acknowledges entries up to "
				     "%" PRIu64 " to n%" PRIu64
				     " while its durable log still holds "
				     "other entries there",
				     n->id, index, msg->to);
		}
	}
}

/* ---- leaders ------------------------------------------------------------ */

static void record_leader(struct cluster *c, struct node *n, raft_term term)
{
	struct checker *chk = &c->chk;

	if (term >= chk->leaders_cap) {
		size_t cap = chk->leaders_cap ? chk->leaders_cap : 64;
		while (cap <= term) {
			cap *= 2;
		}
		chk->leaders =
		    sim_realloc(chk->leaders, cap * sizeof *chk->leaders);
		memset(chk->leaders + chk->leaders_cap, 0,
		       (cap - chk->leaders_cap) * sizeof *chk->leaders);
		chk->leaders_cap = cap;
	}
	if (chk->leaders[term] != 0 && chk->leaders[term] != n->id) {
		cluster_fail(c,
			     "election safety: two leaders in term %" PRIu64
			     ": n%" PRIu64 " and n%" PRIu64,
			     term, chk->leaders[term], n->id);
		return;
	}
	chk->leaders[term] = n->id;
}

/* n just became leader of term: it must hold every entry committed in an
 * earlier term (Raft §5.4, leader completeness). Entries first seen
 * committed by a node of this term or later may legitimately be missing
 * (a slow election of an older term can end after them). */
static void check_leader_completeness(struct cluster *c, struct node *n,
				      raft_term term)
{
	struct checker *chk = &c->chk;
	raft_index k = chk->len;

	while (k > 0 && chk->commit_term[k] >= term) {
		k--;
	}
	if (k == 0) {
		return;
	}
	if (k > n->last_index || n->log[k].hash != chk->hash[k]) {
		raft_term has = k <= n->last_index ? n->log[k].term : 0;
		cluster_fail(c,
			     "leader completeness: n%" PRIu64 " became "
			     "leader of term %" PRIu64 " without committed "
			     "entry (%" PRIu64 ",%" PRIu64 ") '%s' (seen "
			     "committed in term %" PRIu64 "); its log has "
			     "term %" PRIu64 " there and ends at %" PRIu64,
			     n->id, term, k, chk->term[k],
			     label_of(chk, k, chk->term[k]),
			     chk->commit_term[k], has, n->last_index);
	}
}

/* ---- the per-node check after each drain -------------------------------- */

/* The core's snapshot and log start against the simulator's: the core
 * holds the snapshot last taken or installed, covered by the applied
 * state; its log starts where the durable log does (after the snapshot
 * being installed, until that write is durable); the durable snapshot is
 * the committed history's prefix. */
static bool check_snapshot(struct cluster *c, struct node *n,
			   const struct raft_core_status *st)
{
	raft_index want = cluster_snapshot_index(c, n->id);
	raft_index offset = n->installing != 0 ? n->installing : n->disk_offset;

	if (st->snapshot_index != want) {
		cluster_fail(c,
			     "n%" PRIu64 ": the core's snapshot is at "
			     "%" PRIu64 " but the state machine's last one is "
			     "at %" PRIu64,
			     n->id, st->snapshot_index, want);
		return false;
	}
	if (st->snapshot_index > st->applied_index) {
		cluster_fail(c,
			     "n%" PRIu64 ": snapshot at %" PRIu64
			     " beyond the applied index %" PRIu64,
			     n->id, st->snapshot_index, st->applied_index);
		return false;
	}
	if (st->first_index != offset + 1 || offset > st->commit_index) {
		cluster_fail(c,
			     "n%" PRIu64 ": the core's log starts at %" PRIu64
			     " but the durable one after %" PRIu64
			     " (commit index %" PRIu64 ")",
			     n->id, st->first_index, offset, st->commit_index);
		return false;
	}
	if (n->disk_snap.index != 0 &&
	    (n->disk_snap.index > c->chk.len ||
	     c->chk.hash[n->disk_snap.index] != n->disk_snap.hash)) {
		cluster_fail(c,
			     "state machine safety: n%" PRIu64 "'s snapshot "
			     "at %" PRIu64 " is not the committed history's "
			     "prefix",
			     n->id, n->disk_snap.index);
		return false;
	}
	return true;
}

/* After how many of its inputs (the one that commits it included) a
 * leader that the committed configuration leaves out may still lead: none,
 * the core steps down within the input that commits its removal. */
#define CHECK_REMOVED_LEADER_INPUTS 0

/* The membership properties of node n, whose core says st (see check.h). */
static void check_membership(struct cluster *c, struct node *n,
			     const struct raft_core_status *st)
{
	struct checker *chk = &c->chk;
	const struct mirror_entry *last = &n->log[n->last_index];
	const struct raft_configuration *want = check_conf(chk, last->conf_id);
	const struct raft_configuration *have =
	    raft_core_configuration(n->core);
	char a[64], b[64];

	if (!conf_equal(have, want)) {
		conf_describe(have, a, sizeof a);
		conf_describe(want, b, sizeof b);
		cluster_fail(c,
			     "configuration in force: n%" PRIu64 "'s core has "
			     "{%s} but the last CONF entry of its log (index "
			     "%" PRIu64 ") holds {%s}",
			     n->id, a, last->conf_at, b);
		return;
	}
	bool voter = !st->learner;
	bool campaigns = st->role == RAFT_PRE_CANDIDATE ||
			 st->role == RAFT_CANDIDATE || st->role == RAFT_LEADER;
	/* A voter of the configuration before the last CONF entry may
	 * campaign while that entry is not known committed (it may be the
	 * only node able to finish the change). */
	bool committed_voter = false;
	if (last->conf_at > st->commit_index && last->conf_at > 0) {
		const struct raft_server *cs = raft_configuration_get(
		    check_conf(chk, n->log[last->conf_at - 1].conf_id), n->id);
		committed_voter = cs != NULL && cs->role == RAFT_VOTER;
	}
	if (campaigns && !voter && !committed_voter &&
	    (st->role != n->role || st->term != n->term)) {
		conf_describe(have, a, sizeof a);
		cluster_fail(c,
			     "n%" PRIu64 " became %s of term %" PRIu64
			     " but neither its configuration {%s} nor the "
			     "committed one counts it as a voter (a learner "
			     "or a non-member campaigns)",
			     n->id, node_role_name(st->role), st->term, a);
		return;
	}
	if (st->role != RAFT_LEADER) {
		n->removed_leader = false;
		return;
	}
	/* One change at a time: a leader appends a CONF entry only once the
	 * last one is committed. */
	raft_index bound =
	    st->commit_index > chk->len ? st->commit_index : chk->len;
	if (last->conf_at > bound &&
	    n->log[last->conf_at - 1].conf_at > bound) {
		raft_index first = n->log[last->conf_at - 1].conf_at;
		cluster_fail(c,
			     "one change at a time: leader n%" PRIu64
			     " of term %" PRIu64 " holds two configuration "
			     "changes uncommitted, CONF entries at %" PRIu64
			     " and %" PRIu64
			     " beyond the commit index %" PRIu64,
			     n->id, st->term, first, last->conf_at, bound);
		return;
	}
	/* A leader that the committed configuration leaves out has handed
	 * over: it must not go on leading a cluster it is not part of. */
	if (voter || last->conf_at > st->commit_index) {
		n->removed_leader = false;
		return;
	}
	if (!n->removed_leader) {
		n->removed_leader = true;
		n->removed_inputs = n->n_inputs;
	}
	uint64_t inputs = n->n_inputs - n->removed_inputs + 1;
	if (inputs > CHECK_REMOVED_LEADER_INPUTS) {
		conf_describe(have, a, sizeof a);
		cluster_fail(c,
			     "removed leader: n%" PRIu64 " still leads term "
			     "%" PRIu64 " after %" PRIu64 " input(s) since the "
			     "configuration {%s} at %" PRIu64 " that leaves it "
			     "out was committed (commit index %" PRIu64 ")",
			     n->id, st->term, inputs, a, last->conf_at,
			     st->commit_index);
	}
}

void check_node(struct cluster *c, struct node *n)
{
	struct checker *chk = &c->chk;
	struct raft_core_status st;

	raft_core_status(n->core, &st);
	if (st.id != n->id) {
		cluster_fail(c, "n%" PRIu64 ": status says id %" PRIu64, n->id,
			     st.id);
		return;
	}
	if (st.term < n->term) {
		cluster_fail(c,
			     "n%" PRIu64 ": term went back from %" PRIu64
			     " to %" PRIu64,
			     n->id, n->term, st.term);
		return;
	}
	if (st.last_index != n->last_index ||
	    raft_core_term_at(n->core, st.last_index) !=
		n->log[n->last_index].term) {
		cluster_fail(c,
			     "n%" PRIu64 ": the core's log ends at (%" PRIu64
			     ",%" PRIu64 ") but its ready batches built a "
			     "log ending at (%" PRIu64 ",%" PRIu64 ")",
			     n->id, st.last_index, st.last_term, n->last_index,
			     n->log[n->last_index].term);
		return;
	}
	if (st.commit_index < n->commit) {
		cluster_fail(c,
			     "n%" PRIu64 ": commit index went back from "
			     "%" PRIu64 " to %" PRIu64,
			     n->id, n->commit, st.commit_index);
		return;
	}
	if (st.commit_index > st.last_index) {
		cluster_fail(c,
			     "n%" PRIu64 ": commit index %" PRIu64
			     " is beyond its last index %" PRIu64,
			     n->id, st.commit_index, st.last_index);
		return;
	}
	if (n->applied > st.commit_index || st.applied_index != n->applied) {
		cluster_fail(c,
			     "n%" PRIu64 ": applied %" PRIu64 " (core says "
			     "%" PRIu64 ") with commit index %" PRIu64,
			     n->id, n->applied, st.applied_index,
			     st.commit_index);
		return;
	}
	/* The core counts a snapshot it installs as persisted at once,
	 * before the runtime recorded it: harmless, since what it acts on
	 * (the acknowledgement) waits for that write. */
	bool installing =
	    n->installing != 0 && st.persisted_index == n->installing;
	if (!installing && (st.persisted_index > n->last_index ||
			    (st.persisted_index > 0 &&
			     node_disk_hash(c, n, st.persisted_index) !=
				 n->log[st.persisted_index].hash))) {
		cluster_fail(c,
			     "n%" PRIu64 ": the core counts index %" PRIu64
			     " as persisted but the durable log (up to "
			     "%" PRIu64 ") does not hold that entry",
			     n->id, st.persisted_index, node_disk_last(n));
		return;
	}
	if (!check_snapshot(c, n, &st)) {
		return;
	}
	if (st.commit_index > 0) {
		observe_committed(c, n, st.commit_index, st.term, "has commit");
		if (c->failed) {
			return;
		}
	}
	if (st.role == RAFT_LEADER) {
		if (n->leader_recorded != st.term) {
			/* A leader's self-vote must be durable before it
			 * acts on it: else a restart could vote again (and a
			 * single voter lead the same term twice). */
			if (n->disk_hs.term != st.term ||
			    n->disk_hs.vote != n->id) {
				cluster_fail(c,
					     "n%" PRIu64 " became leader of "
					     "term %" PRIu64 " before its own "
					     "vote was durable (durable "
					     "term=%" PRIu64 " vote=n%" PRIu64
					     ")",
					     n->id, st.term, n->disk_hs.term,
					     n->disk_hs.vote);
				return;
			}
			n->leader_recorded = st.term;
			record_leader(c, n, st.term);
			record_grant(c, n, st.term, n->id);
			check_leader_completeness(c, n, st.term);
		}
		if (!c->no_commit_rule && st.commit_index > n->commit &&
		    n->log[st.commit_index].term != st.term) {
			cluster_fail(c,
				     "commit rule: leader n%" PRIu64
				     " of term %" PRIu64 " moved its commit "
				     "index from %" PRIu64 " to %" PRIu64
				     ", an entry of term %" PRIu64
				     " (Raft §5.4.2: only entries of the "
				     "current term are committed by counting "
				     "replicas)",
				     n->id, st.term, n->commit, st.commit_index,
				     n->log[st.commit_index].term);
		}
	}
	if (c->failed) {
		return;
	}
	check_membership(c, n, &st);
	if (c->failed) {
		return;
	}
	if (st.role != n->role || st.term != n->term ||
	    st.leader_id != n->leader_id) {
		char leader[32] = "";
		if (st.leader_id != 0 && st.role != RAFT_LEADER) {
			snprintf(leader, sizeof leader, " leader=n%" PRIu64,
				 st.leader_id);
		}
		cluster_trace(c, n->id,
			      "%s term=%" PRIu64 "%s last=(%" PRIu64 ",%" PRIu64
			      ")",
			      node_role_name(st.role), st.term, leader,
			      st.last_index, st.last_term);
	}
	if (st.commit_index != n->commit) {
		cluster_trace(c, n->id,
			      "commit=%" PRIu64 " (%" PRIu64 ",%" PRIu64
			      ") '%s'",
			      st.commit_index, st.commit_index,
			      n->log[st.commit_index].term,
			      label_of(chk, st.commit_index,
				       n->log[st.commit_index].term));
	}
	n->role = st.role;
	n->term = st.term;
	n->leader_id = st.leader_id;
	n->commit = st.commit_index;
	if (st.term > chk->max_term) {
		chk->max_term = st.term;
	}
}

/* ---- reads -------------------------------------------------------------- */

uint64_t check_n_reads(const struct checker *chk)
{
	return chk->n_reads;
}

void check_read_asked(struct cluster *c, struct node *n, uint64_t ctx)
{
	struct checker *chk = &c->chk;

	if (ctx != chk->n_reads + 1) {
		cluster_fail(c, "sim: read ctx %" PRIu64 " out of order", ctx);
		return;
	}
	if (ctx >= chk->reads_cap) {
		chk->reads_cap = chk->reads_cap ? chk->reads_cap * 2 : 256;
		chk->reads = sim_realloc(chk->reads,
					 chk->reads_cap * sizeof *chk->reads);
	}
	struct read_request *r = &chk->reads[ctx];
	r->node = n->id;
	r->incarnation = n->incarnation;
	/* Linearizability: the read must see every write that any node
	 * already knew to be committed (a client may have seen it). */
	r->floor = chk->len;
	r->done = false;
	chk->n_reads = ctx;
}

void check_read_done(struct cluster *c, struct node *n,
		     const struct raft_read *read)
{
	struct checker *chk = &c->chk;

	if (read->ctx == 0 || read->ctx > chk->n_reads) {
		cluster_fail(c,
			     "n%" PRIu64 " answers read ctx %" PRIu64
			     " that was never asked",
			     n->id, read->ctx);
		return;
	}
	struct read_request *r = &chk->reads[read->ctx];
	if (r->node != n->id || r->incarnation != n->incarnation) {
		cluster_fail(c,
			     "n%" PRIu64 " answers read ctx %" PRIu64
			     " that was asked on n%" PRIu64
			     " (or before a restart)",
			     n->id, read->ctx, r->node);
		return;
	}
	if (r->done) {
		cluster_fail(c,
			     "n%" PRIu64 " answers read ctx %" PRIu64 " twice",
			     n->id, read->ctx);
		return;
	}
	r->done = true;
	r->status = read->status;
	r->index = read->index;
	if (read->status == RAFT_ELEADERCHANGED ||
	    read->status == RAFT_ETIMEDOUT) {
		chk->n_reads_failed++;
		return;
	}
	if (read->status != 0) {
		cluster_fail(c,
			     "n%" PRIu64 " answers read ctx %" PRIu64
			     " with status %s",
			     n->id, read->ctx, raft_err_name(read->status));
		return;
	}
	if (read->index < r->floor) {
		cluster_fail(c,
			     "linearizability: read ctx %" PRIu64
			     " on n%" PRIu64 " got index %" PRIu64
			     " but index %" PRIu64
			     " was already committed when it was asked",
			     read->ctx, n->id, read->index, r->floor);
		return;
	}
	if (read->index > n->last_index && n->role == RAFT_LEADER) {
		cluster_fail(c,
			     "n%" PRIu64 ": read ctx %" PRIu64 " has index "
			     "%" PRIu64 " beyond its last index %" PRIu64,
			     n->id, read->ctx, read->index, n->last_index);
		return;
	}
	chk->n_reads_ok++;
	/* Served once the node applied the index: only then may a client
	 * have seen it. */
	if (chk->n_serves == chk->serves_cap) {
		chk->serves_cap = chk->serves_cap ? chk->serves_cap * 2 : 64;
		chk->serves = sim_realloc(chk->serves, chk->serves_cap *
							   sizeof *chk->serves);
	}
	chk->serves[chk->n_serves++] = (struct pending_serve){
	    .node = n->id, .incarnation = n->incarnation, .index = read->index};
}

void check_served(struct cluster *c, struct node *n, raft_index applied)
{
	struct checker *chk = &c->chk;
	size_t i = 0;
	while (i < chk->n_serves) {
		struct pending_serve *s = &chk->serves[i];
		bool gone =
		    s->node == n->id && s->incarnation != n->incarnation;
		if (s->node == n->id && !gone && s->index <= applied) {
			check_acked(chk, s->index);
		}
		if (s->node == n->id && (gone || s->index <= applied)) {
			*s = chk->serves[--chk->n_serves];
		} else {
			i++;
		}
	}
}

void check_acked(struct checker *chk, raft_index index)
{
	if (index > chk->ack_floor) {
		chk->ack_floor = index;
	}
}

void check_read_now(struct cluster *c, struct node *n, raft_index applied)
{
	struct checker *chk = &c->chk;
	if (applied < chk->ack_floor) {
		cluster_fail(c,
			     "linearizability: a wait-free read on n%" PRIu64
			     " sees the state machine at %" PRIu64
			     " but index %" PRIu64
			     " was already acknowledged to a client",
			     n->id, applied, chk->ack_floor);
		return;
	}
	chk->n_wait_free_reads++;
}
