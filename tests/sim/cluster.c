/* A simulated cluster: real cores on a fake network and a fake disk. */
#include "cluster.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#ifdef SIM_PLANT_BUG_TWO_CHANGES
#include "core/core.h" /* the core's state, for the planted bug */
#endif

void cluster_options_defaults(struct cluster_options *o, uint64_t seed,
			      unsigned n_nodes)
{
	struct raft_core_config cfg;

	memset(o, 0, sizeof *o);
	raft_core_config_defaults(&cfg, 1);
	o->seed = seed;
	o->n_nodes = n_nodes;
	o->election_ticks = 10;
	o->heartbeat_ticks = 1;
	o->pre_vote = cfg.pre_vote;
	o->check_quorum = cfg.check_quorum;
	o->max_inflight_msgs = cfg.max_inflight_msgs;
	o->max_inflight_bytes = cfg.max_inflight_bytes;
	o->max_append_entries = cfg.max_append_entries;
	o->max_append_bytes = cfg.max_append_bytes;
}

uint64_t cluster_tick(const struct cluster *c)
{
	return c->now / SIM_STEPS_PER_TICK;
}

static void vtrace(struct cluster *c, raft_id id, const char *fmt, va_list ap)
{
	fprintf(c->trace, "t=%" PRIu64 ".%u ", c->now / SIM_STEPS_PER_TICK,
		(unsigned)(c->now % SIM_STEPS_PER_TICK));
	if (id != 0) {
		fprintf(c->trace, "n%" PRIu64 " ", id);
	}
	vfprintf(c->trace, fmt, ap);
	fputc('\n', c->trace);
}

void cluster_trace(struct cluster *c, raft_id id, const char *fmt, ...)
{
	va_list ap;

	if (c->trace == NULL) {
		return;
	}
	va_start(ap, fmt);
	vtrace(c, id, fmt, ap);
	va_end(ap);
}

void cluster_fail(struct cluster *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed) {
		/* Only the first violation counts: later ones are often its
		 * consequences. */
		return;
	}
	c->failed = true;
	c->failed_at = c->now;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	cluster_trace(c, 0, "FAIL %s", c->why);
}

void cluster_init(struct cluster *c, const struct cluster_options *o)
{
	struct raft_configuration conf;
	struct raft_entry boot;
	int rv;

	memset(c, 0, sizeof *c);
	c->seed = o->seed;
	if (o->rng != NULL) {
		c->rng = *o->rng;
	} else {
		rng_seed(&c->rng, o->seed);
	}
	c->n = o->n_nodes;
	c->trace = o->trace;
	c->no_commit_rule = o->no_commit_rule;
	c->disk_min = 1;
	c->disk_max = o->disk_max != 0 ? o->disk_max : 5;
	/* A snapshot takes a few ticks to stream; a long one (when a run
	 * asks for them) up to 20. */
	c->snap_delay_min = SIM_STEPS_PER_TICK;
	c->snap_delay_max = 3 * SIM_STEPS_PER_TICK;
	c->snap_long_max = 20 * SIM_STEPS_PER_TICK;
	net_init(&c->net, c->n, SIM_STEPS_PER_TICK);
	check_init(&c->chk);

	raft_configuration_init(&conf);
	for (unsigned i = 1; i <= c->n; i++) {
		char address[16];
		snprintf(address, sizeof address, "n%u", i);
		rv = raft_configuration_add(&conf, i, address, RAFT_VOTER);
		if (rv != 0) {
			cluster_fail(c, "raft_configuration_add: %s",
				     raft_err_name(rv));
			raft_configuration_close(&conf);
			return;
		}
	}
	rv = raft_core_bootstrap_entry(&conf, &boot);
	raft_configuration_close(&conf);
	if (rv != 0) {
		cluster_fail(c, "raft_core_bootstrap_entry: %s",
			     raft_err_name(rv));
		return;
	}
	c->chk.boot_conf = check_conf_entry(c, &boot);
	struct raft_core_config *cfg = &c->node_config;
	raft_core_config_defaults(cfg, 1);
	cfg->election_ticks = o->election_ticks;
	cfg->heartbeat_ticks = o->heartbeat_ticks;
	cfg->pre_vote = o->pre_vote;
	cfg->check_quorum = o->check_quorum;
	cfg->max_inflight_msgs = o->max_inflight_msgs;
	cfg->max_inflight_bytes = o->max_inflight_bytes;
	cfg->max_append_entries = o->max_append_entries;
	cfg->max_append_bytes = o->max_append_bytes;
	for (unsigned i = 1; i <= c->n; i++) {
		struct raft_core_config node_cfg = *cfg;
		node_cfg.id = i;
		node_cfg.random_seed = i;
		node_init(c, &c->nodes[i], i, &node_cfg, &boot);
	}
	raft_free(boot.data.base);
	cluster_trace(
	    c, 0,
	    "cluster seed=%" PRIu64 " nodes=%u election=%u "
	    "heartbeat=%u pre_vote=%d check_quorum=%d inflight=%u/%zu "
	    "append=%u/%zu",
	    c->seed, c->n, o->election_ticks, o->heartbeat_ticks, o->pre_vote,
	    o->check_quorum, o->max_inflight_msgs, o->max_inflight_bytes,
	    o->max_append_entries, o->max_append_bytes);
	for (unsigned i = 1; i <= c->n && !c->failed; i++) {
		node_start(c, &c->nodes[i]);
	}
}

