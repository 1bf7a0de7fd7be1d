/* The runtime: a consensus core driven by a libevent loop, with a disk
 * thread (group commit) and an apply thread (see include/raft/node.h).
 *
 * Data flow on the loop:
 *
 *   timer tick / peer message / API call
 *        -> core -> ready batch -> disk job (entries, hard state, and the
 *                                  frames that must wait for them)
 *                               -> messages sent at once
 *                               -> apply job (committed entries)
 *   disk job done  -> held frames sent, raft_core_persisted()
 *   apply job done -> proposal callbacks, raft_core_applied(), reads
 *
 * Threads hand finished jobs back through a pipe the loop watches. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "node/internal.h"
#include "raft/log.h"
#include "raft/node.h"
#include "raft/storage.h"
#include "raft/transport.h"
#include "transport/tcp.h"
#include "util/assert.h"
#include "util/heap.h"

/* Committed batches up to this many entries apply on the loop when the
 * apply thread is idle. */
#define INLINE_APPLY_MAX 64
#define INLINE_DISK_MAX	 8

void raft_node_config_defaults(struct raft_node_config *config)
{
	memset(config, 0, sizeof(*config));
	config->tick_ms = 100;
	config->election_ticks = 10;
	config->heartbeat_ticks = 1;
	config->max_frame = DEFAULT_MAX_FRAME;
	config->snapshot_entries = 10000;
	config->snapshot_bytes = 64u * 1024 * 1024;
	config->snapshot_trailing = 1000;
	config->snapshot_keep = 2;
}

/* ------------------------------------------------------------------------
 * Threads
 * ------------------------------------------------------------------------ */

/* Entries and hard state of consecutive disk jobs, folded into one write:
 * the log after a job is the log before it with its entries replacing the
 * suffix from their first index. */
struct fold {
	const struct raft_hard_state *hs;
	struct raft_entry *all;
	size_t n;
	size_t cap;
};

static int fold_add(struct fold *f, const struct disk_job *d)
{
	size_t i;
	if (d->has_hs) {
		f->hs = &d->hs;
	}
	if (d->n == 0) {
		return 0;
	}
	if (f->n > 0) {
		raft_index first = f->all[0].index;
		raft_index at = d->entries[0].index;
		f->n = at <= first ? 0 : (size_t)(at - first);
	}
	if (f->n + d->n > f->cap) {
		size_t ncap = (f->n + d->n) * 2;
		struct raft_entry *a = raft_realloc(f->all, ncap * sizeof(*a));
		if (a == NULL) {
			return RAFT_ENOMEM;
		}
		f->all = a;
		f->cap = ncap;
	}
	for (i = 0; i < d->n; i++) {
		f->all[f->n++] = d->entries[i];
	}
	return 0;
}

/* The disk error a test injected (0: none); read by the disk thread. */
static int injected_disk_error(struct raft_node *node)
{
	return __atomic_load_n(&node->fault_disk_error, __ATOMIC_ACQUIRE);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Writes what was folded so far, in one synced batch, timed on last (the
 * last job folded in; NULL only when nothing was). Jobs that only hold frames
 * (acknowledgements of what is already durable, such as a commit-only
 * AppendEntries) need no write: jobs complete in order, so everything before
 * them is durable already. */
static int fold_flush(struct raft_node *node, struct fold *f,
		      struct disk_job *last)
{
	int rv = 0;
	if (f->hs != NULL || f->n > 0) {
		rv = injected_disk_error(node);
		if (rv == 0) {
			uint64_t start = monotonic_ns();
			rv = raft_storage_write(node->storage, f->hs, f->all,
						f->n);
			if (last != NULL) {
				last->wrote = true;
				last->write_ns = monotonic_ns() - start;
			}
		}
	}
	f->hs = NULL;
	f->n = 0;
	return rv;
}

/* Disk thread: every queued job in as few synced batches as possible (one,
 * unless a job records a snapshot, which goes between its predecessors'
 * writes and its own entries). */
static void disk_process(void *arg, struct worker_job *jobs)
{
	struct raft_node *node = arg;
	struct fold f = {NULL, NULL, 0, 0};
	struct worker_job *j;
	struct disk_job *last = NULL;
	int rv = 0;
	for (j = jobs; rv == 0 && j != NULL; j = j->next) {
		struct disk_job *d = (struct disk_job *)j;
		if (d->has_snap) {
			rv = fold_flush(node, &f, last);
			if (rv == 0) {
				rv = injected_disk_error(node);
			}
			if (rv == 0) {
				rv = raft_storage_snapshot(
				    node->storage, &d->snap, d->compact_to);
			}
		}
		if (rv == 0) {
			rv = fold_add(&f, d);
			last = d;
		}
	}
	if (rv == 0) {
		rv = fold_flush(node, &f, last);
	}
	raft_free(f.all);
	for (j = jobs; j != NULL; j = j->next) {
		struct disk_job *d = (struct disk_job *)j;
		d->status = rv;
		if (rv != 0) {
			if (injected_disk_error(node) == rv) {
				snprintf(d->errmsg, sizeof(d->errmsg),
					 "write log: injected fault: %s",
					 raft_strerror(rv));
			} else {
				snprintf(
				    d->errmsg, sizeof(d->errmsg), "%s",
				    rv == RAFT_ENOMEM
					? "write log: out of memory"
					: raft_storage_errmsg(node->storage));
			}
		}
	}
}

/* Apply thread: each job in order through the state machine. */
static void apply_process(void *arg, struct worker_job *jobs)
{
	struct raft_node *node = arg;
	struct worker_job *j;
	bool failed = false;
	for (j = jobs; j != NULL; j = j->next) {
		struct apply_job *a = (struct apply_job *)j;
		a->errmsg[0] = '\0';
		if (failed) {
			a->status = RAFT_ESHUTDOWN;
			snprintf(a->errmsg, sizeof(a->errmsg),
				 "an earlier apply failed");
			continue;
		}
		switch (a->kind) {
		case APPLY_ENTRIES:
			/* In log order, without gaps: on one thread at a time
			 * (the loop applies only while this one is idle). */
			RAFT_ASSERTF(a->n == 0 || a->entries[0].index ==
						      node->thread_applied + 1,
				     "node %llu: applying %llu after %llu",
				     (unsigned long long)node->id,
				     (unsigned long long)a->entries[0].index,
				     (unsigned long long)node->thread_applied);
			a->status = node->fsm->apply(
			    node->fsm, a->entries, a->n, a->results, a->errmsg,
			    sizeof(a->errmsg));
			if (a->status == 0 && a->n > 0) {
				node->thread_applied =
				    a->entries[a->n - 1].index;
			}
			failed = a->status != 0;
			break;
		case APPLY_BEGIN:
			/* Not fatal: the snapshot is skipped. */
			a->index = node->thread_applied;
			a->status = node->fsm->snapshot_begin(
			    node->fsm, &a->snap, a->errmsg, sizeof(a->errmsg));
			break;
		case APPLY_LOAD:
			a->status =
			    snapshot_load_file(node, a->path, a->index,
					       a->errmsg, sizeof(a->errmsg));
			if (a->status == 0) {
				node->thread_applied = a->index;
			}
			failed = a->status != 0;
			break;
		}
	}
}

static void free_entries(struct raft_entry *entries, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		raft_free(entries[i].data.base);
	}
	raft_free(entries);
}

