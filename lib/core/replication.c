/* Log replication (Raft section 5.3): the leader's sending side with
 * batching and a pipelined in-flight window, the follower's receiving side,
 * heartbeats, and commitment (section 5.4.2). */
#include "core/replication.h"

#include "core/election.h"
#include "core/read.h"
#include "util/assert.h"
#include "util/heap.h"

void replication_reset_leader(struct raft_core *core)
{
	unsigned i;
	for (i = 0; i < core->conf.n; i++) {
		progress_reset(&core->prs[i], log_last_index(&core->log));
		core->prs[i].progress_tick = core->ticks;
	}
	core->round_unsent = false;
}

void replication_heartbeat_round(struct raft_core *core)
{
	unsigned i;
	core->seq++;
	core->round_unsent = true;
	core->round_ticks[core->seq % ROUND_TICKS] = core->ticks;
	for (i = 0; i < core->conf.n; i++) {
		struct progress *pr = &core->prs[i];
		struct raft_message m = {0};
		if (pr->id == core->cfg.id) {
			continue;
		}
		m.type = RAFT_MSG_HEARTBEAT;
		m.to = pr->id;
		m.term = core->term;
		/* Never more than the follower is known to hold: it may commit
		 * what the heartbeat says without checking its log. */
		m.heartbeat.commit =
		    pr->match < core->commit ? pr->match : core->commit;
		m.heartbeat.seq = core->seq;
		core_send(core, &m, false);
	}
}

/* A follower whose in-flight entries made no progress for this many ticks
 * is probed again: the messages or their answers were lost. */
static unsigned stall_ticks(const struct raft_core *core)
{
	unsigned t = core->cfg.election_ticks / 2;
	return t < 2 ? 2 : t;
}

void replication_tick(struct raft_core *core)
{
	unsigned i;
	core->heartbeat_elapsed++;
	core->election_elapsed++;
	if (core->transfer_to != 0 &&
	    ++core->transfer_elapsed >= core->cfg.election_ticks) {
		/* The target could not win in time: take proposals again. */
		core->transfer_to = 0;
	}
	if (core->election_elapsed >= core->cfg.election_ticks) {
		unsigned active = 0;
		core->election_elapsed = 0;
		for (i = 0; i < core->conf.n; i++) {
			struct progress *pr = &core->prs[i];
			if (pr->role == RAFT_VOTER &&
			    (pr->recent_active || pr->id == core->cfg.id)) {
				active++;
			}
			pr->recent_active = false;
		}
		/* Check-quorum (thesis 6.2): a leader that heard from no
		 * majority during an election timeout may be deposed already;
		 * stepping down stops it from serving stale reads and lets
		 * followers that still hear it vote. */
		if (core->cfg.check_quorum && active < core_quorum(core)) {
			election_become_follower(core, core->term, 0);
			return;
		}
	}
	for (i = 0; i < core->conf.n; i++) {
		struct progress *pr = &core->prs[i];
		if (pr->state == RAFT_PROGRESS_REPLICATE &&
		    pr->match + 1 < pr->next &&
		    core->ticks - pr->progress_tick >= stall_ticks(core)) {
			progress_become_probe(pr);
		}
	}
	if (core->heartbeat_elapsed >= core->cfg.heartbeat_ticks) {
		core->heartbeat_elapsed = 0;
		replication_heartbeat_round(core);
	}
}

enum send_kind { SEND_NONE, SEND_ENTRIES, SEND_EMPTY, SEND_SNAPSHOT };

/* Whether the entry before next is gone from the log (compacted), so the
 * follower can only catch up from a snapshot. At the log's offset itself
 * the term may be unknown (after a restart): a snapshot then too. */
static bool needs_snapshot(const struct raft_core *core,
			   const struct progress *pr)
{
	const struct log *log = &core->log;
	raft_index prev = pr->next - 1;
	return prev < log->offset || (prev == log->offset && log->offset > 0 &&
				      log->offset_term == 0);
}

