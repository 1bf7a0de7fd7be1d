/* raftd's options: command-line flags and the key = value config file. */
#ifndef RAFT_RAFTD_OPTIONS_H
#define RAFT_RAFTD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/core.h"

/* Exit statuses (raftd(8) lists them). */
#define RAFTD_EXIT_OK	   0
#define RAFTD_EXIT_FAILURE 1
#define RAFTD_EXIT_USAGE   2

/* Longest host:port we accept (an IPv6 literal in brackets and a port). */
#define OPTIONS_ADDR_MAX 262

struct raftd_options {
	raft_id id;		 /* 0: take it from the data dir */
	char *data_dir;		 /* required */
	char *listen_peer;	 /* HOST:PORT, required */
	char *listen_client;	 /* HOST:PORT, required */
	char *initial_cluster;	 /* ID=PEER/CLIENT,...; NULL if not given */
	bool join;		 /* a new member joins an existing cluster */
	char *cluster;		 /* cluster name, default "raft" */
	bool cluster_given;	 /* --cluster or cluster = was given */
	char *config_path;	 /* --config, or NULL */
	unsigned tick_ms;	 /* default 100 */
	unsigned election_ticks; /* default 10 */
	size_t max_value_bytes;	 /* default 1 MiB */
	unsigned request_timeout_ms; /* default 5000 */
	int log_level;		     /* enum raft_log_level, default info */
	/* Snapshots (struct raft_node_config has the meaning): */
	uint64_t snapshot_entries;  /* default 10000; 0: no such trigger */
	uint64_t snapshot_bytes;    /* default 64 MiB; 0: no such trigger */
	uint64_t snapshot_trailing; /* default 1000 */
	unsigned snapshot_keep;	    /* default 2 */
	bool enable_failpoints;	    /* serve /v1/debug/faults (tests only) */
};

/* What options_parse() decided. */
enum options_result {
	OPTIONS_RUN = 0,  /* options are valid: run the daemon */
	OPTIONS_DONE = 1, /* --help or --version was printed: exit 0 */
};

/* Parses argv, then the config file named by --config (flags win over the
 * file), and checks that the required options are there. Returns an enum
 * options_result, or RAFT_EINVAL with errmsg set to one line without the
 * program name ("--tick-ms: \"abc\" is not a number", "FILE:LINE: key:
 * why"), RAFT_ENOMEM. On success o owns copies of its strings; release them
 * with options_close(), also after an error. */
int options_parse(int argc, char **argv, struct raftd_options *o, char *errmsg,
		  size_t errmsg_len);

void options_close(struct raftd_options *o);

/* Parses an --initial-cluster value into conf (initialized, empty): each
 * member's address becomes "PEER_ADDR http://CLIENT_ADDR". Errors:
 * RAFT_EINVAL with errmsg saying which member and why, RAFT_ENOMEM. */
int options_parse_cluster(const char *spec, struct raft_configuration *conf,
			  char *errmsg, size_t errmsg_len);

/* Splits "HOST:PORT" (IPv6 as "[ADDR]:PORT") into host (without brackets)
 * and port 1..65535. Errors: RAFT_EINVAL with errmsg saying why. */
int options_split_address(const char *addr, char *host, size_t host_len,
			  unsigned *port, char *errmsg, size_t errmsg_len);

/* FNV-1a 64 of the cluster name: the cluster id on the wire and on disk. */
uint64_t options_cluster_id(const char *name);

#endif /* RAFT_RAFTD_OPTIONS_H */