void cluster_close(struct cluster *c)
{
	for (unsigned i = 1; i <= c->n; i++) {
		node_close(&c->nodes[i]);
	}
	for (size_t i = 0; i < c->n_transfers; i++) {
		message_close(&c->transfers[i].msg);
	}
	free(c->transfers);
	net_close(&c->net);
	check_close(&c->chk);
}

static void deliver(struct cluster *c, struct envelope *env)
{
	struct raft_message *msg = &env->msg;
	struct node *to = &c->nodes[msg->to];
	const char *lost = NULL;
	char desc[256];

	if (to->core == NULL) {
		lost = "down";
	} else if (env->to_incarnation != to->incarnation) {
		lost = "restarted";
	} else if (net_is_cut(&c->net, (unsigned)msg->from,
			      (unsigned)msg->to)) {
		lost = "cut";
	} else if (c->filter != NULL && c->filter(c, msg, c->filter_arg)) {
		lost = "filtered";
	}
	if (c->trace != NULL) {
		message_describe(msg, desc, sizeof desc);
		cluster_trace(c, msg->from, "%s n%" PRIu64 " %s%s%s%s",
			      lost != NULL ? "-x" : "->", msg->to, desc,
			      env->duplicate ? " (dup)" : "",
			      lost != NULL ? " lost: " : "",
			      lost != NULL ? lost : "");
	}
	if (lost == NULL) {
		c->n_delivered++;
		node_deliver(c, to, msg);
	}
	message_close(msg);
}

/* The sender's runtime tells its core how the stream ended, if the core
 * is the one that asked for it (a restart forgets every stream). */
static void report_transfer(struct cluster *c, const struct transfer *t,
			    bool ok)
{
	struct node *from = &c->nodes[t->from];
	if (from->core == NULL || from->incarnation != t->from_incarnation) {
		return;
	}
	cluster_trace(c, t->from, "report_snapshot n%" PRIu64 " %s", t->to,
		      ok ? "ok" : "failed");
	raft_core_report_snapshot(from->core, t->to, ok);
	c->n_snap_events++;
	node_drain(c, from);
}

