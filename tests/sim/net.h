/* The simulated network: messages in flight, link cuts, drops, delays. */
#ifndef RAFT_SIM_NET_H
#define RAFT_SIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/core.h"
#include "rng.h"

/* Most nodes a run has, those added by membership changes included; ids
 * are 1..n and never reused. */
#define SIM_MAX_NODES 7

/* A message in flight. It owns its deep copy of the message. */
struct envelope {
	uint64_t deliver_at; /* the step at which it arrives */
	uint64_t seq;	     /* send order: breaks ties, so order is total */
	unsigned to_incarnation; /* lost if the receiver restarted since */
	bool duplicate;
	struct raft_message msg;
};

/* How the network misbehaves; all delays are in steps. */
struct net_faults {
	unsigned drop_ppm;  /* a message is lost */
	unsigned dup_ppm;   /* a message arrives twice */
	unsigned delay_min; /* usual delay range */
	unsigned delay_max;
	unsigned long_delay_ppm; /* a message takes up to long_delay_max */
	unsigned long_delay_max;
	bool fifo; /* each link keeps send order (like TCP) */
};

struct net {
	unsigned n_nodes;
	struct envelope *heap; /* min-heap on (deliver_at, seq) */
	size_t n, cap;
	uint64_t next_seq;
	/* cut[from][to]: `to` does not hear `from`. Checked on delivery, so
	 * a cut also loses what was already on the wire. */
	bool cut[SIM_MAX_NODES + 1][SIM_MAX_NODES + 1];
	/* Last delivery step per link, to keep FIFO order. */
	uint64_t link_last[SIM_MAX_NODES + 1][SIM_MAX_NODES + 1];
	/* Nodes cut from everyone for good, whatever cut says. */
	bool exiled[SIM_MAX_NODES + 1];
	/* Extra delay of messages to a node (a slow node). */
	unsigned extra_delay[SIM_MAX_NODES + 1];
	struct net_faults faults;
	/* Statistics. */
	uint64_t n_sent, n_lost, n_duplicated;
};

/* The usual good network: no loss, delays of 1..steps_per_tick steps. */
void net_faults_none(struct net_faults *f, unsigned steps_per_tick);

void net_init(struct net *net, unsigned n_nodes, unsigned steps_per_tick);

/* Frees every message still in flight. */
void net_close(struct net *net);

/* Puts a message (its deep copy is transferred) on the wire, sent at step
 * now. Returns how many copies travel: 0 (lost), 1 or 2 (duplicated). */
unsigned net_send(struct net *net, struct rng *rng, uint64_t now,
		  struct raft_message *msg, unsigned to_incarnation);

/* Takes the next message due at or before now into *out (the caller then
 * owns out->msg). Returns false when none is due. */
bool net_pop_due(struct net *net, uint64_t now, struct envelope *out);

/* Cuts or restores one direction: `to` stops or starts hearing `from`. */
void net_set_cut(struct net *net, unsigned from, unsigned to, bool cut);

/* Cuts or restores both directions between a and b. */
void net_set_cut_both(struct net *net, unsigned a, unsigned b, bool cut);

/* Whether `to` cannot hear `from` (a cut, or one of them exiled). */
bool net_is_cut(const struct net *net, unsigned from, unsigned to);

/* Restores every link (but those of exiled nodes). */
void net_connect_all(struct net *net);

#endif /* RAFT_SIM_NET_H */