/* What the leader should send this follower now. */
static enum send_kind send_kind(const struct raft_core *core,
				const struct progress *pr)
{
	if (pr->id == core->cfg.id ||
	    progress_is_paused(pr, core->cfg.max_inflight_bytes)) {
		return SEND_NONE;
	}
	if (needs_snapshot(core, pr)) {
		return core->has_snapshot ? SEND_SNAPSHOT : SEND_NONE;
	}
	if (pr->next <= log_last_index(&core->log)) {
		return SEND_ENTRIES;
	}
	/* Nothing new: an empty AppendEntries still probes, or tells a
	 * follower the new commit index without waiting for a heartbeat. */
	if (pr->state == RAFT_PROGRESS_PROBE ||
	    pr->sent_commit < core->commit) {
		return SEND_EMPTY;
	}
	return SEND_NONE;
}

/* Sends one AppendEntries from pr->next. Returns false if it could not be
 * built for lack of memory. */
static bool send_append(struct raft_core *core, struct progress *pr,
			bool with_entries)
{
	struct raft_message m = {0};
	raft_index prev = pr->next - 1;
	raft_index last = log_last_index(&core->log);
	size_t bytes = 0;
	uint32_t n = 0, i;

	CORE_ASSERTF(core, prev >= core->log.offset && prev <= last,
		     "next index %llu outside the log (%llu, %llu]",
		     (unsigned long long)pr->next,
		     (unsigned long long)core->log.offset,
		     (unsigned long long)last);
	if (with_entries) {
		while (prev + n < last && n < core->cfg.max_append_entries) {
			const struct raft_entry *e =
			    log_get(&core->log, prev + n + 1);
			if (n > 0 &&
			    bytes + e->data.len > core->cfg.max_append_bytes) {
				break;
			}
			bytes += e->data.len;
			n++;
		}
		m.append.entries = raft_malloc(n * sizeof(*m.append.entries));
		if (m.append.entries == NULL) {
			return false;
		}
		for (i = 0; i < n; i++) {
			m.append.entries[i] =
			    *log_get(&core->log, prev + i + 1);
			log_data_ref(m.append.entries[i].data);
		}
	}
	m.type = RAFT_MSG_APPEND;
	m.to = pr->id;
	m.term = core->term;
	m.append.prev_index = prev;
	m.append.prev_term = log_term_at(&core->log, prev);
	m.append.commit = core->commit;
	m.append.seq = core->seq;
	m.append.n_entries = n;
	core_send(core, &m, false);
	progress_sent(pr, prev + n, bytes, n);
	pr->sent_commit = core->commit;
	if (n > 0) {
		pr->progress_tick = core->ticks;
	}
	return true;
}

/* Asks the runtime to stream the last snapshot to the follower; appends
 * to it wait until raft_core_report_snapshot(). Returns false if the
 * message could not be built for lack of memory. */
static bool send_snapshot(struct raft_core *core, struct progress *pr)
{
	struct raft_message m = {0};
	m.type = RAFT_MSG_SNAPSHOT;
	m.to = pr->id;
	m.term = core->term;
	m.snapshot.meta.index = core->snapshot.index;
	m.snapshot.meta.term = core->snapshot.term;
	raft_configuration_init(&m.snapshot.meta.conf);
	if (raft_configuration_copy(&core->snapshot.conf,
				    &m.snapshot.meta.conf) != 0) {
		return false;
	}
	core_send(core, &m, false);
	progress_become_snapshot(pr, core->snapshot.index);
	return true;
}

void replication_flush(struct raft_core *core)
{
	unsigned i;
	if (core->role != RAFT_LEADER) {
		return;
	}
	for (i = 0; i < core->conf.n; i++) {
		struct progress *pr = &core->prs[i];
		enum send_kind kind;
		while ((kind = send_kind(core, pr)) != SEND_NONE) {
			if (kind == SEND_SNAPSHOT) {
				send_snapshot(core, pr);
				break;
			}
			if (!send_append(core, pr, kind == SEND_ENTRIES) ||
			    kind == SEND_EMPTY) {
				break;
			}
		}
	}
}

bool replication_needs_flush(const struct raft_core *core)
{
	unsigned i;
	if (core->role != RAFT_LEADER) {
		return false;
	}
	for (i = 0; i < core->conf.n; i++) {
		if (send_kind(core, &core->prs[i]) != SEND_NONE) {
			return true;
		}
	}
	return false;
}

/* The match index of a member; the leader's own counts only once durable,
 * which is what makes parallel append safe. */
static raft_index match_of(const struct raft_core *core,
			   const struct progress *pr)
{
	return pr->id == core->cfg.id ? core->persisted : pr->match;
}