/* Handles one due transfer; returns whether it is finished. */
static bool run_transfer(struct cluster *c, struct transfer *t)
{
	struct node *to = &c->nodes[t->to];
	struct node *from = &c->nodes[t->from];
	const char *lost = NULL;

	if (t->lost) {
		report_transfer(c, t, false);
		return true;
	}
	bool deposed = from->core != NULL &&
		       from->incarnation == t->from_incarnation &&
		       (from->role != RAFT_LEADER || from->term != t->msg.term);
	if (deposed) {
		c->n_snap_after_leader_change++;
	}
	if (from->core == NULL || from->incarnation != t->from_incarnation) {
		lost = "sender restarted";
	} else if (deposed && rng_below(&c->rng, 2) == 0) {
		/* Some runtimes give up streaming when their node stops
		 * leading; others finish (the data is committed anyway). */
		lost = "sender no longer leads";
	} else if (to->core == NULL) {
		lost = "down";
	} else if (to->incarnation != t->to_incarnation) {
		lost = "restarted";
	} else if (net_is_cut(&c->net, (unsigned)t->from, (unsigned)t->to) ||
		   net_is_cut(&c->net, (unsigned)t->to, (unsigned)t->from)) {
		lost = "cut";
	} else if (t->broken) {
		lost = "stream broke";
	} else if (c->filter != NULL && c->filter(c, &t->msg, c->filter_arg)) {
		lost = "filtered";
	}
	if (lost != NULL) {
		cluster_trace(c, t->from,
			      "=x n%" PRIu64 " snapshot (%" PRIu64 ",%" PRIu64
			      ") lost: %s",
			      t->to, t->msg.snapshot.meta.index,
			      t->msg.snapshot.meta.term, lost);
		c->n_snap_lost++;
		c->n_snap_events++;
		/* The sender's runtime notices after a timeout. */
		t->lost = true;
		t->at = c->now + rng_range(&c->rng, 1, 10 * SIM_STEPS_PER_TICK);
		return false;
	}
	/* The data is stored durably, then the metadata stepped in. */
	cluster_trace(
	    c, t->to,
	    "<= n%" PRIu64 " snapshot (%" PRIu64 ",%" PRIu64 ") stored",
	    t->from, t->msg.snapshot.meta.index, t->msg.snapshot.meta.term);
	c->n_snap_delivered++;
	c->n_snap_events++;
	sim_snapshot_clear(&to->received);
	to->received.index = t->msg.snapshot.meta.index;
	to->received.term = t->msg.snapshot.meta.term;
	to->received.hash = t->hash;
	to->received.heal_mask = t->heal_mask;
	node_deliver(c, to, &t->msg);
	if (!c->failed) {
		report_transfer(c, t, true);
	}
	return true;
}

void cluster_run_transfers(struct cluster *c)
{
	size_t i = 0;
	while (i < c->n_transfers && !c->failed) {
		struct transfer *t = &c->transfers[i];
		if (t->at > c->now) {
			i++;
			continue;
		}
		/* Copied out: running it may start new transfers. */
		struct transfer copy = *t;
		bool done = run_transfer(c, &copy);
		t = &c->transfers[i];
		if (!done) {
			*t = copy;
			i++;
			continue;
		}
		message_close(&copy.msg);
		memmove(t, t + 1, (c->n_transfers - i - 1) * sizeof *t);
		c->n_transfers--;
	}
}

void cluster_step(struct cluster *c)
{
	struct envelope env;

	if (c->failed) {
		return;
	}
	c->now++;
	if (c->now % SIM_STEPS_PER_TICK == 0) {
		for (unsigned i = 1; i <= c->n && !c->failed; i++) {
			struct node *n = &c->nodes[i];
			if (n->core != NULL && !n->frozen) {
				raft_core_tick(n->core);
				node_drain(c, n);
			}
		}
	}
	for (unsigned i = 1; i <= c->n && !c->failed; i++) {
		node_complete_writes(c, &c->nodes[i]);
	}
	while (!c->failed && net_pop_due(&c->net, c->now, &env)) {
		deliver(c, &env);
	}
	cluster_run_transfers(c);
	for (unsigned i = 1; i <= c->n && !c->failed; i++) {
		struct node *n = &c->nodes[i];
		if (n->core == NULL && n->restart_at != 0 &&
		    n->restart_at <= c->now) {
			cluster_restart(c, n->id);
		}
	}
	/* The invariants after every step (most were already checked as
	 * each input was drained; this catches anything between). */
	for (unsigned i = 1; i <= c->n && !c->failed; i++) {
		if (c->nodes[i].core != NULL) {
			check_node(c, &c->nodes[i]);
		}
	}
}

void cluster_run_ticks(struct cluster *c, unsigned ticks)
{
	uint64_t end = c->now + (uint64_t)ticks * SIM_STEPS_PER_TICK;
	while (!c->failed && c->now < end) {
		cluster_step(c);
	}
}

