/* A hand-driven cluster of cores for the multi-node unit tests. */
#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The helper's own memory: a failure ends the case, it is not under test. */
static void *xmalloc(size_t size)
{
	void *p = malloc(size == 0 ? 1 : size);
	if (p == NULL) {
		test_fail(__FILE__, __LINE__, "malloc(%zu) failed", size);
	}
	return p;
}

static void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size == 0 ? 1 : size);
	if (p == NULL) {
		test_fail(__FILE__, __LINE__, "realloc(%zu) failed", size);
	}
	return p;
}

/* ------------------------------------------------------------------------
 * Messages and batches
 * ------------------------------------------------------------------------ */

static void entry_copy(struct raft_entry *dst, const struct raft_entry *src)
{
	*dst = *src;
	dst->data.base = NULL;
	if (src->data.len > 0) {
		dst->data.base = xmalloc(src->data.len);
		memcpy(dst->data.base, src->data.base, src->data.len);
	}
}

static struct raft_entry *entries_copy(const struct raft_entry *src, size_t n)
{
	struct raft_entry *dst;
	size_t i;
	if (n == 0) {
		return NULL;
	}
	dst = xmalloc(n * sizeof(*dst));
	for (i = 0; i < n; i++) {
		entry_copy(&dst[i], &src[i]);
	}
	return dst;
}

static void entries_free(struct raft_entry *entries, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(entries[i].data.base);
	}
	free(entries);
}

void conf_copy_plain(struct raft_configuration *dst,
		     const struct raft_configuration *src)
{
	unsigned i;
	dst->n = src->n;
	dst->servers = NULL;
	if (src->n == 0) {
		return;
	}
	dst->servers = xmalloc(src->n * sizeof(*dst->servers));
	for (i = 0; i < src->n; i++) {
		const char *a = src->servers[i].address;
		size_t len = a != NULL ? strlen(a) : 0;
		dst->servers[i] = src->servers[i];
		if (a != NULL) {
			dst->servers[i].address = xmalloc(len + 1);
			memcpy(dst->servers[i].address, a, len + 1);
		}
	}
}

void conf_free_plain(struct raft_configuration *conf)
{
	unsigned i;
	for (i = 0; i < conf->n; i++) {
		free(conf->servers[i].address);
	}
	free(conf->servers);
	conf->servers = NULL;
	conf->n = 0;
}

void msg_copy(struct raft_message *dst, const struct raft_message *src)
{
	*dst = *src;
	if (src->type == RAFT_MSG_APPEND) {
		dst->append.entries =
		    entries_copy(src->append.entries, src->append.n_entries);
	} else if (src->type == RAFT_MSG_SNAPSHOT) {
		conf_copy_plain(&dst->snapshot.meta.conf,
				&src->snapshot.meta.conf);
	}
}

void msg_free(struct raft_message *m)
{
	if (m->type == RAFT_MSG_SNAPSHOT) {
		conf_free_plain(&m->snapshot.meta.conf);
		return;
	}
	if (m->type == RAFT_MSG_APPEND) {
		entries_free(m->append.entries, m->append.n_entries);
		m->append.entries = NULL;
		m->append.n_entries = 0;
	}
}

void msg_queue_push(struct msg_queue *q, const struct raft_message *m)
{
	if (q->n == q->cap) {
		q->cap = q->cap == 0 ? 16 : q->cap * 2;
		q->msgs = xrealloc(q->msgs, q->cap * sizeof(*q->msgs));
	}
	msg_copy(&q->msgs[q->n++], m);
}

/* Moves message i out of the queue into out (which then owns it). */
static void msg_queue_take(struct msg_queue *q, size_t i,
			   struct raft_message *out)
{
	*out = q->msgs[i];
	memmove(&q->msgs[i], &q->msgs[i + 1],
		(q->n - i - 1) * sizeof(*q->msgs));
	q->n--;
}

void msg_queue_remove(struct msg_queue *q, size_t i)
{
	struct raft_message m;
	msg_queue_take(q, i, &m);
	msg_free(&m);
}

