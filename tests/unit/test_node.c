/* Tests of the runtime (lib/node): real nodes on one libevent loop, real
 * LevelDB in a temporary directory, real sockets on 127.0.0.1. */
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "raft/log.h"
#include "raft/node.h"
#include "test.h"

#define N    3 /* the initial members */
#define NMAX 4 /* and one that joins */

struct mem_fsm {
	struct raft_fsm fsm;
	raft_index applied;
	unsigned n_normal;
	uint64_t hash; /* of every NORMAL entry's data, in order */
	unsigned loads;
};

/* What a mem_fsm snapshot holds: its state, then PAD bytes derived from
 * it (so that the file takes several chunks to send). */
struct mem_image {
	raft_index applied;
	uint64_t n_normal;
	uint64_t hash;
};
#define PAD (1100u * 1024)

struct node_fixture {
	char dir[64];
	struct event_base *base;
	struct raft_configuration conf;
	char addr[NMAX + 1][32];
	struct raft_node *nodes[NMAX + 1];
	struct mem_fsm fsms[NMAX + 1];
	unsigned acked;
	unsigned failed;
	unsigned reads;
	unsigned leader_events;	   /* on_state_change calls saying "leader" */
	uint64_t snapshot_entries; /* for the nodes started next */
	raft_index snapshot_trailing;
	unsigned snapshots_done;
	raft_index snapshot_index;
	int snapshot_status;
	raft_id reported_leader[NMAX + 1]; /* last leader each node reported */
	char err[512];
};

struct state_arg {
	struct node_fixture *f;
	unsigned i;
};

static struct state_arg state_args[NMAX + 1];

static void on_state(void *arg, uint8_t role, raft_id leader_id, raft_term term)
{
	struct state_arg *a = arg;
	(void)term;
	a->f->reported_leader[a->i] = leader_id;
	if (role == RAFT_LEADER) {
		a->f->leader_events++;
	}
}

static raft_index mem_applied(struct raft_fsm *fsm)
{
	return ((struct mem_fsm *)fsm->data)->applied;
}

static int mem_apply(struct raft_fsm *fsm, const struct raft_entry *entries,
		     unsigned n, int *results, char *errmsg, size_t len)
{
	struct mem_fsm *m = fsm->data;
	unsigned i;
	for (i = 0; i < n; i++) {
		if (entries[i].index != m->applied + 1) {
			snprintf(errmsg, len, "gap: %llu after %llu",
				 (unsigned long long)entries[i].index,
				 (unsigned long long)m->applied);
			return RAFT_ECORRUPT;
		}
		m->applied = entries[i].index;
		if (entries[i].type == RAFT_ENTRY_NORMAL) {
			const uint8_t *p = entries[i].data.base;
			size_t k;
			m->n_normal++;
			for (k = 0; k < entries[i].data.len; k++) {
				m->hash = (m->hash ^ p[k]) * 0x100000001b3ULL;
			}
		}
		results[i] = (int)entries[i].index;
	}
	return 0;
}

static int mem_snapshot_begin(struct raft_fsm *fsm, void **snap, char *errmsg,
			      size_t len)
{
	struct mem_fsm *m = fsm->data;
	struct mem_image *img = malloc(sizeof(*img));
	(void)errmsg;
	(void)len;
	if (img == NULL) {
		return RAFT_ENOMEM;
	}
	img->applied = m->applied;
	img->n_normal = m->n_normal;
	img->hash = m->hash;
	*snap = img;
	return 0;
}

static int mem_snapshot_save(struct raft_fsm *fsm, void *snap,
			     int (*write)(void *ctx, const void *data,
					  size_t len),
			     void *ctx, char *errmsg, size_t len)
{
	uint8_t pad[4096];
	unsigned k;
	int rv;
	(void)fsm;
	(void)errmsg;
	(void)len;
	rv = write(ctx, snap, sizeof(struct mem_image));
	for (k = 0; rv == 0 && k < PAD / sizeof(pad); k++) {
		memset(pad, (int)(k + ((struct mem_image *)snap)->hash) & 0xff,
		       sizeof(pad));
		rv = write(ctx, pad, sizeof(pad));
	}
	return rv;
}

static void mem_snapshot_release(struct raft_fsm *fsm, void *snap)
{
	(void)fsm;
	free(snap);
}