void node_disk_job_free(struct disk_job *d)
{
	size_t i;
	raft_configuration_close(&d->snap.conf);
	free_entries(d->entries, d->n);
	for (i = 0; i < d->n_frames; i++) {
		raft_free(d->frames[i].data);
	}
	raft_free(d->frames);
	raft_free(d);
}

void node_apply_job_free(struct raft_node *node, struct apply_job *a)
{
	if (a->snap != NULL) {
		node->fsm->snapshot_release(node->fsm, a->snap);
	}
	free_entries(a->entries, a->n);
	raft_free(a->results);
	raft_free(a);
}

static struct raft_entry *copy_entries(const struct raft_entry *src, size_t n)
{
	struct raft_entry *dst = raft_calloc(n, sizeof(*dst));
	size_t i;
	if (dst == NULL) {
		return NULL;
	}
	for (i = 0; i < n; i++) {
		dst[i] = src[i];
		dst[i].data.base = NULL;
		if (src[i].data.len > 0) {
			dst[i].data.base = raft_malloc(src[i].data.len);
			if (dst[i].data.base == NULL) {
				free_entries(dst, i);
				return NULL;
			}
			memcpy(dst[i].data.base, src[i].data.base,
			       src[i].data.len);
		}
	}
	return dst;
}

/* ------------------------------------------------------------------------
 * Proposals and reads
 * ------------------------------------------------------------------------ */

static struct proposal *prop_at(struct raft_node *node, size_t i)
{
	return &node->props[(node->props_head + i) % node->props_cap];
}

static int props_push(struct raft_node *node, const struct proposal *p)
{
	if (node->props_n == node->props_cap) {
		size_t cap = node->props_cap ? node->props_cap * 2 : 64, i;
		struct proposal *a = raft_malloc(cap * sizeof(*a));
		if (a == NULL) {
			return RAFT_ENOMEM;
		}
		for (i = 0; i < node->props_n; i++) {
			a[i] = *prop_at(node, i);
		}
		raft_free(node->props);
		node->props = a;
		node->props_cap = cap;
		node->props_head = 0;
	}
	*prop_at(node, node->props_n) = *p;
	node->props_n++;
	return 0;
}

static struct proposal props_pop_front(struct raft_node *node)
{
	struct proposal p = *prop_at(node, 0);
	node->props_head = (node->props_head + 1) % node->props_cap;
	node->props_n--;
	return p;
}

/* Entries at index and above were replaced: their proposals never apply. */
static void props_fail_from(struct raft_node *node, raft_index index)
{
	while (node->props_n > 0 &&
	       prop_at(node, node->props_n - 1)->index >= index) {
		struct proposal p = *prop_at(node, node->props_n - 1);
		node->props_n--;
		p.cb(p.arg, RAFT_ELEADERCHANGED, p.term, p.index, 0);
	}
}

static void reads_remove(struct raft_node *node, size_t i)
{
	node->reads[i] = node->reads[--node->n_reads];
}

/* Answers the reads whose index the state machine reached. */
static void reads_serve(struct raft_node *node)
{
	size_t i = 0;
	while (i < node->n_reads) {
		struct read_req r = node->reads[i];
		if (r.known && r.index <= node->applied) {
			reads_remove(node, i);
			r.cb(r.arg, 0, r.index);
		} else {
			i++;
		}
	}
}

static void fail_all(struct raft_node *node, int status)
{
	while (node->props_n > 0) {
		struct proposal p = props_pop_front(node);
		p.cb(p.arg, status, p.term, p.index, 0);
	}
	while (node->n_reads > 0) {
		struct read_req r = node->reads[0];
		reads_remove(node, 0);
		r.cb(r.arg, status, 0);
	}
}

/* ------------------------------------------------------------------------
 * The loop side
 * ------------------------------------------------------------------------ */

/* Whether the link to this peer is cut by an injected fault. */
bool node_fault_cut(const struct raft_node *node, raft_id id)
{
	unsigned i;
	for (i = 0; i < 16 && node->faults.cut[i] != 0; i++) {
		if (node->faults.cut[i] == id) {
			return true;
		}
	}
	return false;
}

/* Whether an injected fault loses this outgoing message. */
bool node_fault_drops(struct raft_node *node, raft_id to)
{
	uint64_t x;
	if (node_fault_cut(node, to)) {
		return true;
	}
	if (node->faults.drop_percent == 0) {
		return false;
	}
	x = node->fault_rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	node->fault_rng = x;
	return x % 100 < node->faults.drop_percent;
}

int raft_node_set_faults(struct raft_node *node,
			 const struct raft_node_faults *faults)
{
	if ((faults->disk_error != 0 && faults->disk_error != RAFT_EIO &&
	     faults->disk_error != RAFT_ENOSPC) ||
	    faults->drop_percent > 100) {
		return RAFT_EINVAL;
	}
	node->faults = *faults;
	__atomic_store_n(&node->fault_disk_error, faults->disk_error,
			 __ATOMIC_RELEASE);
	raft_log(RAFT_LOG_WARN,
		 "node %llu: injected faults: disk error %s, %u%% dropped, "
		 "links cut to %llu%s",
		 (unsigned long long)node->id,
		 faults->disk_error ? raft_err_name(faults->disk_error)
				    : "none",
		 faults->drop_percent, (unsigned long long)faults->cut[0],
		 faults->cut[0] != 0 && faults->cut[1] != 0 ? " and more" : "");
	return 0;
}

void node_disk_submit(struct raft_node *node, struct disk_job *d)
{
	node->disk_outstanding++;
	worker_submit(&node->disk, &d->job);
}

void node_apply_submit(struct raft_node *node, struct apply_job *a)
{
	if (node->apply_held) {
		a->job.next = NULL;
		if (node->held.tail != NULL) {
			node->held.tail->next = &a->job;
		} else {
			node->held.head = &a->job;
		}
		node->held.tail = &a->job;
		return;
	}
	node->apply_outstanding++;
	worker_submit(&node->apply, &a->job);
}