void msg_queue_clear(struct msg_queue *q)
{
	size_t i;
	for (i = 0; i < q->n; i++) {
		msg_free(&q->msgs[i]);
	}
	free(q->msgs);
	memset(q, 0, sizeof(*q));
}

static struct raft_message *msgs_copy(const struct raft_message *src, size_t n)
{
	struct raft_message *dst;
	size_t i;
	if (n == 0) {
		return NULL;
	}
	dst = xmalloc(n * sizeof(*dst));
	for (i = 0; i < n; i++) {
		msg_copy(&dst[i], &src[i]);
	}
	return dst;
}

static void msgs_free(struct raft_message *msgs, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		msg_free(&msgs[i]);
	}
	free(msgs);
}

void batch_take(struct raft_core *core, struct batch *b)
{
	struct raft_ready rd;
	raft_core_ready(core, &rd);
	memset(b, 0, sizeof(*b));
	b->hard_state_changed = rd.hard_state_changed;
	b->hard_state = rd.hard_state;
	b->entries = entries_copy(rd.entries, rd.n_entries);
	b->n_entries = rd.n_entries;
	b->messages = msgs_copy(rd.messages, rd.n_messages);
	b->n_messages = rd.n_messages;
	b->persisted_messages =
	    msgs_copy(rd.persisted_messages, rd.n_persisted_messages);
	b->n_persisted_messages = rd.n_persisted_messages;
	b->committed = entries_copy(rd.committed, rd.n_committed);
	b->n_committed = rd.n_committed;
	if (rd.n_reads > 0) {
		b->reads = xmalloc(rd.n_reads * sizeof(*b->reads));
		memcpy(b->reads, rd.reads, rd.n_reads * sizeof(*b->reads));
	}
	b->n_reads = rd.n_reads;
	if (rd.snapshot != NULL) {
		b->has_snapshot = true;
		b->snapshot = *rd.snapshot;
		conf_copy_plain(&b->snapshot.conf, &rd.snapshot->conf);
	}
	b->soft_state_changed = rd.soft_state_changed;
	b->role = rd.role;
	b->leader_id = rd.leader_id;
	/* Ready memory is only valid until here. */
	raft_core_advance(core);
}

void batch_free(struct batch *b)
{
	entries_free(b->entries, b->n_entries);
	msgs_free(b->messages, b->n_messages);
	msgs_free(b->persisted_messages, b->n_persisted_messages);
	entries_free(b->committed, b->n_committed);
	free(b->reads);
	if (b->has_snapshot) {
		conf_free_plain(&b->snapshot.conf);
	}
	memset(b, 0, sizeof(*b));
}

const struct raft_message *batch_find(const struct batch *b, bool persisted,
				      uint8_t type, raft_id to)
{
	const struct raft_message *msgs =
	    persisted ? b->persisted_messages : b->messages;
	size_t n = persisted ? b->n_persisted_messages : b->n_messages, i;
	for (i = 0; i < n; i++) {
		if ((type == 0 || msgs[i].type == type) &&
		    (to == 0 || msgs[i].to == to)) {
			return &msgs[i];
		}
	}
	return NULL;
}

const struct raft_message *batch_get(const char *file, int line,
				     const struct batch *b, bool persisted,
				     uint8_t type, raft_id to)
{
	const struct raft_message *m = batch_find(b, persisted, type, to);
	if (m == NULL) {
		test_fail(file, line, "no %s to %llu in %s",
			  raft_message_type_name(type), (unsigned long long)to,
			  persisted ? "persisted_messages" : "messages");
	}
	return m;
}

size_t batch_count(const struct batch *b, bool persisted, uint8_t type)
{
	const struct raft_message *msgs =
	    persisted ? b->persisted_messages : b->messages;
	size_t n = persisted ? b->n_persisted_messages : b->n_messages, i;
	size_t count = 0;
	for (i = 0; i < n; i++) {
		count += type == 0 || msgs[i].type == type;
	}
	return count;
}

/* ------------------------------------------------------------------------
 * Building
 * ------------------------------------------------------------------------ */

void cluster_config(struct raft_core_config *cfg, raft_id id)
{
	raft_core_config_defaults(cfg, id);
	cfg->random_seed = 0x5eed0000 + id;
}