bool replication_maybe_commit(struct raft_core *core)
{
	raft_index best = 0;
	unsigned i, j, quorum = core_quorum(core);
	if (core->role != RAFT_LEADER) {
		return false;
	}
	/* The highest index that a quorum of voters stores. */
	for (i = 0; i < core->conf.n; i++) {
		raft_index candidate;
		unsigned count = 0;
		if (core->prs[i].role != RAFT_VOTER) {
			continue;
		}
		candidate = match_of(core, &core->prs[i]);
		if (candidate <= best) {
			continue;
		}
		for (j = 0; j < core->conf.n; j++) {
			count += core->prs[j].role == RAFT_VOTER &&
				 match_of(core, &core->prs[j]) >= candidate;
		}
		if (count >= quorum) {
			best = candidate;
		}
	}
	if (best <= core->commit) {
		return false;
	}
#ifndef RAFT_PLANT_BUG_COMMIT_OLD_TERM
	/* Section 5.4.2 (Figure 8): only an entry of the current term is
	 * committed by counting replicas; older ones follow it. */
	if (log_term_at(&core->log, best) != core->term) {
		return false;
	}
#endif
	core_commit_to(core, best);
	if (!core->committed_in_term &&
	    log_term_at(&core->log, core->commit) == core->term) {
		core->committed_in_term = true;
		read_on_commit_in_term(core);
	}
	return true;
}

/* A message of the current term from the leader: follow it. */
static int follow(struct raft_core *core, const struct raft_message *m)
{
	/* Another leader of our own term: Raft is broken somewhere else (or
	 * the peer lies). Refuse it; our own state stays consistent. */
	if (core->role == RAFT_LEADER) {
		return RAFT_EPROTO;
	}
	if (core->role != RAFT_FOLLOWER) {
		election_become_follower(core, core->term, m->from);
	}
	core->leader_id = m->from;
	core->election_elapsed = 0;
	return 0;
}

static void reject_append(struct raft_core *core, const struct raft_message *m)
{
	const struct raft_msg_append *a = &m->append;
	struct raft_message resp = {0};
	raft_index hint = a->prev_index;
	if (hint > log_last_index(&core->log)) {
		hint = log_last_index(&core->log);
	}
	/* Fast back-off: skip every entry whose term is above the leader's
	 * prev_term, they cannot match; the leader does the same on its side
	 * with our answer, so one round trip crosses a whole term. */
	hint = log_find_conflict_by_term(&core->log, hint, a->prev_term);
	resp.type = RAFT_MSG_APPEND_RESP;
	resp.to = m->from;
	resp.term = core->term;
	resp.append_resp.success = false;
	resp.append_resp.index = a->prev_index;
	resp.append_resp.hint_index = hint;
	resp.append_resp.hint_term = log_term_at(&core->log, hint);
	resp.append_resp.last_index = log_last_index(&core->log);
	resp.append_resp.seq = a->seq;
	core_send(core, &resp, false);
}

/* Stores the entries of m from entries[first] on, replacing a conflicting
 * suffix. Either everything is done or nothing (RAFT_ENOMEM, RAFT_EPROTO). */