void node_schedule(struct raft_node *node)
{
	if (node->fatal == NULL) {
		event_active(node->ready_ev, 0, 0);
	}
}

/* Stops the node for good: no more ticks, writes or applies. */
void node_fatal(struct raft_node *node, int err, const char *msg)
{
	if (node->fatal != NULL) {
		return;
	}
	node->fatal = raft_malloc(strlen(msg) + 1);
	if (node->fatal != NULL) {
		strcpy(node->fatal, msg);
	}
	raft_log(RAFT_LOG_ERROR,
		 "node %llu stopped: %s: it takes no more writes",
		 (unsigned long long)node->id, msg);
	evtimer_del(node->tick_ev);
	fail_all(node, RAFT_ESHUTDOWN);
	if (node->on_fatal != NULL) {
		node->on_fatal(node->on_fatal_arg, err, msg);
	}
}

/* Points the transport at every other member of conf. */
static void sync_peers_from(struct raft_node *node,
			    const struct raft_configuration *conf)
{
	unsigned i;
	for (i = 0; i < conf->n; i++) {
		const struct raft_server *s = &conf->servers[i];
		char addr[RAFT_ADDRESS_MAX_LEN + 1];
		size_t len = strcspn(s->address, " ");
		if (s->id == node->id) {
			continue;
		}
		memcpy(addr, s->address, len);
		addr[len] = '\0';
		if (tcp_transport_set_peer(node->tr, s->id, addr) != 0) {
			raft_log(RAFT_LOG_WARN,
				 "member %llu: address \"%s\" is not HOST:PORT",
				 (unsigned long long)s->id, addr);
		}
	}
}

/* Points the transport at every other member of the configuration. */
static void sync_peers(struct raft_node *node)
{
	sync_peers_from(node, raft_core_configuration(node->core));
}

/* Builds the disk job of a ready batch, or NULL with *rv set. */
static struct disk_job *make_disk_job(struct raft_node *node,
				      const struct raft_ready *rd, int *rv)
{
	struct disk_job *d = raft_calloc(1, sizeof(*d));
	size_t i;
	*rv = RAFT_ENOMEM;
	if (d == NULL) {
		return NULL;
	}
	d->has_hs = rd->hard_state_changed;
	d->hs = rd->hard_state;
	if (rd->n_entries > 0) {
		d->entries = copy_entries(rd->entries, rd->n_entries);
		if (d->entries == NULL) {
			goto err;
		}
		d->n = rd->n_entries;
	}
	if (rd->n_persisted_messages > 0) {
		d->frames =
		    raft_calloc(rd->n_persisted_messages, sizeof(*d->frames));
		if (d->frames == NULL) {
			goto err;
		}
		for (i = 0; i < rd->n_persisted_messages; i++) {
			const struct raft_message *m =
			    &rd->persisted_messages[i];
			struct held_frame *f = &d->frames[i];
			f->len = raft_wire_size(m);
			f->data = raft_malloc(f->len);
			if (f->data == NULL) {
				goto err;
			}
			raft_wire_encode(m, node->cluster_id, f->data);
			f->to = m->to;
			d->n_frames++;
		}
	}
	*rv = 0;
	return d;
err:
	node_disk_job_free(d);
	return NULL;
}

static struct apply_job *make_apply_job(struct raft_node *node,
					const struct raft_ready *rd)
{
	struct apply_job *a = raft_calloc(1, sizeof(*a));
	if (a == NULL) {
		return NULL;
	}
	a->kind = APPLY_ENTRIES;
	a->n = (unsigned)rd->n_committed;
	a->entries = copy_entries(rd->committed, rd->n_committed);
	a->results = raft_calloc(a->n, sizeof(*a->results));
	if (a->entries == NULL || a->results == NULL) {
		node_apply_job_free(node, a);
		return NULL;
	}
	return a;
}

static void log_role_change(struct raft_node *node, const struct raft_ready *rd)
{
	if (rd->role == node->last_role) {
		return;
	}
	node->last_role = rd->role;
	if (rd->role == RAFT_LEADER) {
		raft_log(RAFT_LOG_INFO, "node %llu is the leader in term %llu",
			 (unsigned long long)node->id,
			 (unsigned long long)rd->hard_state.term);
	} else {
		raft_log(RAFT_LOG_INFO, "node %llu is %s in term %llu",
			 (unsigned long long)node->id, raft_role_name(rd->role),
			 (unsigned long long)rd->hard_state.term);
	}
}

static void apply_done(struct raft_node *node, struct apply_job *a);
static void disk_done(struct raft_node *node, struct disk_job *d);

