/* sim: the command line of the deterministic cluster simulator. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chaos.h"
#include "raft/error.h"
#include "scenario.h"

static const char usage[] =
    "usage: sim [--seed N] [--seeds A-B | --count K] [--nodes 3|5]\n"
    "           [--ticks T] [--trace] [--fail-fast] [--no-commit-rule]\n"
    "           [--no-membership] [--scenario NAME] [--list]\n"
    "\n"
    "Runs real Raft cores on a simulated network and disk, every fault\n"
    "chosen by the seed, checking Raft's invariants after every step.\n"
    "\n"
    "  --seed N          run seed N (default 1)\n"
    "  --seeds A-B       run seeds A to B\n"
    "  --count K         run K seeds starting at --seed\n"
    "  --nodes 3|5       initial cluster size (default: the seed chooses)\n"
    "  --ticks T         length of the chaos phase (default 300)\n"
    "  --trace           print a transcript of the run on stdout\n"
    "  --fail-fast       stop at the first failing seed\n"
    "  --no-commit-rule  do not check the leader commit rule directly\n"
    "                    (safety must then be caught by its effects)\n"
    "  --no-membership   no membership changes in random runs\n"
    "  --scenario NAME   run a named scenario (with the seeds given)\n"
    "  --list            list the scenarios\n"
    "\n"
    "Exit status: 0 all passed, 1 a seed failed, 2 usage error.\n";

/* What the SIGABRT handler prints: the core's assertions and the
 * sanitizers (with abort_on_error=1) abort, and the seed must still be
 * named. Formatted before each seed, written with write(2) only. */
static char abort_note[512];

static void on_abort(int sig)
{
	size_t len = strlen(abort_note);
	if (len > 0 && write(STDERR_FILENO, abort_note, len) < 0) {
		/* Nothing more can be done inside a signal handler. */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void usage_error(const char *what, const char *why)
{
	fprintf(stderr, "sim: %s: %s (see sim --help)\n", what, why);
	exit(2);
}

static uint64_t parse_u64(const char *flag, const char *s, uint64_t min,
			  uint64_t max)
{
	char *end;
	errno = 0;
	if (s == NULL || *s == '\0' || *s == '-') {
		usage_error(flag, "a number is required");
	}
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		char why[128];
		snprintf(why, sizeof why,
			 "'%s' is not a number in %" PRIu64 "..%" PRIu64, s,
			 min, max);
		usage_error(flag, why);
	}
	return (uint64_t)v;
}

struct args {
	uint64_t first;
	uint64_t count;
	unsigned nodes;
	unsigned ticks;
	bool trace;
	bool fail_fast;
	bool no_commit_rule;
	bool no_membership;
	const char *scenario;
	bool list;
	const char *prog;
};

static void parse_args(int argc, char **argv, struct args *a)
{
	bool have_seed = false, have_range = false, have_count = false;

	memset(a, 0, sizeof *a);
	a->first = 1;
	a->count = 1;
	a->prog = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(arg, "--seed") == 0) {
			a->first = parse_u64(arg, val, 0, UINT64_MAX - 1);
			have_seed = true;
			i++;
		} else if (strcmp(arg, "--seeds") == 0) {
			char lo[32], *dash;
			if (val == NULL || strlen(val) >= sizeof lo ||
			    (dash = strchr(val, '-')) == NULL) {
				usage_error(arg, "expected A-B");
			}
			memcpy(lo, val, (size_t)(dash - val));
			lo[dash - val] = '\0';
			a->first = parse_u64(arg, lo, 0, UINT64_MAX - 1);
			uint64_t last =
			    parse_u64(arg, dash + 1, 0, UINT64_MAX - 1);
			if (last < a->first) {
				usage_error(arg, "the range ends before it "
						 "starts");
			}
			a->count = last - a->first + 1;
			have_range = true;
			i++;
		} else if (strcmp(arg, "--count") == 0) {
			a->count = parse_u64(arg, val, 1, UINT64_MAX / 2);
			have_count = true;
			i++;
		} else if (strcmp(arg, "--nodes") == 0) {
			a->nodes = (unsigned)parse_u64(arg, val, 3, 5);
			if (a->nodes == 4) {
				usage_error(arg, "'4': only 3 or 5");
			}
			i++;
		} else if (strcmp(arg, "--ticks") == 0) {
			a->ticks = (unsigned)parse_u64(arg, val, 1, 100000000);
			i++;
		} else if (strcmp(arg, "--trace") == 0) {
			a->trace = true;
		} else if (strcmp(arg, "--fail-fast") == 0) {
			a->fail_fast = true;
		} else if (strcmp(arg, "--no-commit-rule") == 0) {
			a->no_commit_rule = true;
		} else if (strcmp(arg, "--no-membership") == 0) {
			a->no_membership = true;
		} else if (strcmp(arg, "--scenario") == 0) {
			if (val == NULL) {
				usage_error(arg, "a scenario name is required");
			}
			a->scenario = val;
			i++;
		} else if (strcmp(arg, "--list") == 0) {
			a->list = true;
		} else if (strcmp(arg, "--help") == 0 ||
			   strcmp(arg, "-h") == 0) {
			fputs(usage, stdout);
			exit(0);
		} else {
			usage_error(arg, "unknown option");
		}
	}
	if (have_range && (have_seed || have_count)) {
		usage_error("--seeds", "cannot be combined with --seed or "
				       "--count");
	}
}