bool cluster_run_until(struct cluster *c,
		       bool (*pred)(struct cluster *c, void *arg), void *arg,
		       unsigned max_ticks)
{
	uint64_t end = c->now + (uint64_t)max_ticks * SIM_STEPS_PER_TICK;

	if (pred(c, arg)) {
		return true;
	}
	while (!c->failed && c->now < end) {
		cluster_step(c);
		if (!c->failed && pred(c, arg)) {
			return true;
		}
	}
	return false;
}

void cluster_crash(struct cluster *c, raft_id id)
{
	struct node *n = &c->nodes[id];
	if (n->core == NULL) {
		return;
	}
	cluster_trace(c, id, "CRASH (loses %zu writes in flight)", n->n_writes);
	node_stop(c, n);
}

void cluster_restart(struct cluster *c, raft_id id)
{
	struct node *n = &c->nodes[id];
	if (n->core != NULL) {
		return;
	}
	n->restart_at = 0;
	cluster_trace(c, id, "RESTART");
	node_start(c, n);
}

bool cluster_is_up(const struct cluster *c, raft_id id)
{
	return c->nodes[id].core != NULL;
}

void cluster_set_slow(struct cluster *c, raft_id id, bool slow)
{
	struct node *n = &c->nodes[id];

	n->slow = slow;
	if (slow) {
		/* A slow node: its disk takes ticks, and so does the
		 * processing of what reaches it. */
		n->disk_min = 2 * SIM_STEPS_PER_TICK;
		n->disk_max =
		    (unsigned)rng_range(&c->rng, 3, 8) * SIM_STEPS_PER_TICK;
		c->net.extra_delay[id] =
		    (unsigned)rng_range(&c->rng, 1, 2 * SIM_STEPS_PER_TICK);
		cluster_trace(c, id, "SLOW disk=%u..%u steps net+%u steps",
			      n->disk_min, n->disk_max, c->net.extra_delay[id]);
		return;
	}
	n->disk_min = c->disk_min;
	n->disk_max = c->disk_max;
	c->net.extra_delay[id] = 0;
	/* Writes in flight speed up too, keeping their order. */
	uint64_t floor = 0;
	for (struct write *w = n->writes_head; w != NULL; w = w->next) {
		uint64_t limit = c->now + n->disk_max;
		if (w->done_at > limit) {
			w->done_at = limit;
		}
		if (w->done_at < floor) {
			w->done_at = floor;
		}
		floor = w->done_at;
	}
	cluster_trace(c, id, "FAST again");
}

raft_id cluster_leader(const struct cluster *c)
{
	raft_id best = 0;
	raft_term best_term = 0;
	for (unsigned i = 1; i <= c->n; i++) {
		const struct node *n = &c->nodes[i];
		if (n->core != NULL && n->role == RAFT_LEADER &&
		    n->term > best_term) {
			best = n->id;
			best_term = n->term;
		}
	}
	return best;
}

raft_term cluster_max_term(const struct cluster *c)
{
	raft_term t = 0;
	for (unsigned i = 1; i <= c->n; i++) {
		const struct node *n = &c->nodes[i];
		if (n->core != NULL && n->term > t) {
			t = n->term;
		}
	}
	return t;
}

int cluster_propose(struct cluster *c, raft_id id, const char *data,
		    raft_index *index, raft_term *term)
{
	struct node *n = &c->nodes[id];
	struct raft_buf buf = {.base = (void *)data, .len = strlen(data)};
	raft_index first = 0;
	raft_term t = 0;

	if (n->core == NULL) {
		return RAFT_ENOTLEADER;
	}
	int rv = raft_core_propose(n->core, &buf, 1, &t, &first);
	if (rv == 0) {
		cluster_trace(c, id, "propose %s -> (%" PRIu64 ",%" PRIu64 ")",
			      data, first, t);
	} else {
		cluster_trace(c, id, "propose %s: %s", data, raft_err_name(rv));
	}
	if (index != NULL) {
		*index = first;
	}
	if (term != NULL) {
		*term = t;
	}
	node_drain(c, n);
	return rv;
}