/* Hands out everything the core has ready. */
static void process_ready(struct raft_node *node)
{
	while (node->fatal == NULL && raft_core_has_ready(node->core)) {
		struct raft_ready rd;
		struct disk_job *d = NULL;
		struct apply_job *a = NULL;
		struct raft_read *reads = NULL;
		struct raft_message *snap = NULL;
		size_t n_reads = 0, n_snap = 0, i;
		bool conf = false, soft = false;
		uint8_t role = 0;
		raft_id leader_id = 0;
		raft_term term = 0;
		int rv = 0;

		raft_core_ready(node->core, &rd);
		if (rd.hard_state_changed || rd.n_entries > 0 ||
		    rd.n_persisted_messages > 0 || rd.snapshot != NULL) {
			d = make_disk_job(node, &rd, &rv);
		}
		if (rv == 0 && rd.snapshot != NULL) {
			/* Queues the load first: rd.committed follow it. */
			rv = snapshot_install(node, rd.snapshot, d);
		}
		if (rv == 0 && rd.n_committed > 0) {
			a = make_apply_job(node, &rd);
			rv = a == NULL ? RAFT_ENOMEM : 0;
		}
		if (rv == 0 && rd.n_reads > 0) {
			reads = raft_malloc(rd.n_reads * sizeof(*reads));
			rv = reads == NULL ? RAFT_ENOMEM : 0;
			if (reads != NULL) {
				memcpy(reads, rd.reads,
				       rd.n_reads * sizeof(*reads));
				n_reads = rd.n_reads;
			}
		}
		conf = rd.snapshot != NULL;
		for (i = 0; i < rd.n_entries; i++) {
			conf |= rd.entries[i].type == RAFT_ENTRY_CONF;
		}
		for (i = 0; rv == 0 && i < rd.n_messages; i++) {
			const struct raft_message *m = &rd.messages[i];
			if (m->type != RAFT_MSG_SNAPSHOT) {
				if (!node_fault_drops(node, m->to)) {
					tcp_transport_send(node->tr, m);
				}
				continue;
			}
			/* A stream to start after raft_core_advance() (it
			 * calls into the core): a copy, without the
			 * configuration the stream does not need. */
			if (snap == NULL) {
				snap =
				    raft_calloc(rd.n_messages, sizeof(*snap));
				if (snap == NULL) {
					rv = RAFT_ENOMEM;
					break;
				}
			}
			snap[n_snap] = *m;
			raft_configuration_init(
			    &snap[n_snap].snapshot.meta.conf);
			n_snap++;
		}
		if (rd.soft_state_changed) {
			log_role_change(node, &rd);
			soft = true;
			role = rd.role;
			leader_id = rd.leader_id;
			term = rd.hard_state.term;
		}
		raft_core_advance(node->core);

		if (rv != 0) {
			raft_free(snap);
			if (d != NULL) {
				node_disk_job_free(d);
			}
			raft_free(reads);
			node_fatal(node, rv,
				   "out of memory handing out a batch");
			return;
		}
		if (d != NULL && node->last_role != RAFT_LEADER &&
		    node->disk_outstanding == 0 && !d->has_snap &&
		    d->n <= INLINE_DISK_MAX) {
			/* A small batch of a follower whose disk thread is
			 * idle is written here: a follower's write is on
			 * the path of every commit, and this saves two
			 * thread hand-offs (p50 of puts on 1 connection
			 * -7%). What arrives meanwhile waits in the socket
			 * and makes the next batch. Big batches keep the
			 * thread, so that decoding overlaps with syncing
			 * under load; a leader's write always does, since
			 * it overlaps with replication and clients. */
			d->job.next = NULL;
			disk_process(node, &d->job);
			if (node->fatal == NULL) {
				disk_done(node, d);
			}
			node_disk_job_free(d);
			d = NULL;
		}
		if (d != NULL) {
			node_disk_submit(node, d);
		}
		if (a != NULL && node->apply_outstanding == 0 &&
		    !node->apply_held && a->n <= INLINE_APPLY_MAX) {
			/* The apply thread is idle: a small batch applies here,
			 * saving two thread hand-offs on the way to the
			 * client's answer. */
			a->job.next = NULL;
			apply_process(node, &a->job);
			apply_done(node, a);
			node_apply_job_free(node, a);
			a = NULL;
		}
		if (a != NULL) {
			node_apply_submit(node, a);
		}
		if (conf) {
			sync_peers(node);
		}
		if (soft) {
			snapshot_role_changed(node, role);
		}
		for (i = 0; i < n_snap; i++) {
			snapshot_send(node, &snap[i]);
		}
		raft_free(snap);
		/* Callbacks run only now: they may call into the node. */
		for (i = 0; i < n_reads; i++) {
			size_t k;
			for (k = 0; k < node->n_reads; k++) {
				if (node->reads[k].ctx == reads[i].ctx) {
					break;
				}
			}
			if (k == node->n_reads) {
				continue;
			}
			if (reads[i].status != 0) {
				struct read_req r = node->reads[k];
				reads_remove(node, k);
				r.cb(r.arg, reads[i].status, 0);
			} else {
				node->reads[k].known = true;
				node->reads[k].index = reads[i].index;
			}
		}
		raft_free(reads);
		reads_serve(node);
		if (soft && node->on_state_change != NULL) {
			node->on_state_change(node->on_state_change_arg, role,
					      leader_id, term);
		}
	}
}

static void on_ready(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	process_ready(arg);
	reads_serve(arg); /* lease reads known at once */
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Ticks the core once per tick_ms of the monotonic clock since the start,
 * catching up after a stalled loop: the core's time (elections, check
 * quorum, the lease) never runs behind the real one by a whole tick. */
static bool catch_up_ticks(struct raft_node *node)
{
	uint64_t due = (monotonic_ms() - node->clock_start_ms) / node->tick_ms;
	bool ticked = false;
	if (node->fatal != NULL) {
		return false;
	}
	while (node->ticks_done < due) {
		node->ticks_done++;
		raft_core_tick(node->core);
		snapshot_tick(node);
		ticked = true;
	}
	return ticked;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct raft_node *node = arg;
	(void)fd;
	(void)what;
	catch_up_ticks(node);
	process_ready(node);
}

static void disk_done(struct raft_node *node, struct disk_job *d)
{
	size_t i;
	if (d->status != 0) {
		node_fatal(node, d->status, d->errmsg);
		return;
	}
	for (i = 0; i < d->n_frames; i++) {
		if (node_fault_drops(node, d->frames[i].to)) {
			continue;
		}
		tcp_transport_send_frame(node->tr, d->frames[i].to,
					 d->frames[i].data, d->frames[i].len);
	}
	node->disk_entries += d->n;
	if (d->wrote) {
		double seconds = (double)d->write_ns / 1e9;
		unsigned b = 0;
		while (b < RAFT_NODE_WRITE_BUCKETS &&
		       seconds > raft_node_write_bounds[b]) {
			b++;
		}
		node->disk_write_buckets[b]++;
		node->disk_writes++;
		node->disk_write_seconds += seconds;
	}
	if (d->has_hs) {
		raft_core_hard_state_persisted(node->core, &d->hs);
	}
	if (d->n > 0) {
		const struct raft_entry *last = &d->entries[d->n - 1];
		raft_core_persisted(node->core, last->index, last->term);
	}
	if (d->has_snap) {
		snapshot_recorded(node, d);
	}
}

static void apply_done(struct raft_node *node, struct apply_job *a)
{
	unsigned i;
	if (a->kind == APPLY_BEGIN) {
		snapshot_begin_done(node, a);
		return;
	}
	if (a->status != 0) {
		char msg[600];
		snprintf(msg, sizeof(msg), "%s: %s",
			 a->kind == APPLY_LOAD ? "load snapshot" : "apply",
			 a->errmsg[0] ? a->errmsg : raft_strerror(a->status));
		node_fatal(node, a->status, msg);
		return;
	}
	if (a->kind == APPLY_LOAD) {
		raft_log(RAFT_LOG_INFO, "snapshot %llu loaded",
			 (unsigned long long)a->index);
		node->applied = a->index;
		raft_core_applied(node->core, node->applied);
		return;
	}
	for (i = 0; i < a->n; i++) {
		node->bytes_since_snap += a->entries[i].data.len;
		const struct raft_entry *e = &a->entries[i];
		while (node->props_n > 0 &&
		       prop_at(node, 0)->index <= e->index) {
			struct proposal p = props_pop_front(node);
			int status = p.index == e->index && p.term == e->term
					 ? 0
					 : RAFT_ELEADERCHANGED;
			p.cb(p.arg, status, e->term, e->index,
			     status == 0 ? a->results[i] : 0);
		}
	}
	if (a->n > 0 && a->entries[a->n - 1].index > node->applied) {
		node->applied = a->entries[a->n - 1].index;
		raft_core_applied(node->core, node->applied);
	}
	snapshot_maybe(node);
}