static int store_entries(struct raft_core *core, const struct raft_message *m,
			 uint32_t first)
{
	const struct raft_msg_append *a = &m->append;
	raft_index conflict = a->entries[first].index;
	uint32_t n = a->n_entries - first, i;
	struct raft_buf *copies;
	struct conf_change cc;
	const struct raft_entry *conf_entry = NULL;
	bool conf_changed = false;
	int rv;

	/* A committed entry never changes: a leader that says otherwise is
	 * refused (Raft is broken on its side, or it lies). */
	if (conflict <= core->commit) {
		return RAFT_EPROTO;
	}
	copies = raft_malloc(n * sizeof(*copies));
	if (copies == NULL) {
		return RAFT_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct raft_entry *e = &a->entries[first + i];
		rv = log_data_new(e->data.base, e->data.len, &copies[i]);
		if (rv != 0) {
			goto err_copies;
		}
		if (e->type == RAFT_ENTRY_CONF) {
			conf_entry = e;
		}
	}
	/* The configuration in force after the change: the last CONF entry
	 * among the new ones, or the previous one if the truncation removes
	 * the current one. */
	if (conf_entry != NULL) {
		conf_changed = true;
	} else if (core->conf_index >= conflict) {
		conf_changed = true;
		conf_entry = core_last_conf_entry(core, conflict);
	}
	if (conf_changed && conf_entry == NULL && core->has_snapshot) {
		/* Nothing left in the log: the snapshot's configuration is
		 * the one in force. */
		rv = core_conf_prepare_copy(core, &core->snapshot.conf,
					    core->snapshot.index, &cc);
		if (rv != 0) {
			goto err_copies;
		}
	} else if (conf_changed) {
		rv = core_conf_prepare(
		    core, conf_entry ? &conf_entry->data : NULL,
		    conf_entry ? conf_entry->index : 0, &cc, NULL, 0);
		if (rv != 0) {
			rv = rv == RAFT_ECORRUPT ? RAFT_EPROTO : rv;
			goto err_copies;
		}
	}
	rv = log_reserve(&core->log, n);
	if (rv != 0) {
		goto err_conf;
	}
	/* From here on nothing fails. */
	if (conflict <= log_last_index(&core->log)) {
		log_truncate(&core->log, conflict);
		if (core->persisted >= conflict) {
			core->persisted = conflict - 1;
		}
	}
	for (i = 0; i < n; i++) {
		const struct raft_entry *e = &a->entries[first + i];
		log_append_ref(&core->log, e->term, e->type, copies[i]);
	}
	raft_free(copies);
	if (conf_changed) {
		core_conf_install(core, &cc);
	}
	return 0;

err_conf:
	if (conf_changed) {
		core_conf_discard(&cc);
	}
err_copies:
	while (i-- > 0) {
		log_data_unref(copies[i]);
	}
	raft_free(copies);
	return rv;
}

int replication_recv_append(struct raft_core *core,
			    const struct raft_message *m)
{
	const struct raft_msg_append *a = &m->append;
	struct raft_message resp = {0};
	raft_index last_new = a->prev_index + a->n_entries;
	uint32_t first = 0;
	int rv;

	rv = follow(core, m);
	if (rv != 0) {
		return rv;
	}
	/* Entries at or below the log's offset are committed and compacted:
	 * they match by definition (Log Matching). */
	if (a->prev_index < core->log.offset ||
	    (a->prev_index == core->log.offset && core->log.offset > 0)) {
		while (first < a->n_entries &&
		       a->entries[first].index <= core->log.offset) {
			first++;
		}
	} else if (log_term_at(&core->log, a->prev_index) != a->prev_term ||
		   a->prev_index > log_last_index(&core->log)) {
		reject_append(core, m);
		return 0;
	}
	/* Skip what we already hold; the first entry that differs (or is
	 * new) starts the part to store. */
	while (first < a->n_entries &&
	       log_term_at(&core->log, a->entries[first].index) ==
		   a->entries[first].term &&
	       a->entries[first].index <= log_last_index(&core->log)) {
		first++;
	}
	if (first < a->n_entries) {
		rv = store_entries(core, m, first);
		if (rv != 0) {
			return rv;
		}
	}
	core_commit_to(core, a->commit < last_new ? a->commit : last_new);
	resp.type = RAFT_MSG_APPEND_RESP;
	resp.to = m->from;
	resp.term = core->term;
	resp.append_resp.success = true;
	resp.append_resp.index = last_new;
	resp.append_resp.last_index = log_last_index(&core->log);
	resp.append_resp.seq = a->seq;
	/* Acknowledge only what is durable. */
	core_send(core, &resp, true);
	return 0;
}

static void ack(struct raft_core *core, const struct raft_message *m,
		raft_index index)
{
	struct raft_message resp = {0};
	resp.type = RAFT_MSG_APPEND_RESP;
	resp.to = m->from;
	resp.term = core->term;
	resp.append_resp.success = true;
	resp.append_resp.index = index;
	resp.append_resp.last_index = log_last_index(&core->log);
	/* Acknowledge only what is durable. */
	core_send(core, &resp, true);
}