void cluster_init(struct cluster *c)
{
	memset(c, 0, sizeof(*c));
}

void cluster_add(struct cluster *c, const struct raft_core_config *cfg,
		 const struct raft_core_state *st)
{
	struct cluster_node *n;
	struct raft_core_config def;
	char errmsg[256] = "";
	int rv;
	if (c->n == CLUSTER_MAX) {
		test_fail(__FILE__, __LINE__, "more than %d nodes",
			  CLUSTER_MAX);
	}
	n = &c->nodes[c->n];
	memset(n, 0, sizeof(*n));
	n->id = c->n + 1;
	if (cfg == NULL) {
		cluster_config(&def, n->id);
		cfg = &def;
	}
	if (cfg->id != n->id) {
		test_fail(__FILE__, __LINE__, "node %u added with id %llu",
			  c->n + 1, (unsigned long long)cfg->id);
	}
	rv = raft_core_new(cfg, st, &n->core, errmsg, sizeof(errmsg));
	if (rv != 0) {
		test_fail(__FILE__, __LINE__, "raft_core_new: %s: %s",
			  test_err_name(rv), errmsg);
	}
	n->applied_index = st->applied;
	if (st->snapshot != NULL && st->snapshot->index > st->applied) {
		/* The state machine holds at least the snapshot. */
		n->applied_index = st->snapshot->index;
	}
	if (st->n_entries > 0) {
		n->written_index = st->entries[st->n_entries - 1].index;
		n->written_term = st->entries[st->n_entries - 1].term;
	}
	c->n++;
}

/* The configuration of voters 1..n_voters and learners after them. */
static void make_conf(struct raft_configuration *conf, unsigned n_voters,
		      unsigned n_learners)
{
	unsigned i;
	raft_configuration_init(conf);
	for (i = 1; i <= n_voters + n_learners; i++) {
		char address[32];
		int rv;
		snprintf(address, sizeof(address), "10.0.0.%u:9000", i);
		rv = raft_configuration_add(conf, i, address,
					    i <= n_voters ? RAFT_VOTER
							  : RAFT_LEARNER);
		ASSERT_OK(rv);
	}
}

static void node_config(struct raft_core_config *cfg,
			const struct raft_core_config *tmpl, raft_id id)
{
	if (tmpl != NULL) {
		*cfg = *tmpl;
		cfg->id = id;
		cfg->random_seed = 0x5eed0000 + id;
	} else {
		cluster_config(cfg, id);
	}
}

void cluster_bootstrap(struct cluster *c, unsigned n_voters,
		       unsigned n_learners, const struct raft_core_config *tmpl)
{
	struct raft_configuration conf;
	struct raft_entry entry;
	unsigned i;
	cluster_init(c);
	make_conf(&conf, n_voters, n_learners);
	ASSERT_OK(raft_core_bootstrap_entry(&conf, &entry));
	raft_configuration_close(&conf);
	for (i = 1; i <= n_voters + n_learners; i++) {
		struct raft_core_config cfg;
		struct raft_core_state st = {0};
		node_config(&cfg, tmpl, i);
		st.term = 1;
		st.entries = &entry;
		st.n_entries = 1;
		cluster_add(c, &cfg, &st);
	}
	raft_free(entry.data.base);
}

void cluster_add_with_log(struct cluster *c, unsigned n_voters,
			  const struct raft_core_config *tmpl, raft_term term,
			  raft_id vote, const raft_term *terms, size_t n_terms)
{
	struct raft_configuration conf;
	struct raft_core_config cfg;
	struct raft_core_state st = {0};
	struct raft_entry *entries = xmalloc((n_terms + 1) * sizeof(*entries));
	char(*data)[32] = xmalloc((n_terms + 1) * sizeof(*data));
	size_t i;
	make_conf(&conf, n_voters, 0);
	ASSERT_OK(raft_core_bootstrap_entry(&conf, &entries[0]));
	raft_configuration_close(&conf);
	for (i = 0; i < n_terms; i++) {
		struct raft_entry *e = &entries[i + 1];
		e->index = i + 2;
		e->term = terms[i];
		e->type = RAFT_ENTRY_NORMAL;
		snprintf(data[i], sizeof(data[i]), "e%zu/t%llu", i + 2,
			 (unsigned long long)terms[i]);
		e->data.base = data[i];
		e->data.len = strlen(data[i]);
	}
	node_config(&cfg, tmpl, c->n + 1);
	st.term = term;
	st.vote = vote;
	st.entries = entries;
	st.n_entries = n_terms + 1;
	cluster_add(c, &cfg, &st);
	raft_free(entries[0].data.base);
	free(data);
	free(entries);
}