/* A thread finished jobs: take them back, in order. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct raft_node *node = arg;
	struct worker_job *j, *next;
	char buf[256];
	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0) {
	}
	for (j = worker_take_done(&node->disk); j != NULL; j = next) {
		next = j->next;
		node->disk_outstanding--;
		if (node->fatal == NULL) {
			disk_done(node, (struct disk_job *)j);
		}
		node_disk_job_free((struct disk_job *)j);
	}
	for (j = worker_take_done(&node->apply); j != NULL; j = next) {
		next = j->next;
		node->apply_outstanding--;
		if (node->fatal == NULL) {
			apply_done(node, (struct apply_job *)j);
		}
		node_apply_job_free(node, (struct apply_job *)j);
	}
	for (j = worker_take_done(&node->snapw); j != NULL; j = next) {
		next = j->next;
		if (node->fatal == NULL) {
			snap_done(node, (struct snap_job *)j);
		}
		snap_job_free(node, (struct snap_job *)j);
	}
	reads_serve(node);
	process_ready(node);
}

static void on_message(void *arg, const struct raft_message *m)
{
	struct raft_node *node = arg;
	const struct raft_configuration *conf;
	int rv;
	if (node->fatal != NULL || node_fault_cut(node, m->from)) {
		return;
	}
	conf = raft_core_configuration(node->core);
	/* A node that joins knows no configuration yet: it hears from
	 * whoever the cluster id lets in. */
	if (conf->n > 0 && raft_configuration_get(conf, m->from) == NULL) {
		raft_log(RAFT_LOG_WARN,
			 "%s from node %llu refused: not a member",
			 raft_message_type_name(m->type),
			 (unsigned long long)m->from);
		return;
	}
	if (m->type == RAFT_MSG_SNAPSHOT) {
		/* Its metadata only ever comes out of a received file. */
		raft_log(RAFT_LOG_WARN,
			 "snapshot frame from node %llu refused: snapshots "
			 "arrive as chunks",
			 (unsigned long long)m->from);
		return;
	}
	if (m->type == RAFT_MSG_SNAPSHOT_CHUNK ||
	    m->type == RAFT_MSG_SNAPSHOT_ACK) {
		snapshot_recv(node, m);
		node_schedule(node);
		return;
	}
	rv = raft_core_step(node->core, m);
	if (rv != 0) {
		raft_log(RAFT_LOG_WARN, "%s from node %llu dropped: %s",
			 raft_message_type_name(m->type),
			 (unsigned long long)m->from, raft_strerror(rv));
	}
	node_schedule(node);
}

/* ------------------------------------------------------------------------
 * API
 * ------------------------------------------------------------------------ */

int raft_node_apply(struct raft_node *node, const struct raft_buf *data,
		    raft_apply_cb cb, void *arg)
{
	struct proposal p;
	int rv;
	if (node->fatal != NULL) {
		return RAFT_ESHUTDOWN;
	}
	rv = raft_core_propose(node->core, data, 1, &p.term, &p.index);
	if (rv != 0) {
		return rv;
	}
	/* Older proposals at this index or above were truncated away. */
	props_fail_from(node, p.index);
	p.cb = cb;
	p.arg = arg;
	if (props_push(node, &p) != 0) {
		/* The entry is in the log, but nobody will hear about it:
		 * the caller learns it as a lost leadership (state unknown). */
		node_schedule(node);
		return RAFT_ENOMEM;
	}
	node_schedule(node);
	return 0;
}

/* Tracks the CONF entry a membership change appended (index, term). */
static int track_change(struct raft_node *node, int rv, raft_term term,
			raft_index index, raft_apply_cb cb, void *arg)
{
	struct proposal p;
	if (rv != 0) {
		return rv;
	}
	p.term = term;
	p.index = index;
	p.cb = cb;
	p.arg = arg;
	props_fail_from(node, index);
	rv = props_push(node, &p);
	node_schedule(node);
	return rv;
}

int raft_node_add_member(struct raft_node *node, raft_id id,
			 const char *address, uint8_t role, raft_apply_cb cb,
			 void *arg)
{
	raft_term term = 0;
	raft_index index = 0;
	int rv;
	if (node->fatal != NULL) {
		return RAFT_ESHUTDOWN;
	}
	rv = raft_core_add_member(node->core, id, address, role, &term, &index);
	if (rv == 0) {
		raft_log(RAFT_LOG_INFO, "adding member %llu (%s) at %s",
			 (unsigned long long)id,
			 role == RAFT_LEARNER ? "learner" : "voter", address);
	}
	return track_change(node, rv, term, index, cb, arg);
}

/* raft_node_remove_member() and raft_node_promote(): the same steps
 * around a different change of the core. */
static int change_member(struct raft_node *node, raft_id id,
			 int (*change)(struct raft_core *, raft_id, raft_term *,
				       raft_index *),
			 const char *what /* a format of the id */,
			 raft_apply_cb cb, void *arg)
{
	raft_term term = 0;
	raft_index index = 0;
	int rv;
	if (node->fatal != NULL) {
		return RAFT_ESHUTDOWN;
	}
	rv = change(node->core, id, &term, &index);
	if (rv == 0) {
		raft_log(RAFT_LOG_INFO, what, (unsigned long long)id);
	}
	return track_change(node, rv, term, index, cb, arg);
}

int raft_node_remove_member(struct raft_node *node, raft_id id,
			    raft_apply_cb cb, void *arg)
{
	return change_member(node, id, raft_core_remove_member,
			     "removing member %llu", cb, arg);
}

int raft_node_promote(struct raft_node *node, raft_id id, raft_apply_cb cb,
		      void *arg)
{
	return change_member(node, id, raft_core_promote,
			     "promoting learner %llu to voter", cb, arg);
}

int raft_node_reset_peers(struct raft_node *node,
			  const struct raft_configuration *conf)
{
	unsigned i;
	int rv;
	if (node->fatal != NULL) {
		return RAFT_ESHUTDOWN;
	}
	rv = raft_core_reset_peers(node->core, conf);
	if (rv != 0) {
		return rv;
	}
	raft_log(
	    RAFT_LOG_ERROR,
	    "node %llu: RESET PEERS by an administrator: the configuration "
	    "is forced to %u member(s); entries only the others held may "
	    "be lost, and the members left out must be wiped before they "
	    "rejoin",
	    (unsigned long long)node->id, conf->n);
	for (i = 0; i < conf->n; i++) {
		raft_log(RAFT_LOG_ERROR,
			 "node %llu: reset peers: member %llu "
			 "(%s) at %s",
			 (unsigned long long)node->id,
			 (unsigned long long)conf->servers[i].id,
			 conf->servers[i].role == RAFT_VOTER ? "voter"
							     : "learner",
			 conf->servers[i].address);
	}
	sync_peers(node);
	node_schedule(node);
	return 0;
}