int cluster_read_index(struct cluster *c, raft_id id, uint64_t *ctx)
{
	struct node *n = &c->nodes[id];
	uint64_t next = check_n_reads(&c->chk) + 1;

	if (n->core == NULL) {
		return RAFT_ENOTLEADER;
	}
	int rv = raft_core_read_index(n->core, next);
	if (rv == 0) {
		check_read_asked(c, n, next);
		cluster_trace(c, id,
			      "read_index ctx=%" PRIu64 " floor=%" PRIu64, next,
			      c->chk.len);
	} else {
		cluster_trace(c, id, "read_index: %s", raft_err_name(rv));
	}
	if (ctx != NULL) {
		*ctx = rv == 0 ? next : 0;
	}
	node_drain(c, n);
	return rv;
}

int cluster_read_lease(struct cluster *c, raft_id id)
{
	struct node *n = &c->nodes[id];
	raft_index index, wait_free;

	if (n->core == NULL) {
		return RAFT_ENOTLEADER;
	}
	int rv = raft_core_read_lease(n->core, &index, &wait_free);
	if (rv != 0) {
		cluster_trace(c, id, "read_lease: %s", raft_err_name(rv));
		return rv;
	}
	uint64_t ctx = check_n_reads(&c->chk) + 1;
	struct raft_read read = {.ctx = ctx, .index = index, .status = 0};
	struct raft_core_status st;
	raft_core_status(n->core, &st);
	cluster_trace(c, id,
		      "read_lease ctx=%" PRIu64 " index=%" PRIu64
		      " floor=%" PRIu64 " applied=%" PRIu64
		      " wait_free_from=%" PRIu64,
		      ctx, index, c->chk.len, st.applied_index, wait_free);
	if (st.applied_index >= wait_free) {
		check_read_now(c, n, st.applied_index);
	}
	check_read_asked(c, n, ctx);
	check_read_done(c, n, &read);
	check_served(c, n, st.applied_index);
	c->chk.n_lease_reads++;
	return 0;
}

int cluster_transfer(struct cluster *c, raft_id id, raft_id to)
{
	struct node *n = &c->nodes[id];

	if (n->core == NULL) {
		return RAFT_ENOTLEADER;
	}
	int rv = raft_core_transfer_leader(n->core, to);
	cluster_trace(c, id, "transfer_leader to=n%" PRIu64 ": %s", to,
		      rv == 0 ? "started" : raft_err_name(rv));
	node_drain(c, n);
	return rv;
}

#ifdef SIM_PLANT_BUG_TWO_CHANGES
/* Planted bug for the simulator's self-test (sim-bug-two-changes): the core
 * is made to forget that its last configuration change is not committed
 * yet, so that it accepts a second one at once. lib/core has no switch for
 * it, so the simulator reaches into the core's state: the configuration in
 * force seems committed (index 0) during the call, and is put back if the
 * call fails (a successful one records its own entry). */
#define PLANT_FORGET_CHANGE(core)                           \
	raft_index planted_conf_index = (core)->conf_index; \
	(core)->conf_index = 0
#define PLANT_RESTORE(core, rv)                                  \
	do {                                                     \
		if ((rv) != 0) {                                 \
			(core)->conf_index = planted_conf_index; \
		}                                                \
	} while (0)
#else
#define PLANT_FORGET_CHANGE(core) (void)0
#define PLANT_RESTORE(core, rv)	  (void)0
#endif

static const char *role_word(uint8_t role)
{
	return role == RAFT_VOTER ? "voter" : "learner";
}

/* Traces a membership call's outcome and hands out its entry. */
static void change_done(struct cluster *c, struct node *n, const char *what,
			int rv, raft_index i, raft_term t, raft_index *index,
			raft_term *term)
{
	if (rv == 0) {
		cluster_trace(c, n->id, "%s -> (%" PRIu64 ",%" PRIu64 ")", what,
			      i, t);
	} else {
		cluster_trace(c, n->id, "%s: %s", what, raft_err_name(rv));
	}
	if (index != NULL) {
		*index = rv == 0 ? i : 0;
	}
	if (term != NULL) {
		*term = rv == 0 ? t : 0;
	}
}

