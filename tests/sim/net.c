/* The simulated network: messages in flight, link cuts, drops, delays. */
#include "net.h"

#include <stdlib.h>
#include <string.h>

#include "entry.h"

void net_faults_none(struct net_faults *f, unsigned steps_per_tick)
{
	memset(f, 0, sizeof *f);
	f->delay_min = 1;
	f->delay_max = steps_per_tick;
	f->long_delay_max = steps_per_tick;
	f->fifo = false;
}

void net_init(struct net *net, unsigned n_nodes, unsigned steps_per_tick)
{
	memset(net, 0, sizeof *net);
	net->n_nodes = n_nodes;
	net_faults_none(&net->faults, steps_per_tick);
}

void net_close(struct net *net)
{
	for (size_t i = 0; i < net->n; i++) {
		message_close(&net->heap[i].msg);
	}
	free(net->heap);
	net->heap = NULL;
	net->n = net->cap = 0;
}

static bool env_before(const struct envelope *a, const struct envelope *b)
{
	if (a->deliver_at != b->deliver_at) {
		return a->deliver_at < b->deliver_at;
	}
	return a->seq < b->seq;
}

static void heap_push(struct net *net, const struct envelope *env)
{
	if (net->n == net->cap) {
		net->cap = net->cap ? net->cap * 2 : 64;
		net->heap =
		    sim_realloc(net->heap, net->cap * sizeof *net->heap);
	}
	size_t i = net->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!env_before(env, &net->heap[parent])) {
			break;
		}
		net->heap[i] = net->heap[parent];
		i = parent;
	}
	net->heap[i] = *env;
}

static void heap_pop(struct net *net, struct envelope *out)
{
	*out = net->heap[0];
	struct envelope last = net->heap[--net->n];
	size_t i = 0;
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= net->n) {
			break;
		}
		if (child + 1 < net->n &&
		    env_before(&net->heap[child + 1], &net->heap[child])) {
			child++;
		}
		if (!env_before(&net->heap[child], &last)) {
			break;
		}
		net->heap[i] = net->heap[child];
		i = child;
	}
	if (net->n > 0) {
		net->heap[i] = last;
	}
}

static uint64_t pick_delay(struct net *net, struct rng *rng, unsigned to)
{
	const struct net_faults *f = &net->faults;
	uint64_t delay;
	if (f->long_delay_ppm > 0 && rng_ppm(rng, f->long_delay_ppm)) {
		delay = rng_range(rng, f->delay_min,
				  f->long_delay_max > f->delay_min
				      ? f->long_delay_max
				      : f->delay_min);
	} else {
		delay = rng_range(rng, f->delay_min, f->delay_max);
	}
	return delay + net->extra_delay[to];
}

static void enqueue(struct net *net, struct rng *rng, uint64_t now,
		    struct raft_message *msg, unsigned to_incarnation,
		    bool duplicate)
{
	struct envelope env;
	unsigned from = (unsigned)msg->from;
	unsigned to = (unsigned)msg->to;

	env.deliver_at = now + pick_delay(net, rng, to);
	if (net->faults.fifo) {
		/* Same step as the previous message is fine: seq keeps the
		 * two in send order. */
		if (env.deliver_at < net->link_last[from][to]) {
			env.deliver_at = net->link_last[from][to];
		}
		net->link_last[from][to] = env.deliver_at;
	}
	env.seq = net->next_seq++;
	env.to_incarnation = to_incarnation;
	env.duplicate = duplicate;
	env.msg = *msg;
	heap_push(net, &env);
}

unsigned net_send(struct net *net, struct rng *rng, uint64_t now,
		  struct raft_message *msg, unsigned to_incarnation)
{
	const struct net_faults *f = &net->faults;

	net->n_sent++;
	if (f->drop_ppm > 0 && rng_ppm(rng, f->drop_ppm)) {
		net->n_lost++;
		message_close(msg);
		return 0;
	}
	if (f->dup_ppm > 0 && rng_ppm(rng, f->dup_ppm)) {
		struct raft_message copy;
		message_copy(&copy, msg);
		net->n_duplicated++;
		enqueue(net, rng, now, msg, to_incarnation, false);
		enqueue(net, rng, now, &copy, to_incarnation, true);
		return 2;
	}
	enqueue(net, rng, now, msg, to_incarnation, false);
	return 1;
}

bool net_pop_due(struct net *net, uint64_t now, struct envelope *out)
{
	if (net->n == 0 || net->heap[0].deliver_at > now) {
		return false;
	}
	heap_pop(net, out);
	return true;
}

void net_set_cut(struct net *net, unsigned from, unsigned to, bool cut)
{
	net->cut[from][to] = cut;
}

void net_set_cut_both(struct net *net, unsigned a, unsigned b, bool cut)
{
	net->cut[a][b] = cut;
	net->cut[b][a] = cut;
}

bool net_is_cut(const struct net *net, unsigned from, unsigned to)
{
	return net->cut[from][to] || net->exiled[from] || net->exiled[to];
}

void net_connect_all(struct net *net)
{
	memset(net->cut, 0, sizeof net->cut);
}