/* Room for one more read. Errors: RAFT_ENOMEM. */
static int reads_reserve(struct raft_node *node)
{
	if (node->n_reads == node->cap_reads) {
		size_t cap = node->cap_reads ? node->cap_reads * 2 : 64;
		struct read_req *r =
		    raft_realloc(node->reads, cap * sizeof(*r));
		if (r == NULL) {
			return RAFT_ENOMEM;
		}
		node->reads = r;
		node->cap_reads = cap;
	}
	return 0;
}

int raft_node_read_index(struct raft_node *node, raft_read_cb cb, void *arg)
{
	struct read_req *r;
	int rv;
	if (node->fatal != NULL) {
		return RAFT_ESHUTDOWN;
	}
	if (reads_reserve(node) != 0) {
		return RAFT_ENOMEM;
	}
	rv = raft_core_read_index(node->core, node->next_ctx + 1);
	if (rv != 0) {
		return rv;
	}
	r = &node->reads[node->n_reads++];
	r->ctx = ++node->next_ctx;
	r->index = 0;
	r->known = false;
	r->cb = cb;
	r->arg = arg;
	node_schedule(node);
	return 0;
}

/* Queues a read whose index is known: answered once applied. */
static int push_known_read(struct raft_node *node, raft_index index,
			   raft_read_cb cb, void *arg)
{
	struct read_req *r;
	if (reads_reserve(node) != 0) {
		return RAFT_ENOMEM;
	}
	r = &node->reads[node->n_reads++];
	r->ctx = ++node->next_ctx;
	r->index = index;
	r->known = true;
	r->cb = cb;
	r->arg = arg;
	node_schedule(node);
	return 0;
}

int raft_node_read_lease(struct raft_node *node, raft_read_cb cb, void *arg)
{
	raft_index index, wait_free;
	if (node->fatal != NULL) {
		return RAFT_ESHUTDOWN;
	}
	if (catch_up_ticks(node)) {
		node_schedule(node);
	}
	if (raft_core_read_lease(node->core, &index, &wait_free) != 0) {
		return raft_node_read_index(node, cb, arg);
	}
	return push_known_read(node, index, cb, arg);
}

int raft_node_read_now(struct raft_node *node)
{
	raft_index index, wait_free;
	int rv;
	if (node->fatal != NULL) {
		return RAFT_ESHUTDOWN;
	}
	if (catch_up_ticks(node)) {
		node_schedule(node);
	}
	rv = raft_core_read_lease(node->core, &index, &wait_free);
	if (rv != 0) {
		return rv;
	}
	return node->applied >= wait_free ? 0 : RAFT_EBUSY;
}

int raft_node_transfer_leader(struct raft_node *node, raft_id to)
{
	int rv;
	if (node->fatal != NULL) {
		return RAFT_ESHUTDOWN;
	}
	rv = raft_core_transfer_leader(node->core, to);
	node_schedule(node);
	return rv;
}

const double raft_node_write_bounds[RAFT_NODE_WRITE_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
    0.01,   0.025,   0.05,   0.1,   0.25,   1};

void raft_node_status(struct raft_node *node, struct raft_node_status *st)
{
	const struct raft_configuration *conf =
	    raft_core_configuration(node->core);
	unsigned i;
	memset(st, 0, sizeof(*st));
	raft_core_status(node->core, &st->core);
	st->fatal = node->fatal;
	st->disk_writes = node->disk_writes;
	st->disk_entries = node->disk_entries;
	st->disk_write_seconds = node->disk_write_seconds;
	memcpy(st->disk_write_buckets, node->disk_write_buckets,
	       sizeof(st->disk_write_buckets));
	if (conf->n > node->cap_peers) {
		struct raft_node_peer *p =
		    raft_realloc(node->peers, conf->n * sizeof(*p));
		if (p == NULL) {
			return; /* no member list this time */
		}
		node->peers = p;
		node->cap_peers = conf->n;
	}
	for (i = 0; i < conf->n; i++) {
		const struct raft_server *s = &conf->servers[i];
		struct raft_node_peer *p = &node->peers[i];
		struct raft_peer_status ps;
		memset(p, 0, sizeof(*p));
		p->id = s->id;
		p->role = s->role;
		p->address = s->address;
		if (raft_core_peer_status(node->core, s->id, &ps) == 0) {
			p->have_progress = true;
			p->state = ps.state;
			p->match_index = ps.match_index;
			p->next_index = ps.next_index;
			p->healthy = ps.recent_active;
		}
	}
	st->n_peers = conf->n;
	st->peers = node->peers;
	snapshot_status(node, st);
}

const char *raft_node_listen_address(const struct raft_node *node)
{
	return tcp_transport_address(node->tr);
}

/* ------------------------------------------------------------------------
 * Creation
 * ------------------------------------------------------------------------ */

static int make_data_dir(const struct raft_node_config *c, char *errmsg,
			 size_t errmsg_len)
{
	if (mkdir(c->data_dir, 0750) != 0 && errno != EEXIST) {
		snprintf(errmsg, errmsg_len, "create data dir %s: %s",
			 c->data_dir, strerror(errno));
		return errno == ENOSPC ? RAFT_ENOSPC : RAFT_EIO;
	}
	return 0;
}

/* An empty log for a node that joins an existing cluster. */
static int create_joining(struct raft_node *node,
			  const struct raft_node_config *c, const char *dir,
			  char *errmsg, size_t errmsg_len)
{
	struct raft_storage_meta meta;
	int rv;
	if (c->id == 0 || c->cluster_id == 0) {
		snprintf(errmsg, errmsg_len,
			 "a joining node needs a node id and a cluster id");
		return RAFT_EINVAL;
	}
	rv = make_data_dir(c, errmsg, errmsg_len);
	if (rv != 0) {
		return rv;
	}
	meta.id = c->id;
	meta.cluster_id = c->cluster_id;
	rv =
	    raft_storage_create(dir, &meta, &node->storage, errmsg, errmsg_len);
	node->id = c->id;
	node->cluster_id = c->cluster_id;
	if (rv == 0) {
		raft_log(RAFT_LOG_INFO,
			 "node %llu joins cluster %016llx: waiting for the "
			 "leader to add it",
			 (unsigned long long)c->id,
			 (unsigned long long)c->cluster_id);
	}
	return rv;
}