int cluster_add_member(struct cluster *c, raft_id id, uint8_t role,
		       raft_id *added, raft_index *index, raft_term *term)
{
	struct node *n = &c->nodes[id];
	raft_id new_id = c->n + 1;
	raft_index i = 0;
	raft_term t = 0;
	char address[16], what[64];
	int rv;

	if (added != NULL) {
		*added = 0;
	}
	if (n->core == NULL) {
		change_done(c, n, "add_member", RAFT_ENOTLEADER, 0, 0, index,
			    term);
		return RAFT_ENOTLEADER;
	}
	if (new_id > SIM_MAX_NODES) {
		change_done(c, n, "add_member", RAFT_ENOSPC, 0, 0, index, term);
		return RAFT_ENOSPC;
	}
	snprintf(address, sizeof address, "n%" PRIu64, new_id);
	PLANT_FORGET_CHANGE(n->core);
	rv = raft_core_add_member(n->core, new_id, address, role, &t, &i);
	PLANT_RESTORE(n->core, rv);
	snprintf(what, sizeof what, "add_member n%" PRIu64 " %s", new_id,
		 role_word(role));
	change_done(c, n, what, rv, i, t, index, term);
	if (rv == 0) {
		/* The new node exists before the leader's first message to
		 * it leaves: it starts empty and waits to hear from it. */
		struct raft_core_config cfg = c->node_config;
		cfg.id = new_id;
		cfg.random_seed = new_id;
		c->n = (unsigned)new_id;
		c->net.n_nodes = c->n;
		node_init(c, &c->nodes[new_id], new_id, &cfg, NULL);
		node_start(c, &c->nodes[new_id]);
		if (added != NULL) {
			*added = new_id;
		}
	}
	node_drain(c, n);
	return rv;
}

/* Asks node id's core for a change of an existing member with change
 * (raft_core_remove_member or raft_core_promote; RAFT_ENOTLEADER if the
 * node is down), traces the outcome as verb and hands out its entry. */
static int change_member(struct cluster *c, raft_id id, const char *verb,
			 int (*change)(struct raft_core *core, raft_id member,
				       raft_term *term, raft_index *index),
			 raft_id member, raft_index *index, raft_term *term)
{
	struct node *n = &c->nodes[id];
	raft_index i = 0;
	raft_term t = 0;
	char what[64];
	int rv = RAFT_ENOTLEADER;

	snprintf(what, sizeof what, "%s n%" PRIu64, verb, member);
	if (n->core != NULL) {
		PLANT_FORGET_CHANGE(n->core);
		rv = change(n->core, member, &t, &i);
		PLANT_RESTORE(n->core, rv);
	}
	change_done(c, n, what, rv, i, t, index, term);
	node_drain(c, n);
	return rv;
}

int cluster_remove_member(struct cluster *c, raft_id id, raft_id member,
			  raft_index *index, raft_term *term)
{
	return change_member(c, id, "remove_member", raft_core_remove_member,
			     member, index, term);
}

int cluster_promote(struct cluster *c, raft_id id, raft_id learner,
		    raft_index *index, raft_term *term)
{
	return change_member(c, id, "promote", raft_core_promote, learner,
			     index, term);
}

const struct raft_configuration *cluster_node_conf(const struct cluster *c,
						   raft_id id)
{
	static const struct raft_configuration empty = {NULL, 0};
	const struct node *n = &c->nodes[id];
	return n->core != NULL ? raft_core_configuration(n->core) : &empty;
}

bool cluster_is_removed(const struct cluster *c, raft_id id)
{
	return c->nodes[id].member_once &&
	       !conf_has(check_committed_conf(&c->chk), id, 0);
}

void cluster_exile(struct cluster *c, raft_id id)
{
	if (c->net.exiled[id]) {
		return;
	}
	c->net.exiled[id] = true;
	cluster_trace(c, id, "EXILED (its links are cut for good)");
}

void cluster_isolate(struct cluster *c, raft_id id)
{
	for (unsigned i = 1; i <= c->n; i++) {
		if (i != id) {
			net_set_cut_both(&c->net, (unsigned)id, i, true);
		}
	}
	cluster_trace(c, id, "ISOLATED");
}

void cluster_connect_all(struct cluster *c)
{
	net_connect_all(&c->net);
	cluster_trace(c, 0, "network: all links up");
}

void cluster_set_filter(struct cluster *c, cluster_filter_cb filter, void *arg)
{
	c->filter = filter;
	c->filter_arg = arg;
}