static int mem_snapshot_load(struct raft_fsm *fsm, raft_index index,
			     int (*read)(void *ctx, void *buf, size_t len,
					 size_t *n),
			     void *ctx, char *errmsg, size_t len)
{
	struct mem_fsm *m = fsm->data;
	struct mem_image img;
	uint8_t pad[4096];
	size_t n;
	unsigned k;
	int rv = read(ctx, &img, sizeof(img), &n);
	if (rv != 0 || n != sizeof(img) || img.applied != index) {
		snprintf(errmsg, len, "bad image");
		return RAFT_ECORRUPT;
	}
	for (k = 0; k < PAD / sizeof(pad); k++) {
		size_t got = 0;
		while (got < sizeof(pad)) {
			rv = read(ctx, pad + got, sizeof(pad) - got, &n);
			if (rv != 0 || n == 0) {
				snprintf(errmsg, len, "short image");
				return RAFT_ECORRUPT;
			}
			got += n;
		}
		if (pad[0] != ((k + img.hash) & 0xff) ||
		    pad[sizeof(pad) - 1] != pad[0]) {
			snprintf(errmsg, len, "bad padding");
			return RAFT_ECORRUPT;
		}
	}
	m->applied = img.applied;
	m->n_normal = (unsigned)img.n_normal;
	m->hash = img.hash;
	m->loads++;
	return 0;
}

static void mem_fsm_init(struct mem_fsm *m)
{
	memset(m, 0, sizeof(*m));
	m->fsm.data = m;
	m->fsm.applied_index = mem_applied;
	m->fsm.apply = mem_apply;
	m->fsm.snapshot_begin = mem_snapshot_begin;
	m->fsm.snapshot_save = mem_snapshot_save;
	m->fsm.snapshot_release = mem_snapshot_release;
	m->fsm.snapshot_load = mem_snapshot_load;
}

/* A port nobody listens on now, chosen at random BELOW the kernel's
 * ephemeral range: a port the kernel handed out (bind to port 0) can be
 * taken again at once by any outgoing connection, ours included, before
 * the node binds it (seen in CI). */
static unsigned free_port(void)
{
	static uint64_t x;
	unsigned low = 32768, high;
	FILE *fp = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (fp != NULL) {
		if (fscanf(fp, "%u %u", &low, &high) != 2 || low <= 11000) {
			low = 32768;
		}
		fclose(fp);
	}
	if (x == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ 1;
	}
	for (;;) {
		struct sockaddr_in sa;
		unsigned port;
		int fd, ok;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		port = 10000 + (unsigned)(x % (low - 10000));
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			abort();
		}
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)port);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok) {
			return port;
		}
	}
}