/* Opens the log in dir, or creates and bootstraps it. */
static int open_storage(struct raft_node *node,
			const struct raft_node_config *c, const char *dir,
			char *errmsg, size_t errmsg_len)
{
	struct raft_storage_meta meta;
	struct raft_hard_state hs = {1, 0};
	struct raft_entry entry;
	int rv;
	rv = raft_storage_open(dir, &node->storage, errmsg, errmsg_len);
	if (rv == 0) {
		const struct raft_storage_meta *m =
		    raft_storage_meta(node->storage);
		if (c->id != 0 && c->id != m->id) {
			snprintf(errmsg, errmsg_len,
				 "data dir %s belongs to node %llu, not node "
				 "%llu",
				 c->data_dir, (unsigned long long)m->id,
				 (unsigned long long)c->id);
			return RAFT_EINVAL;
		}
		if (c->cluster_id != 0 && c->cluster_id != m->cluster_id) {
			snprintf(errmsg, errmsg_len,
				 "data dir %s belongs to cluster %016llx, not "
				 "%016llx",
				 c->data_dir, (unsigned long long)m->cluster_id,
				 (unsigned long long)c->cluster_id);
			return RAFT_EINVAL;
		}
		node->id = m->id;
		node->cluster_id = m->cluster_id;
		return 0;
	}
	if (rv != RAFT_ENOTFOUND) {
		return rv;
	}
	if (c->join) {
		return create_joining(node, c, dir, errmsg, errmsg_len);
	}
	if (c->initial == NULL || c->initial->n == 0) {
		snprintf(errmsg, errmsg_len,
			 "no log in %s: give the initial members to start a "
			 "new cluster",
			 c->data_dir);
		return RAFT_ENOTFOUND;
	}
	if (c->id == 0 || c->cluster_id == 0) {
		snprintf(errmsg, errmsg_len,
			 "a new node needs a node id and a cluster id");
		return RAFT_EINVAL;
	}
	if (raft_configuration_get(c->initial, c->id) == NULL) {
		snprintf(errmsg, errmsg_len,
			 "node %llu is not among the initial members",
			 (unsigned long long)c->id);
		return RAFT_EINVAL;
	}
	rv = raft_core_bootstrap_entry(c->initial, &entry);
	if (rv != 0) {
		snprintf(errmsg, errmsg_len, "initial members: %s",
			 rv == RAFT_EINVAL ? "no voter" : raft_strerror(rv));
		return rv;
	}
	meta.id = c->id;
	meta.cluster_id = c->cluster_id;
	rv = make_data_dir(c, errmsg, errmsg_len);
	if (rv != 0) {
		raft_free(entry.data.base);
		return rv;
	}
	rv =
	    raft_storage_create(dir, &meta, &node->storage, errmsg, errmsg_len);
	if (rv == 0) {
		rv = raft_storage_write(node->storage, &hs, &entry, 1);
		if (rv != 0) {
			snprintf(errmsg, errmsg_len, "%s",
				 raft_storage_errmsg(node->storage));
		}
	}
	raft_free(entry.data.base);
	node->id = c->id;
	node->cluster_id = c->cluster_id;
	return rv;
}

static int check_node_config(const struct raft_node_config *c, char *errmsg,
			     size_t len)
{
	if (c->data_dir == NULL || c->data_dir[0] == '\0') {
		snprintf(errmsg, len, "no data dir given");
	} else if (c->listen == NULL || c->listen[0] == '\0') {
		snprintf(errmsg, len, "no peer listen address given");
	} else if (c->tick_ms == 0 || c->tick_ms > 60000) {
		snprintf(errmsg, len, "tick %u ms outside [1, 60000]",
			 c->tick_ms);
	} else if (c->election_ticks < 2 || c->election_ticks > 1000) {
		snprintf(errmsg, len, "election ticks %u outside [2, 1000]",
			 c->election_ticks);
	} else if (c->heartbeat_ticks == 0 ||
		   c->heartbeat_ticks >= c->election_ticks) {
		snprintf(errmsg, len,
			 "heartbeat ticks %u outside [1, election ticks)",
			 c->heartbeat_ticks);
	} else if (c->max_frame < 4096) {
		snprintf(errmsg, len, "max frame %zu below 4096 bytes",
			 c->max_frame);
	} else {
		return 0;
	}
	return RAFT_EINVAL;
}

static uint64_t seed_from_environment(raft_id id)
{
	struct timespec ts;
	uint64_t seed = id * 0x9e3779b97f4a7c15ULL;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		uint64_t r;
		if (read(fd, &r, sizeof(r)) == (ssize_t)sizeof(r)) {
			seed ^= r;
		}
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return seed ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
}

static int start_core(struct raft_node *node, const struct raft_node_config *c,
		      char *errmsg, size_t errmsg_len)
{
	struct raft_storage_state state;
	struct raft_core_state cs = {0};
	struct raft_core_config cc;
	int rv;
	rv = raft_storage_load(node->storage, &state);
	if (rv != 0) {
		snprintf(errmsg, errmsg_len, "%s",
			 raft_storage_errmsg(node->storage));
		return rv;
	}
	node->applied =
	    node->fsm->applied_index ? node->fsm->applied_index(node->fsm) : 0;
	if (node->applied > raft_storage_last_index(node->storage)) {
		snprintf(
		    errmsg, errmsg_len,
		    "the state machine applied up to %llu but the log in "
		    "%s ends at %llu",
		    (unsigned long long)node->applied, c->data_dir,
		    (unsigned long long)raft_storage_last_index(node->storage));
		raft_storage_state_release(&state);
		return RAFT_ECORRUPT;
	}
	rv = snapshot_start(node, state.has_snapshot ? &state.snapshot : NULL,
			    errmsg, errmsg_len);
	if (rv != 0) {
		raft_storage_state_release(&state);
		return rv;
	}
	node->thread_applied = node->applied;
	raft_core_config_defaults(&cc, node->id);
	cc.election_ticks = c->election_ticks;
	cc.heartbeat_ticks = c->heartbeat_ticks;
	cc.random_seed = seed_from_environment(node->id);
	cs.term = state.term;
	cs.vote = state.vote;
	cs.entries = state.entries;
	cs.n_entries = state.n_entries;
	cs.applied = node->applied;
	cs.snapshot = state.has_snapshot ? &state.snapshot : NULL;
	rv = raft_core_new(&cc, &cs, &node->core, errmsg, errmsg_len);
	raft_storage_state_release(&state);
	if (rv == RAFT_EINVAL) {
		char detail[256];
		snprintf(detail, sizeof(detail), "%s", errmsg);
		snprintf(errmsg, errmsg_len, "log in %s: %s", c->data_dir,
			 detail);
		rv = RAFT_ECORRUPT;
	}
	return rv;
}