/* The command line that replays one seed, for failure messages. */
static void replay_line(const struct args *a, uint64_t seed, char *buf,
			size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "%s", a->prog);
	if (a->scenario != NULL) {
		used += (size_t)snprintf(buf + used, len - used,
					 " --scenario %s", a->scenario);
	}
	used +=
	    (size_t)snprintf(buf + used, len - used, " --seed %" PRIu64, seed);
	if (a->nodes != 0 && a->scenario == NULL) {
		used += (size_t)snprintf(buf + used, len - used, " --nodes %u",
					 a->nodes);
	}
	if (a->ticks != 0 && a->scenario == NULL) {
		used += (size_t)snprintf(buf + used, len - used, " --ticks %u",
					 a->ticks);
	}
	if (a->no_commit_rule) {
		used += (size_t)snprintf(buf + used, len - used,
					 " --no-commit-rule");
	}
	if (a->no_membership && a->scenario == NULL) {
		used += (size_t)snprintf(buf + used, len - used,
					 " --no-membership");
	}
	snprintf(buf + used, len - used, " --trace");
}

static void report_failure(const struct args *a, uint64_t seed, uint64_t step,
			   const char *why)
{
	char replay[512];
	replay_line(a, seed, replay, sizeof replay);
	fflush(stdout);
	fprintf(stderr,
		"FAIL seed=%" PRIu64 ": t=%" PRIu64 ".%u: %s\n  replay: %s\n",
		seed, step / 10, (unsigned)(step % 10), why, replay);
	fflush(stderr);
}

static void arm_abort_note(const struct args *a, uint64_t seed)
{
	char replay[400];
	replay_line(a, seed, replay, sizeof replay);
	snprintf(abort_note, sizeof abort_note,
		 "FAIL seed=%" PRIu64 ": aborted (a core assertion or a "
		 "sanitizer report above)\n  replay: %s\n",
		 seed, replay);
}

static int run_scenarios(const struct args *a)
{
	uint64_t passed = 0, failed = 0;

	for (uint64_t k = 0; k < a->count; k++) {
		uint64_t seed = a->first + k;
		struct scenario_options o = {
		    .seed = seed,
		    .trace = a->trace ? stdout : NULL,
		    .no_commit_rule = a->no_commit_rule,
		};
		struct scenario_result r;
		arm_abort_note(a, seed);
		if (!scenario_run(a->scenario, &o, &r)) {
			usage_error(a->scenario,
				    "no such scenario (see --list)");
		}
		if (r.ok) {
			passed++;
			if (a->count == 1) {
				printf("sim: scenario %s seed %" PRIu64
				       " passed%s%s\n",
				       a->scenario, seed, r.info[0] ? ": " : "",
				       r.info);
			}
		} else {
			failed++;
			report_failure(a, seed, r.failed_at, r.why);
			if (a->fail_fast) {
				break;
			}
		}
	}
	abort_note[0] = '\0';
	printf("sim: scenario %s: %" PRIu64 " seeds passed, %" PRIu64
	       " failed\n",
	       a->scenario, passed, failed);
	return failed > 0 ? 1 : 0;
}

static void add_membership(struct chaos_membership *sum,
			   const struct chaos_membership *m)
{
	for (unsigned k = 0; k < CHAOS_N_CHANGES; k++) {
		sum->asked[k] += m->asked[k];
		sum->accepted[k] += m->accepted[k];
		sum->committed[k] += m->committed[k];
	}
	for (unsigned k = 0; k < CHAOS_N_CODES; k++) {
		sum->refused[k] += m->refused[k];
	}
	sum->transfers_asked += m->transfers_asked;
	sum->transfers_started += m->transfers_started;
	sum->nodes_added += m->nodes_added;
	sum->exiled += m->exiled;
}

/* The membership summary: changes by kind (asked/accepted/committed),
 * transfers, and the refusals by code. */
static void print_membership(const struct chaos_membership *m)
{
	static const char *const names[CHAOS_N_CHANGES] = {
	    "add", "promote", "remove", "the leader itself", "replace"};
	char counts[CHAOS_N_CHANGES][64];
	char refused[512] = "";
	size_t used = 0;

	for (unsigned k = 0; k < CHAOS_N_CHANGES; k++) {
		snprintf(counts[k], sizeof counts[k],
			 "%s %" PRIu64 "/%" PRIu64 "/%" PRIu64, names[k],
			 m->asked[k], m->accepted[k], m->committed[k]);
	}
	for (unsigned k = 1; k < CHAOS_N_CODES && used < sizeof refused; k++) {
		if (m->refused[k] > 0) {
			used += (size_t)snprintf(
			    refused + used, sizeof refused - used,
			    "%s%s %" PRIu64, used > 0 ? ", " : "",
			    raft_err_name(-(int)k), m->refused[k]);
		}
	}
	printf("sim: membership changes (asked/accepted/committed): %s, %s, "
	       "%s (%s), %s; %" PRIu64 " nodes added, %" PRIu64
	       " removed ones exiled\n",
	       counts[CHAOS_ADD], counts[CHAOS_PROMOTE], counts[CHAOS_REMOVE],
	       counts[CHAOS_REMOVE_LEADER], counts[CHAOS_REPLACE],
	       m->nodes_added, m->exiled);
	printf("sim: leadership transfers: %" PRIu64 " asked, %" PRIu64
	       " started; refusals of changes and transfers: %s\n",
	       m->transfers_asked, m->transfers_started,
	       used > 0 ? refused : "none");
}