void cluster_close(struct cluster *c)
{
	unsigned i;
	for (i = 0; i < c->n; i++) {
		struct cluster_node *n = &c->nodes[i];
		raft_core_free(n->core);
		msg_queue_clear(&n->held);
		entries_free(n->applied, n->n_applied);
		free(n->reads);
	}
	msg_queue_clear(&c->net);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------------------
 * Driving
 * ------------------------------------------------------------------------ */

/* Whether traffic between the two nodes is cut. */
static bool cut(const struct cluster *c, raft_id from, raft_id to)
{
	return from > CLUSTER_MAX || to > CLUSTER_MAX || c->isolated[from] ||
	       c->isolated[to];
}

/* Puts a message on the network, unless a partition drops it. */
static void net_send(struct cluster *c, const struct raft_message *m)
{
	if (!cut(c, m->from, m->to)) {
		msg_queue_push(&c->net, m);
	}
}

struct cluster_node *cluster_node(struct cluster *c, raft_id id)
{
	if (id == 0 || id > c->n) {
		test_fail(__FILE__, __LINE__, "no node %llu in a cluster of %u",
			  (unsigned long long)id, c->n);
	}
	return &c->nodes[id - 1];
}

struct raft_core *cluster_core(struct cluster *c, raft_id id)
{
	return cluster_node(c, id)->core;
}

struct raft_core_status cluster_status(struct cluster *c, raft_id id)
{
	struct raft_core_status st;
	raft_core_status(cluster_core(c, id), &st);
	return st;
}

void cluster_handle_ready(struct cluster *c, raft_id id, struct batch *out)
{
	struct cluster_node *n = cluster_node(c, id);
	struct raft_core_status st;
	struct batch b;
	size_t i;
	if (!raft_core_has_ready(n->core)) {
		test_fail(__FILE__, __LINE__, "node %llu has no ready batch",
			  (unsigned long long)id);
	}
	batch_take(n->core, &b);
	for (i = 0; i < b.n_messages; i++) {
		net_send(c, &b.messages[i]);
	}
	if (b.n_entries > 0) {
		n->written_index = b.entries[b.n_entries - 1].index;
		n->written_term = b.entries[b.n_entries - 1].term;
	}
	if (b.hard_state_changed) {
		n->hs_pending = true;
		n->written_hs = b.hard_state;
	}
	for (i = 0; i < b.n_persisted_messages; i++) {
		msg_queue_push(&n->held, &b.persisted_messages[i]);
	}
	raft_core_status(n->core, &st);
	if (b.has_snapshot) {
		/* The state machine is replaced by the snapshot before
		 * anything committed after it is applied. */
		if (b.snapshot.index < n->applied_index) {
			test_fail(__FILE__, __LINE__,
				  "node %llu loads a snapshot at %llu after "
				  "applying up to %llu",
				  (unsigned long long)id,
				  (unsigned long long)b.snapshot.index,
				  (unsigned long long)n->applied_index);
		}
		n->applied_index = b.snapshot.index;
		n->loaded_snapshot_index = b.snapshot.index;
		n->n_snapshots_loaded++;
	}
	for (i = 0; i < b.n_committed; i++) {
		const struct raft_entry *e = &b.committed[i];
		/* Applied entries form one gap-free sequence. */
		if (e->index != n->applied_index + 1) {
			test_fail(__FILE__, __LINE__,
				  "node %llu applies index %llu after %llu",
				  (unsigned long long)id,
				  (unsigned long long)e->index,
				  (unsigned long long)n->applied_index);
		}
		if (e->index > st.persisted_index) {
			test_fail(__FILE__, __LINE__,
				  "node %llu applies index %llu, durable only "
				  "up to %llu",
				  (unsigned long long)id,
				  (unsigned long long)e->index,
				  (unsigned long long)st.persisted_index);
		}
		n->applied = xrealloc(n->applied,
				      (n->n_applied + 1) * sizeof(*n->applied));
		entry_copy(&n->applied[n->n_applied++], e);
		n->applied_index = e->index;
	}
	if (b.n_reads > 0) {
		n->reads = xrealloc(n->reads, (n->n_reads + b.n_reads) *
						  sizeof(*n->reads));
		memcpy(n->reads + n->n_reads, b.reads,
		       b.n_reads * sizeof(*b.reads));
		n->n_reads += b.n_reads;
	}
	if (b.n_committed > 0) {
		raft_core_applied(n->core,
				  b.committed[b.n_committed - 1].index);
	}
	if (!n->manual_persist) {
		cluster_persist(c, id);
	}
	if (out != NULL) {
		*out = b;
	} else {
		batch_free(&b);
	}
}

void cluster_flush(struct cluster *c, raft_id id)
{
	unsigned rounds = 0;
	while (raft_core_has_ready(cluster_core(c, id))) {
		if (++rounds > 1000) {
			test_fail(__FILE__, __LINE__,
				  "node %llu keeps having ready batches",
				  (unsigned long long)id);
		}
		cluster_handle_ready(c, id, NULL);
	}
}

void cluster_persist(struct cluster *c, raft_id id)
{
	struct cluster_node *n = cluster_node(c, id);
	size_t i;
	if (n->hs_pending) {
		n->hs_pending = false;
		raft_core_hard_state_persisted(n->core, &n->written_hs);
	}
	if (n->written_index > 0) {
		raft_core_persisted(n->core, n->written_index, n->written_term);
	}
	for (i = 0; i < n->held.n; i++) {
		net_send(c, &n->held.msgs[i]);
	}
	msg_queue_clear(&n->held);
}

void cluster_step(struct cluster *c, const struct raft_message *m)
{
	int rv = raft_core_step(cluster_core(c, m->to), m);
	if (rv != 0 && !(rv == RAFT_ENOMEM && c->tolerate_enomem)) {
		test_fail(
		    __FILE__, __LINE__, "node %llu steps %s from %llu: %s",
		    (unsigned long long)m->to, raft_message_type_name(m->type),
		    (unsigned long long)m->from, test_err_name(rv));
	}
}

static bool matches(const struct raft_message *m, raft_id from, raft_id to,
		    uint8_t type)
{
	return (from == 0 || m->from == from) && (to == 0 || m->to == to) &&
	       (type == 0 || m->type == type);
}

size_t cluster_deliver_if(struct cluster *c, raft_id from, raft_id to,
			  uint8_t type)
{
	size_t i = 0, end = c->net.n, delivered = 0;
	while (i < end) {
		struct raft_message m;
		if (!matches(&c->net.msgs[i], from, to, type)) {
			i++;
			continue;
		}
		msg_queue_take(&c->net, i, &m);
		end--;
		if (m.to != 0 && m.to <= c->n && !cut(c, m.from, m.to)) {
			cluster_step(c, &m);
			delivered++;
		}
		msg_free(&m);
	}
	return delivered;
}

size_t cluster_deliver(struct cluster *c)
{
	return cluster_deliver_if(c, 0, 0, 0);
}

size_t cluster_drop_if(struct cluster *c, raft_id from, raft_id to,
		       uint8_t type)
{
	size_t i = 0, dropped = 0;
	while (i < c->net.n) {
		if (matches(&c->net.msgs[i], from, to, type)) {
			msg_queue_remove(&c->net, i);
			dropped++;
		} else {
			i++;
		}
	}
	return dropped;
}

size_t cluster_count(const struct cluster *c, raft_id from, raft_id to,
		     uint8_t type)
{
	size_t i, count = 0;
	for (i = 0; i < c->net.n; i++) {
		count += matches(&c->net.msgs[i], from, to, type);
	}
	return count;
}

const struct raft_message *cluster_find(const struct cluster *c, raft_id from,
					raft_id to, uint8_t type)
{
	size_t i;
	for (i = 0; i < c->net.n; i++) {
		if (matches(&c->net.msgs[i], from, to, type)) {
			return &c->net.msgs[i];
		}
	}
	return NULL;
}

void cluster_stabilize(struct cluster *c)
{
	unsigned round;
	for (round = 0; round < 1000; round++) {
		bool busy = false;
		unsigned i;
		for (i = 1; i <= c->n; i++) {
			if (raft_core_has_ready(cluster_core(c, i))) {
				cluster_flush(c, i);
				busy = true;
			}
		}
		if (c->net.n > 0) {
			cluster_deliver(c);
			busy = true;
		}
		if (!busy) {
			return;
		}
	}
	test_fail(__FILE__, __LINE__, "cluster does not settle");
}

void cluster_tick(struct cluster *c, raft_id id, unsigned n)
{
	unsigned i;
	for (i = 0; i < n; i++) {
		raft_core_tick(cluster_core(c, id));
		cluster_flush(c, id);
	}
}

unsigned cluster_campaign(struct cluster *c, raft_id id)
{
	unsigned ticks = 0;
	while (cluster_status(c, id).role == RAFT_FOLLOWER) {
		raft_core_tick(cluster_core(c, id));
		if (++ticks > 1000) {
			test_fail(__FILE__, __LINE__,
				  "node %llu never campaigns",
				  (unsigned long long)id);
		}
	}
	return ticks;
}

void cluster_elect(struct cluster *c, raft_id id)
{
	unsigned i;
	for (i = 0; i < 1000 && cluster_status(c, id).role == RAFT_FOLLOWER;
	     i++) {
		cluster_tick(c, id, 1);
	}
	cluster_stabilize(c);
	ASSERT_ROLE(c, id, RAFT_LEADER);
}

void cluster_rounds_dropping_appends(struct cluster *c, unsigned n_nodes,
				     raft_id from, unsigned rounds)
{
	unsigned k;
	raft_id id;
	for (k = 0; k < rounds; k++) {
		for (id = 1; id <= n_nodes; id++) {
			cluster_flush(c, id);
		}
		cluster_drop_if(c, from, 0, RAFT_MSG_APPEND);
		cluster_deliver(c);
	}
}

void cluster_isolate(struct cluster *c, raft_id id, bool isolated)
{
	cluster_node(c, id);
	c->isolated[id] = isolated;
}

raft_index cluster_propose(struct cluster *c, raft_id id, const char *data)
{
	struct raft_buf buf = {(void *)data, strlen(data)};
	raft_term term;
	raft_index index;
	int rv = raft_core_propose(cluster_core(c, id), &buf, 1, &term, &index);
	if (rv != 0) {
		test_fail(__FILE__, __LINE__, "node %llu proposes \"%s\": %s",
			  (unsigned long long)id, data, test_err_name(rv));
	}
	return index;
}

void cluster_assert_role(const char *file, int line, struct cluster *c,
			 raft_id id, uint8_t want)
{
	uint8_t role = cluster_status(c, id).role;
	if (role != want) {
		test_fail(file, line, "node %llu role == %s: %s != %s",
			  (unsigned long long)id, raft_role_name(want),
			  raft_role_name(role), raft_role_name(want));
	}
}

void cluster_assert_applied(const char *file, int line, struct cluster *c,
			    raft_id id, raft_index index, const char *data)
{
	struct cluster_node *n = cluster_node(c, id);
	size_t i, len = strlen(data);
	for (i = 0; i < n->n_applied; i++) {
		const struct raft_entry *e = &n->applied[i];
		if (e->index != index) {
			continue;
		}
		if (e->data.len != len ||
		    (len > 0 && memcmp(e->data.base, data, len) != 0)) {
			test_fail(file, line,
				  "node %llu applied index %llu: \"%.*s\" != "
				  "\"%s\"",
				  (unsigned long long)id,
				  (unsigned long long)index, (int)e->data.len,
				  e->data.len > 0 ? (const char *)e->data.base
						  : "",
				  data);
		}
		return;
	}
	test_fail(file, line, "node %llu did not apply index %llu",
		  (unsigned long long)id, (unsigned long long)index);
}