SETUP(node)
{
	unsigned i;
	raft_log_configure(
	    getenv("TEST_VERBOSE") ? RAFT_LOG_DEBUG : RAFT_LOG_ERROR,
	    getenv("TEST_VERBOSE") ? NULL : test_log_quiet, NULL);
	strcpy(f->dir, "/tmp/raft-test-node-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(f->dir));
	f->base = event_base_new();
	raft_configuration_init(&f->conf);
	for (i = 1; i <= NMAX; i++) {
		unsigned port, k;
	again:
		/* Distinct too: none is bound before the nodes start. */
		port = free_port();
		for (k = 1; k < i; k++) {
			if (strtoul(strrchr(f->addr[k], ':') + 1, NULL, 10) ==
			    port) {
				goto again;
			}
		}
		snprintf(f->addr[i], sizeof(f->addr[i]), "127.0.0.1:%u", port);
		if (i <= N) {
			ASSERT_OK(raft_configuration_add(
			    &f->conf, i, f->addr[i], RAFT_VOTER));
		}
	}
}

TEARDOWN(node)
{
	unsigned i;
	for (i = 1; i <= NMAX; i++) {
		raft_node_free(f->nodes[i]);
	}
	raft_configuration_close(&f->conf);
	event_base_free(f->base);
	test_dir_remove(f->dir);
}

static void make_config(struct node_fixture *f, unsigned i,
			struct raft_node_config *c, char *dd, size_t len)
{
	raft_node_config_defaults(c);
	c->id = i;
	c->cluster_id = 42;
	snprintf(dd, len, "%s/n%u", f->dir, i);
	c->data_dir = dd;
	c->listen = f->addr[i];
	c->initial = &f->conf;
	c->tick_ms = 10;
	c->snapshot_entries = f->snapshot_entries;
	c->snapshot_trailing = f->snapshot_trailing;
	state_args[i].f = f;
	state_args[i].i = i;
	c->on_state_change = on_state;
	c->on_state_change_arg = &state_args[i];
}

static int start(struct node_fixture *f, unsigned i)
{
	struct raft_node_config c;
	char dd[128];
	int rv;
	make_config(f, i, &c, dd, sizeof(dd));
	mem_fsm_init(&f->fsms[i]);
	rv = raft_node_new(f->base, &c, &f->fsms[i].fsm, &f->nodes[i], f->err,
			   sizeof(f->err));
	if (rv != 0) {
		fprintf(stderr, "start node %u: %s\n", i, f->err);
	}
	return rv;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
}

/* Runs the loop until cond(f) holds; fails after timeout_ms. */
static void run_until(struct node_fixture *f,
		      bool (*cond)(struct node_fixture *f), unsigned timeout_ms)
{
	bool expired = false;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	struct event *deadline = evtimer_new(f->base, on_deadline, &expired);
	evtimer_add(deadline, &tv);
	while (!cond(f) && !expired) {
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	event_free(deadline);
	ASSERT_TRUE(cond(f));
}

static unsigned leader(struct node_fixture *f)
{
	unsigned i;
	for (i = 1; i <= NMAX; i++) {
		struct raft_node_status st;
		if (f->nodes[i] == NULL) {
			continue;
		}
		raft_node_status(f->nodes[i], &st);
		if (st.core.role == RAFT_LEADER) {
			return i;
		}
	}
	return 0;
}

static bool has_leader(struct node_fixture *f)
{
	return leader(f) != 0;
}

static void start_all(struct node_fixture *f)
{
	unsigned i;
	for (i = 1; i <= N; i++) {
		ASSERT_OK(start(f, i));
	}
	run_until(f, has_leader, 5000);
}

static void on_apply(void *arg, int status, raft_term term, raft_index index,
		     int result)
{
	struct node_fixture *f = arg;
	(void)term;
	if (status == 0 && result == (int)index) {
		f->acked++;
	} else {
		f->failed++;
	}
}

static void on_read(void *arg, int status, raft_index index)
{
	struct node_fixture *f = arg;
	(void)index;
	if (status == 0) {
		f->reads++;
	}
}

static void propose(struct node_fixture *f, unsigned n)
{
	unsigned k, l = leader(f);
	for (k = 0; k < n; k++) {
		char buf[32];
		struct raft_buf b = {buf, 0};
		b.len = (size_t)snprintf(buf, sizeof(buf), "value-%u", k);
		ASSERT_OK(raft_node_apply(f->nodes[l], &b, on_apply, f));
	}
}

/* Whether each of the initial members applied at least n NORMAL entries. */
static bool members_applied(struct node_fixture *f, unsigned n)
{
	unsigned i;
	for (i = 1; i <= N; i++) {
		if (f->fsms[i].n_normal < n) {
			return false;
		}
	}
	return true;
}

static bool all_applied_500(struct node_fixture *f)
{
	unsigned i;
	for (i = 1; i <= N; i++) {
		if (f->nodes[i] != NULL && f->fsms[i].n_normal < 500) {
			return false;
		}
	}
	return f->acked == 500;
}

TEST(node, three_nodes_elect_replicate_and_apply)
{
	start_all(f);
	propose(f, 500);
	run_until(f, all_applied_500, 10000);
	ASSERT_EQ_U64(f->failed, 0);
}

static bool one_read(struct node_fixture *f)
{
	return f->reads == 1;
}

TEST(node, read_index_answers_on_the_leader)
{
	start_all(f);
	ASSERT_OK(raft_node_read_index(f->nodes[leader(f)], on_read, f));
	run_until(f, one_read, 5000);
}

TEST(node, a_follower_refuses_proposals)
{
	struct raft_buf b = {"x", 1};
	unsigned follower;
	start_all(f);
	follower = leader(f) % N + 1;
	ASSERT_RV(raft_node_apply(f->nodes[follower], &b, on_apply, f),
		  RAFT_ENOTLEADER);
}

static bool node1_replayed(struct node_fixture *f)
{
	return f->fsms[1].n_normal >= 500;
}

TEST(node, a_restarted_node_recovers_from_its_data_dir)
{
	struct raft_node_config c;
	char dd[128];
	start_all(f);
	propose(f, 500);
	run_until(f, all_applied_500, 10000);
	raft_node_free(f->nodes[1]);
	f->nodes[1] = NULL;
	/* Only the data dir and the address: identity comes from the dir. */
	make_config(f, 1, &c, dd, sizeof(dd));
	c.id = 0;
	c.cluster_id = 0;
	c.initial = NULL;
	mem_fsm_init(&f->fsms[1]);
	ASSERT_OK(raft_node_new(f->base, &c, &f->fsms[1].fsm, &f->nodes[1],
				f->err, sizeof(f->err)));
	run_until(f, node1_replayed, 10000);
}

TEST(node, a_data_dir_of_another_node_is_refused)
{
	struct raft_node_config c;
	struct raft_node *other;
	char dd[128];
	ASSERT_OK(start(f, 1));
	raft_node_free(f->nodes[1]);
	f->nodes[1] = NULL;
	make_config(f, 1, &c, dd, sizeof(dd));
	c.id = 2;
	ASSERT_RV(raft_node_new(f->base, &c, &f->fsms[1].fsm, &other, f->err,
				sizeof(f->err)),
		  RAFT_EINVAL);
	ASSERT_STR_CONTAINS(f->err, "belongs to node 1, not node 2");
	c.id = 1;
	c.cluster_id = 43;
	ASSERT_RV(raft_node_new(f->base, &c, &f->fsms[1].fsm, &other, f->err,
				sizeof(f->err)),
		  RAFT_EINVAL);
	ASSERT_STR_CONTAINS(f->err, "belongs to cluster");
}

TEST(node, no_log_and_no_members_is_not_found)
{
	struct raft_node_config c;
	struct raft_node *n;
	char dd[128];
	make_config(f, 1, &c, dd, sizeof(dd));
	c.initial = NULL;
	ASSERT_RV(raft_node_new(f->base, &c, &f->fsms[1].fsm, &n, f->err,
				sizeof(f->err)),
		  RAFT_ENOTFOUND);
	ASSERT_STR_CONTAINS(f->err, "no log in");
}

TEST(node, a_taken_listen_address_is_refused)
{
	struct raft_node_config c;
	struct raft_node *n;
	char dd[128];
	ASSERT_OK(start(f, 1));
	make_config(f, 2, &c, dd, sizeof(dd));
	c.listen = f->addr[1];
	ASSERT_RV(raft_node_new(f->base, &c, &f->fsms[2].fsm, &n, f->err,
				sizeof(f->err)),
		  RAFT_EIO);
	ASSERT_STR_CONTAINS(f->err, "listen on");
}

static bool leader_failed(struct node_fixture *f)
{
	return f->failed > 0;
}

TEST(node, a_failing_disk_stops_writes_and_says_why)
{
	struct raft_node_faults faults;
	struct raft_node_status st;
	struct raft_buf b = {"x", 1};
	unsigned l;
	start_all(f);
	l = leader(f);
	memset(&faults, 0, sizeof(faults));
	faults.disk_error = RAFT_ENOSPC;
	ASSERT_OK(raft_node_set_faults(f->nodes[l], &faults));
	ASSERT_OK(raft_node_apply(f->nodes[l], &b, on_apply, f));
	run_until(f, leader_failed, 5000);
	ASSERT_EQ_U64(f->acked, 0);
	raft_node_status(f->nodes[l], &st);
	ASSERT_NOT_NULL(st.fatal);
	ASSERT_STR_CONTAINS(st.fatal, "no space left on device");
	ASSERT_RV(raft_node_apply(f->nodes[l], &b, on_apply, f),
		  RAFT_ESHUTDOWN);
}

static unsigned old_leader;

static bool another_leader(struct node_fixture *f)
{
	unsigned i;
	for (i = 1; i <= N; i++) {
		struct raft_node_status st;
		raft_node_status(f->nodes[i], &st);
		if (i != old_leader && st.core.role == RAFT_LEADER) {
			return true;
		}
	}
	return false;
}

TEST(node, cutting_the_leader_off_elects_another)
{
	struct raft_node_faults faults;
	unsigned i, k = 0;
	start_all(f);
	old_leader = leader(f);
	memset(&faults, 0, sizeof(faults));
	for (i = 1; i <= N; i++) {
		if (i != old_leader) {
			faults.cut[k++] = i;
		}
	}
	ASSERT_OK(raft_node_set_faults(f->nodes[old_leader], &faults));
	run_until(f, another_leader, 10000);
}

TEST(node, bad_faults_are_refused)
{
	struct raft_node_faults faults;
	ASSERT_OK(start(f, 1));
	memset(&faults, 0, sizeof(faults));
	faults.disk_error = RAFT_EINVAL;
	ASSERT_RV(raft_node_set_faults(f->nodes[1], &faults), RAFT_EINVAL);
	faults.disk_error = 0;
	faults.drop_percent = 101;
	ASSERT_RV(raft_node_set_faults(f->nodes[1], &faults), RAFT_EINVAL);
}

/* Sends bytes to a node's peer port on a fresh connection, then closes it. */
static void send_raw(const char *address, const void *bytes, size_t len)
{
	struct sockaddr_in sa;
	unsigned port = (unsigned)atoi(strrchr(address, ':') + 1);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_TRUE(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ_INT(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ASSERT_EQ_INT(write(fd, bytes, len), (long long)len);
	close(fd);
}

static bool all_applied_1000(struct node_fixture *f)
{
	return members_applied(f, 1000) && f->acked == 1000;
}

TEST(node, bad_frames_close_their_connection_only)
{
	uint8_t garbage[64], huge[24];
	unsigned i;
	start_all(f);
	propose(f, 500);
	run_until(f, all_applied_500, 10000);
	/* A frame that fails its checksum, and one announcing 4 GiB. */
	for (i = 0; i < sizeof(garbage); i++) {
		garbage[i] = (uint8_t)(i * 37);
	}
	garbage[0] = sizeof(garbage) - 4;
	garbage[1] = garbage[2] = garbage[3] = 0;
	memset(huge, 0xff, sizeof(huge));
	for (i = 1; i <= N; i++) {
		send_raw(f->addr[i], garbage, sizeof(garbage));
		send_raw(f->addr[i], huge, sizeof(huge));
	}
	/* The cluster goes on as if nothing happened. */
	propose(f, 500);
	run_until(f, all_applied_1000, 10000);
	ASSERT_EQ_U64(f->failed, 0);
}

static bool everyone_knows_the_leader(struct node_fixture *f)
{
	unsigned i, l = leader(f);
	for (i = 1; i <= N; i++) {
		if (f->reported_leader[i] != l) {
			return false;
		}
	}
	return l != 0;
}

TEST(node, state_changes_report_the_leader_to_every_member)
{
	start_all(f);
	run_until(f, everyone_knows_the_leader, 5000);
	ASSERT_GE_U64(f->leader_events, 1);
}

/* ------------------------------------------------------------------------
 * Snapshots
 * ------------------------------------------------------------------------ */

static void on_snapshot(void *arg, int status, raft_index index)
{
	struct node_fixture *f = arg;
	f->snapshots_done++;
	f->snapshot_status = status;
	f->snapshot_index = index;
}

static bool snapshot_answered(struct node_fixture *f)
{
	return f->snapshots_done > 0;
}

static bool nodes_1_2_applied_500(struct node_fixture *f)
{
	return f->fsms[1].n_normal >= 500 && f->fsms[2].n_normal >= 500;
}

static bool node3_caught_up(struct node_fixture *f)
{
	return f->fsms[3].n_normal >= 500;
}

static raft_index first_index(struct node_fixture *f, unsigned i)
{
	struct raft_node_status st;
	raft_node_status(f->nodes[i], &st);
	return st.core.first_index;
}

static bool compacted(struct node_fixture *f)
{
	return first_index(f, 1) > 300 && first_index(f, 2) > 300;
}

/* Nodes 1 and 2 take snapshots while node 3 is down: node 3 comes back
 * behind the compacted log and gets a snapshot of several chunks. */
static void lag_node3(struct node_fixture *f)
{
	f->snapshot_entries = 100;
	f->snapshot_trailing = 10;
	ASSERT_OK(start(f, 1));
	ASSERT_OK(start(f, 2));
	run_until(f, has_leader, 5000);
	propose(f, 500);
	run_until(f, nodes_1_2_applied_500, 20000);
	run_until(f, compacted, 20000);
}

TEST(node, a_follower_behind_the_compacted_log_installs_a_snapshot)
{
	struct raft_node_status st;
	unsigned l;
	lag_node3(f);
	l = leader(f);
	ASSERT_OK(start(f, 3));
	run_until(f, node3_caught_up, 20000);
	ASSERT_EQ_U64(f->fsms[3].loads, 1);
	ASSERT_EQ_U64(f->fsms[3].hash, f->fsms[l].hash);
	raft_node_status(f->nodes[3], &st);
	ASSERT_GT_U64(st.core.snapshot_index, 300);
	ASSERT_EQ_U64(st.install_index, 0);
}

TEST(node, an_install_resumes_through_lost_chunks)
{
	struct raft_node_faults faults = {0};
	unsigned l;
	lag_node3(f);
	l = leader(f);
	faults.drop_percent = 30;
	ASSERT_OK(raft_node_set_faults(f->nodes[l], &faults));
	ASSERT_OK(start(f, 3));
	run_until(f, node3_caught_up, 30000);
	ASSERT_EQ_U64(f->fsms[3].hash, f->fsms[l].hash);
}

static bool node1_back_at_500(struct node_fixture *f)
{
	return f->fsms[1].n_normal >= 500;
}

TEST(node, a_restart_loads_the_snapshot_and_replays_the_rest)
{
	struct raft_node_config c;
	char dd[128];
	uint64_t hash;
	lag_node3(f);
	hash = f->fsms[2].hash;
	raft_node_free(f->nodes[1]);
	f->nodes[1] = NULL;
	make_config(f, 1, &c, dd, sizeof(dd));
	mem_fsm_init(&f->fsms[1]); /* the state machine forgot everything */
	ASSERT_OK(raft_node_new(f->base, &c, &f->fsms[1].fsm, &f->nodes[1],
				f->err, sizeof(f->err)));
	/* Loaded at once, before any entry is applied. */
	ASSERT_EQ_U64(f->fsms[1].loads, 1);
	ASSERT_GT_U64(f->fsms[1].applied, 300);
	run_until(f, node1_back_at_500, 10000);
	ASSERT_EQ_U64(f->fsms[1].hash, hash);
}

static bool all_applied_10(struct node_fixture *f)
{
	return members_applied(f, 10);
}

static bool all_applied_50(struct node_fixture *f)
{
	return members_applied(f, 50);
}

TEST(node, a_snapshot_on_demand_answers_its_index)
{
	struct raft_fsm plain = {0};
	struct raft_node *n;
	struct raft_node_config c;
	char dd[128];
	unsigned follower;
	f->snapshot_trailing = 1000;
	start_all(f); /* no automatic snapshots */
	propose(f, 50);
	run_until(f, all_applied_50, 10000);
	follower = leader(f) % N + 1;
	ASSERT_OK(raft_node_snapshot(f->nodes[follower], on_snapshot, f));
	run_until(f, snapshot_answered, 10000);
	ASSERT_EQ_INT(f->snapshot_status, 0);
	ASSERT_GE_U64(f->snapshot_index, 51);
	ASSERT_EQ_U64(first_index(f, follower), 1); /* the margin is kept */
	/* Nothing applied since: the same one. */
	f->snapshots_done = 0;
	ASSERT_OK(raft_node_snapshot(f->nodes[follower], on_snapshot, f));
	run_until(f, snapshot_answered, 10000);
	ASSERT_EQ_INT(f->snapshot_status, 0);
	ASSERT_GE_U64(f->snapshot_index, 51);
	raft_node_free(f->nodes[follower]);
	f->nodes[follower] = NULL;
	make_config(f, follower, &c, dd, sizeof(dd));
	plain.apply = mem_apply;
	plain.data = &f->fsms[follower];
	memset(&f->fsms[follower], 0, sizeof(f->fsms[follower]));
	/* Its log is now covered by a snapshot it cannot load. */
	ASSERT_RV(
	    raft_node_new(f->base, &c, &plain, &n, f->err, sizeof(f->err)),
	    RAFT_EINVAL);
	ASSERT_STR_CONTAINS(f->err, "cannot load snapshots");
	/* A state machine without snapshots cannot take one. */
	snprintf(dd, sizeof(dd), "%s/plain", f->dir);
	ASSERT_OK(
	    raft_node_new(f->base, &c, &plain, &n, f->err, sizeof(f->err)));
	ASSERT_RV(raft_node_snapshot(n, on_snapshot, f), RAFT_ENOTSUP);
	raft_node_free(n);
}

/* ------------------------------------------------------------------------
 * Membership
 * ------------------------------------------------------------------------ */

static bool all_10_acked(struct node_fixture *f)
{
	return f->acked == 10;
}

static bool all_50_acked(struct node_fixture *f)
{
	return f->acked == 50;
}

static bool change_done(struct node_fixture *f)
{
	return f->acked + f->failed > 0;
}

static bool node4_caught_up(struct node_fixture *f)
{
	return f->fsms[4].n_normal >= 50;
}

static void apply_change(struct node_fixture *f, int rv)
{
	ASSERT_OK(rv);
	f->acked = f->failed = 0;
	run_until(f, change_done, 10000);
	ASSERT_EQ_U64(f->acked, 1);
}

/* The change callback's result is the CONF entry's index, as for any
 * entry mem_apply sees. */
TEST(node, a_joining_learner_catches_up_and_is_promoted)
{
	struct raft_node_config c;
	struct raft_node_status st;
	char dd[128];
	unsigned l, k;
	start_all(f);
	propose(f, 50);
	run_until(f, all_applied_50, 10000);
	run_until(f, all_50_acked, 10000);
	make_config(f, 4, &c, dd, sizeof(dd));
	c.join = true; /* c.initial: the members to answer */
	mem_fsm_init(&f->fsms[4]);
	ASSERT_OK(raft_node_new(f->base, &c, &f->fsms[4].fsm, &f->nodes[4],
				f->err, sizeof(f->err)));
	l = leader(f);
	apply_change(f, raft_node_add_member(f->nodes[l], 4, f->addr[4],
					     RAFT_LEARNER, on_apply, f));
	run_until(f, node4_caught_up, 10000);
	raft_node_status(f->nodes[4], &st);
	ASSERT_TRUE(st.core.learner);
	ASSERT_RV(raft_node_add_member(f->nodes[l], 4, f->addr[4], RAFT_LEARNER,
				       on_apply, f),
		  RAFT_EEXIST);
	/* Promotion waits until the learner was heard from lately. */
	for (k = 0; k < 100; k++) {
		int rv;
		f->acked = f->failed = 0;
		rv = raft_node_promote(f->nodes[l], 4, on_apply, f);
		if (rv == 0) {
			break;
		}
		ASSERT_TRUE(rv == RAFT_EUNAVAILABLE || rv == RAFT_ELAGGING);
		run_until(f, node4_caught_up, 100);
	}
	run_until(f, change_done, 10000);
	ASSERT_EQ_U64(f->acked, 1);
	raft_node_status(f->nodes[4], &st);
	ASSERT_FALSE(st.core.learner);
	ASSERT_EQ_U64(st.n_peers, 4);
}

static unsigned removed;

static bool another_leads(struct node_fixture *f)
{
	unsigned l = leader(f);
	return l != 0 && l != removed;
}

TEST(node, a_removed_leader_hands_over)
{
	struct raft_node_status st;
	start_all(f);
	propose(f, 10); /* changes wait for an entry of the leader's term */
	run_until(f, all_applied_10, 10000);
	run_until(f, all_10_acked, 10000);
	removed = leader(f);
	apply_change(f, raft_node_remove_member(f->nodes[removed], removed,
						on_apply, f));
	run_until(f, another_leads, 5000);
	raft_node_status(f->nodes[leader(f)], &st);
	ASSERT_EQ_U64(st.n_peers, 2);
	ASSERT_RV(
	    raft_node_remove_member(f->nodes[leader(f)], removed, on_apply, f),
	    RAFT_ENOTFOUND);
}

static unsigned survivor;

static bool survivor_leads_and_commits(struct node_fixture *f)
{
	return f->fsms[survivor].n_normal >= 11;
}

TEST(node, reset_peers_revives_a_node_that_lost_its_majority)
{
	struct raft_configuration alone;
	unsigned i;
	start_all(f);
	propose(f, 10);
	run_until(f, all_applied_10, 10000);
	survivor = leader(f) % N + 1; /* a follower */
	for (i = 1; i <= N; i++) {
		if (i != survivor) {
			raft_node_free(f->nodes[i]);
			f->nodes[i] = NULL;
		}
	}
	raft_configuration_init(&alone);
	ASSERT_OK(raft_configuration_add(&alone, survivor, f->addr[survivor],
					 RAFT_VOTER));
	ASSERT_OK(raft_node_reset_peers(f->nodes[survivor], &alone));
	raft_configuration_close(&alone);
	run_until(f, has_leader, 5000);
	ASSERT_EQ_U64(leader(f), survivor);
	f->acked = 0;
	propose(f, 1);
	run_until(f, survivor_leads_and_commits, 5000);
}

/* ------------------------------------------------------------------------
 * Faster reads
 * ------------------------------------------------------------------------ */

static bool read_now_ok(struct node_fixture *f)
{
	return raft_node_read_now(f->nodes[leader(f)]) == 0;
}

TEST(node, lease_and_wait_free_reads_on_the_leader)
{
	unsigned l, follower;
	start_all(f);
	propose(f, 10);
	run_until(f, all_applied_10, 10000);
	run_until(f, read_now_ok, 5000);
	l = leader(f);
	follower = l % N + 1;
	ASSERT_RV(raft_node_read_now(f->nodes[follower]), RAFT_ENOTLEADER);
	f->reads = 0;
	ASSERT_OK(raft_node_read_lease(f->nodes[l], on_read, f));
	ASSERT_EQ_U64(f->reads, 0); /* the callback comes later */
	run_until(f, one_read, 5000);
	/* A lease read on a follower is a follower read. */
	f->reads = 0;
	ASSERT_OK(raft_node_read_lease(f->nodes[follower], on_read, f));
	run_until(f, one_read, 5000);
}

TEST(node, a_follower_read_answers_on_the_follower)
{
	unsigned follower;
	start_all(f);
	propose(f, 10);
	run_until(f, all_applied_10, 10000);
	follower = leader(f) % N + 1;
	f->reads = 0;
	ASSERT_OK(raft_node_read_index(f->nodes[follower], on_read, f));
	run_until(f, one_read, 5000);
	ASSERT_GE_U64(f->fsms[follower].n_normal, 10);
}

static const struct test_case node_cases[] = {
    TEST_CASE(node, lease_and_wait_free_reads_on_the_leader),
    TEST_CASE(node, a_follower_read_answers_on_the_follower),
    TEST_CASE(node, a_joining_learner_catches_up_and_is_promoted),
    TEST_CASE(node, a_removed_leader_hands_over),
    TEST_CASE(node, reset_peers_revives_a_node_that_lost_its_majority),
    TEST_CASE(node, a_follower_behind_the_compacted_log_installs_a_snapshot),
    TEST_CASE(node, an_install_resumes_through_lost_chunks),
    TEST_CASE(node, a_restart_loads_the_snapshot_and_replays_the_rest),
    TEST_CASE(node, a_snapshot_on_demand_answers_its_index),
    TEST_CASE(node, state_changes_report_the_leader_to_every_member),
    TEST_CASE(node, bad_frames_close_their_connection_only),
    TEST_CASE(node, a_failing_disk_stops_writes_and_says_why),
    TEST_CASE(node, cutting_the_leader_off_elects_another),
    TEST_CASE(node, bad_faults_are_refused),
    TEST_CASE(node, three_nodes_elect_replicate_and_apply),
    TEST_CASE(node, read_index_answers_on_the_leader),
    TEST_CASE(node, a_follower_refuses_proposals),
    TEST_CASE(node, a_restarted_node_recovers_from_its_data_dir),
    TEST_CASE(node, a_data_dir_of_another_node_is_refused),
    TEST_CASE(node, no_log_and_no_members_is_not_found),
    TEST_CASE(node, a_taken_listen_address_is_refused),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(node))