static int run_chaos(const struct args *a)
{
	uint64_t passed = 0, failed = 0, by_size[6] = {0};
	unsigned worst_recovery = 0, worst_election[2] = {0, 0};
	uint64_t worst_seed = 0, committed = 0, reads = 0;
	uint64_t lease = 0, wait_free = 0, follower = 0;
	uint64_t taken = 0, sent = 0, lost = 0, installs = 0, restarts = 0;
	uint64_t margin = 0, deposed = 0;
	uint64_t worst_election_seed[2] = {0, 0};
	struct chaos_membership ms;

	memset(&ms, 0, sizeof ms);

	for (uint64_t k = 0; k < a->count; k++) {
		uint64_t seed = a->first + k;
		struct chaos_options o = {
		    .seed = seed,
		    .n_nodes = a->nodes,
		    .ticks = a->ticks,
		    .trace = a->trace ? stdout : NULL,
		    .no_commit_rule = a->no_commit_rule,
		    .no_membership = a->no_membership,
		};
		struct chaos_result r;
		arm_abort_note(a, seed);
		chaos_run(&o, &r);
		if (r.ok) {
			passed++;
			by_size[r.n_nodes < 6 ? r.n_nodes : 0]++;
			committed += r.committed;
			reads += r.reads_ok;
			lease += r.lease_reads;
			wait_free += r.wait_free_reads;
			follower += r.follower_reads;
			taken += r.snapshots_taken;
			sent += r.snap_sent;
			lost += r.snap_lost;
			installs += r.installs;
			restarts += r.snapshot_restarts;
			margin += r.margin_restarts;
			deposed += r.snap_deposed;
			add_membership(&ms, &r.membership);
			if (r.election_ticks > worst_election[r.pre_vote]) {
				worst_election[r.pre_vote] = r.election_ticks;
				worst_election_seed[r.pre_vote] = seed;
			}
			if (r.recovery_ticks > worst_recovery) {
				worst_recovery = r.recovery_ticks;
				worst_seed = seed;
			}
		} else {
			failed++;
			report_failure(a, seed, r.failed_at, r.why);
			if (a->fail_fast) {
				break;
			}
		}
	}
	abort_note[0] = '\0';
	printf("sim: %" PRIu64 " seeds passed (3 nodes: %" PRIu64
	       ", 5 nodes: %" PRIu64 "), %" PRIu64 " failed\n",
	       passed, by_size[3], by_size[5], failed);
	if (passed > 0) {
		printf("sim: %" PRIu64 " entries committed, %" PRIu64
		       " reads served; slowest recovery after heal: %u ticks "
		       "(seed %" PRIu64 ")\n",
		       committed, reads, worst_recovery, worst_seed);
		printf("sim: of the reads, %" PRIu64 " by lease (%" PRIu64
		       " also read wait-free), %" PRIu64 " follower reads "
		       "asked\n",
		       lease, wait_free, follower);
		printf("sim: slowest election after heal: %u ticks with "
		       "pre-vote (seed %" PRIu64 ", bound %u), %u without "
		       "(seed %" PRIu64 ", bound %u)\n",
		       worst_election[1], worst_election_seed[1],
		       CHAOS_ELECTION_TICKS, worst_election[0],
		       worst_election_seed[0], CHAOS_ELECTION_TICKS_NO_PREVOTE);
		printf("sim: %" PRIu64 " snapshots taken, %" PRIu64
		       " streamed (%" PRIu64 " lost, %" PRIu64
		       " ended after a leader change), %" PRIu64
		       " installed; %" PRIu64
		       " restarts from a snapshot (%" PRIu64
		       " with a log kept before it)\n",
		       taken, sent, lost, deposed, installs, restarts, margin);
		print_membership(&ms);
	}
	return failed > 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct args a;

	parse_args(argc, argv, &a);
	if (a.list) {
		for (unsigned i = 0; i < scenario_count(); i++) {
			printf("%-24s %s\n", scenario_name(i),
			       scenario_summary(i));
		}
		return 0;
	}
	signal(SIGABRT, on_abort);
	int rc = a.scenario != NULL ? run_scenarios(&a) : run_chaos(&a);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "sim: writing stdout: %s\n", strerror(errno));
		return 1;
	}
	return rc;
}