int raft_node_new(struct event_base *base, const struct raft_node_config *c,
		  struct raft_fsm *fsm, struct raft_node **out, char *errmsg,
		  size_t errmsg_len)
{
	struct raft_node *node;
	struct timeval tv;
	char dir[4096];
	int rv;

	rv = check_node_config(c, errmsg, errmsg_len);
	if (rv != 0) {
		return rv;
	}
	if (snprintf(dir, sizeof(dir), "%s/log", c->data_dir) >=
	    (int)sizeof(dir)) {
		snprintf(errmsg, errmsg_len, "data dir path too long");
		return RAFT_EINVAL;
	}
	node = raft_calloc(1, sizeof(*node));
	if (node == NULL) {
		snprintf(errmsg, errmsg_len, "%s", raft_strerror(RAFT_ENOMEM));
		return RAFT_ENOMEM;
	}
	node->base = base;
	node->fsm = fsm;
	node->tick_ms = c->tick_ms;
	node->on_fatal = c->on_fatal;
	node->on_fatal_arg = c->on_fatal_arg;
	node->on_state_change = c->on_state_change;
	node->on_state_change_arg = c->on_state_change_arg;
	node->wake_pipe[0] = node->wake_pipe[1] = -1;
	node->election_ticks = c->election_ticks;
	node->clock_start_ms = monotonic_ms();
	node->snap_entries = c->snapshot_entries;
	node->snap_bytes = c->snapshot_bytes;
	node->snap_trailing = c->snapshot_trailing;
	node->snap_keep = c->snapshot_keep > 0 ? c->snapshot_keep : 1;
	node->snap_dir = raft_malloc(strlen(c->data_dir) + 16);
	if (node->snap_dir == NULL) {
		raft_free(node);
		snprintf(errmsg, errmsg_len, "%s", raft_strerror(RAFT_ENOMEM));
		return RAFT_ENOMEM;
	}
	sprintf(node->snap_dir, "%s/snapshots", c->data_dir);
	node->last_role = RAFT_FOLLOWER;
	node->fault_rng = 0x2545f4914f6cdd1dULL;

	/* Bind first: a taken port must leave no new log behind. The ids
	 * are known once the log is open; no frame is read before. */
	rv = tcp_transport_new(base, c->listen, 0, 0,
			       c->max_frame ? c->max_frame : DEFAULT_MAX_FRAME,
			       on_message, node, &node->tr, errmsg, errmsg_len);
	if (rv != 0) {
		goto err;
	}
	rv = open_storage(node, c, dir, errmsg, errmsg_len);
	if (rv != 0) {
		goto err;
	}
	tcp_transport_set_identity(node->tr, node->cluster_id, node->id);
	rv = start_core(node, c, errmsg, errmsg_len);
	if (rv != 0) {
		goto err;
	}
	sync_peers(node);
	if (raft_core_configuration(node->core)->n == 0 && c->initial != NULL) {
		/* Joining: answer the members until the configuration comes. */
		sync_peers_from(node, c->initial);
	}
	if (pipe(node->wake_pipe) != 0 ||
	    fcntl(node->wake_pipe[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(node->wake_pipe[1], F_SETFL, O_NONBLOCK) != 0) {
		snprintf(errmsg, errmsg_len, "wake-up pipe: %s",
			 strerror(errno));
		rv = RAFT_EIO;
		goto err;
	}
	node->wake_ev = event_new(base, node->wake_pipe[0],
				  EV_READ | EV_PERSIST, on_wake, node);
	node->ready_ev = event_new(base, -1, 0, on_ready, node);
	node->tick_ev = event_new(base, -1, EV_PERSIST, on_tick, node);
	if (node->wake_ev == NULL || node->ready_ev == NULL ||
	    node->tick_ev == NULL) {
		snprintf(errmsg, errmsg_len, "%s", raft_strerror(RAFT_ENOMEM));
		rv = RAFT_ENOMEM;
		goto err;
	}
	event_add(node->wake_ev, NULL);
	tv.tv_sec = c->tick_ms / 1000;
	tv.tv_usec = (c->tick_ms % 1000) * 1000;
	event_add(node->tick_ev, &tv);
	if (worker_start(&node->disk, "raft-disk", disk_process, node,
			 node->wake_pipe[1]) != 0 ||
	    worker_start(&node->apply, "raft-apply", apply_process, node,
			 node->wake_pipe[1]) != 0 ||
	    worker_start(&node->snapw, "raft-snapshot", snap_process, node,
			 node->wake_pipe[1]) != 0) {
		snprintf(errmsg, errmsg_len, "cannot start threads");
		rv = RAFT_ENOMEM;
		goto err;
	}
	raft_log(RAFT_LOG_INFO,
		 "node %llu of cluster %016llx: peers on %s, log in %s",
		 (unsigned long long)node->id,
		 (unsigned long long)node->cluster_id,
		 tcp_transport_address(node->tr), dir);
	node_schedule(node);
	*out = node;
	return 0;

err:
	raft_node_free(node);
	return rv;
}

void raft_node_free(struct raft_node *node)
{
	struct worker_job *j, *next;
	if (node == NULL) {
		return;
	}
	worker_stop(&node->disk);
	worker_stop(&node->apply);
	worker_stop(&node->snapw);
	for (j = worker_take_done(&node->disk); j != NULL; j = next) {
		next = j->next;
		node->disk_outstanding--;
		node_disk_job_free((struct disk_job *)j);
	}
	for (j = worker_take_done(&node->apply); j != NULL; j = next) {
		next = j->next;
		node_apply_job_free(node, (struct apply_job *)j);
	}
	for (j = node->held.head; j != NULL; j = next) {
		next = j->next;
		node_apply_job_free(node, (struct apply_job *)j);
	}
	for (j = worker_take_done(&node->snapw); j != NULL; j = next) {
		next = j->next;
		snap_job_free(node, (struct snap_job *)j);
	}
	worker_close(&node->disk);
	worker_close(&node->apply);
	worker_close(&node->snapw);
	snapshot_close(node);
	fail_all(node, RAFT_ESHUTDOWN);
	if (node->tick_ev != NULL) {
		event_free(node->tick_ev);
	}
	if (node->ready_ev != NULL) {
		event_free(node->ready_ev);
	}
	if (node->wake_ev != NULL) {
		event_free(node->wake_ev);
	}
	if (node->wake_pipe[0] >= 0) {
		close(node->wake_pipe[0]);
		close(node->wake_pipe[1]);
	}
	tcp_transport_free(node->tr);
	raft_core_free(node->core);
	raft_storage_close(node->storage);
	raft_free(node->props);
	raft_free(node->reads);
	raft_free(node->peers);
	raft_free(node->fatal);
	raft_free(node->snap_dir);
	raft_free(node);
}