int replication_recv_snapshot(struct raft_core *core,
			      const struct raft_message *m)
{
	const struct raft_snapshot_meta *meta = &m->snapshot.meta;
	struct raft_configuration copy;
	struct conf_change cc;
	int rv = follow(core, m);
	if (rv != 0) {
		return rv;
	}
	/* Nothing to install: we hold it all, committed or in the log. */
	if (meta->index <= core->commit) {
		ack(core, m, core->commit);
		return 0;
	}
	if (meta->index <= log_last_index(&core->log) &&
	    log_term_at(&core->log, meta->index) == meta->term) {
		core_commit_to(core, meta->index);
		ack(core, m, meta->index);
		return 0;
	}
	/* Install: everything that can fail first. */
	raft_configuration_init(&copy);
	rv = raft_configuration_copy(&meta->conf, &copy);
	if (rv != 0) {
		return rv;
	}
	rv = core_conf_prepare_copy(core, &meta->conf, meta->index, &cc);
	if (rv != 0) {
		raft_configuration_close(&copy);
		return rv;
	}
	/* The snapshot replaces the whole log and the state machine: its
	 * entries are committed (a leader sent it) and applied once the
	 * runtime loaded it. */
	log_reset(&core->log, meta->index, meta->term);
	if (core->has_snapshot) {
		raft_configuration_close(&core->snapshot.conf);
	}
	core->has_snapshot = true;
	core->snapshot.index = meta->index;
	core->snapshot.term = meta->term;
	core->snapshot.conf = copy;
	core->snapshot_unsent = true;
	core->commit = meta->index;
	core->applying = meta->index;
	core->applied = meta->index;
	core->persisted = meta->index;
	core_conf_install(core, &cc);
	ack(core, m, meta->index);
	return 0;
}

void replication_recv_append_resp(struct raft_core *core,
				  const struct raft_message *m)
{
	const struct raft_msg_append_resp *r = &m->append_resp;
	struct progress *pr = core_progress(core, m->from);
	if (core->role != RAFT_LEADER || pr == NULL ||
	    m->from == core->cfg.id) {
		return;
	}
	pr->recent_active = true;
	pr->heard_tick = core->ticks + 1;
	if (r->seq > pr->acked_seq && r->seq <= core->seq) {
		pr->acked_seq = r->seq;
	}
	if (!r->success) {
		raft_index hint = r->hint_index;
		if (r->hint_term > 0) {
			hint = log_find_conflict_by_term(&core->log, hint,
							 r->hint_term);
		}
		if (progress_maybe_decr(pr, r->index, hint) &&
		    pr->state == RAFT_PROGRESS_REPLICATE) {
			progress_become_probe(pr);
		}
	} else if (r->index <= log_last_index(&core->log) &&
		   progress_maybe_update(pr, r->index)) {
		pr->progress_tick = core->ticks;
		if (pr->state == RAFT_PROGRESS_PROBE ||
		    (pr->state == RAFT_PROGRESS_SNAPSHOT &&
		     pr->match >= pr->pending_snapshot)) {
			progress_become_replicate(pr);
		} else {
			progress_free_to(pr, r->index);
		}
		replication_maybe_commit(core);
		if (core->transfer_to == pr->id &&
		    pr->match == log_last_index(&core->log)) {
			struct raft_message tn = {0};
			tn.type = RAFT_MSG_TIMEOUT_NOW;
			tn.to = pr->id;
			tn.term = core->term;
			core_send(core, &tn, false);
		}
	}
	read_check(core);
}

int replication_recv_heartbeat(struct raft_core *core,
			       const struct raft_message *m)
{
	struct raft_message resp = {0};
	raft_index last = log_last_index(&core->log);
	int rv = follow(core, m);
	if (rv != 0) {
		return rv;
	}
	core_commit_to(core,
		       m->heartbeat.commit < last ? m->heartbeat.commit : last);
	resp.type = RAFT_MSG_HEARTBEAT_RESP;
	resp.to = m->from;
	resp.term = core->term;
	resp.heartbeat_resp.seq = m->heartbeat.seq;
	resp.heartbeat_resp.last_index = last;
	core_send(core, &resp, false);
	return 0;
}

void replication_recv_heartbeat_resp(struct raft_core *core,
				     const struct raft_message *m)
{
	struct progress *pr = core_progress(core, m->from);
	uint64_t seq = m->heartbeat_resp.seq;
	if (core->role != RAFT_LEADER || pr == NULL ||
	    m->from == core->cfg.id) {
		return;
	}
	pr->recent_active = true;
	pr->heard_tick = core->ticks + 1;
	if (seq > pr->acked_seq && seq <= core->seq) {
		pr->acked_seq = seq;
	}
	/* A probe that got no answer goes out again once per heartbeat. */
	if (pr->state == RAFT_PROGRESS_PROBE &&
	    pr->match < log_last_index(&core->log)) {
		pr->probe_sent = false;
	}
	read_check(core);
}
