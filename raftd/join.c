/* raftd --join: learning the cluster's current members from the seeds that
 * --initial-cluster lists, through their HTTP API. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "join.h"
#include "raft/client.h"
#include "raft/log.h"

/* The client URL of a raftd member address ("PEER http://CLIENT"), or
 * NULL. */
static const char *client_url_of(const char *address)
{
	const char *space = strchr(address, ' ');
	if (space == NULL) {
		return NULL;
	}
	while (*space == ' ') {
		space++;
	}
	return *space != '\0' ? space : NULL;
}

/* Asks the seeds for the member list. Returns 0 with *out filled, or an
 * error after logging why. */
static int ask_seeds(const struct raft_configuration *members, raft_id self,
		     unsigned timeout_ms, struct raft_client_members *out)
{
	struct raft_client_config config;
	struct raft_client *c = NULL;
	const char **endpoints;
	char errmsg[512];
	unsigned n = 0;
	int rv;

	endpoints = calloc(members->n > 0 ? members->n : 1, sizeof(*endpoints));
	if (endpoints == NULL) {
		raft_log(RAFT_LOG_WARN, "join: out of memory asking the seeds");
		return RAFT_ENOMEM;
	}
	for (unsigned i = 0; i < members->n; i++) {
		const char *url = client_url_of(members->servers[i].address);
		if (members->servers[i].id != self && url != NULL) {
			endpoints[n++] = url;
		}
	}
	if (n == 0) {
		free(endpoints);
		return RAFT_ENOTFOUND;
	}
	raft_client_config_defaults(&config);
	config.endpoints = endpoints;
	config.n_endpoints = n;
	config.timeout_ms = timeout_ms;
	config.connect_timeout_ms = timeout_ms / 4 > 0 ? timeout_ms / 4 : 1;
	config.keep_alive = false;
	rv = raft_client_new(&config, &c, errmsg, sizeof(errmsg));
	if (rv != 0) {
		raft_log(RAFT_LOG_WARN, "join: cannot ask the seeds: %s",
			 errmsg);
		free(endpoints);
		return rv;
	}
	rv = raft_client_member_list(c, out);
	if (rv != 0) {
		raft_log(RAFT_LOG_WARN,
			 "join: no member of --initial-cluster told the "
			 "current members (%s); answering only those it lists "
			 "until the configuration arrives",
			 raft_client_errmsg(c));
	} else {
		raft_log(RAFT_LOG_INFO,
			 "join: %s told the current members (%u)",
			 raft_client_last_url(c), out->n_members);
	}
	raft_client_free(c);
	free(endpoints);
	return rv;
}

void join_learn_members(struct raft_configuration *members, raft_id self,
			unsigned timeout_ms)
{
	struct raft_client_members list = {0, NULL};
	struct raft_configuration next;
	char address[RAFT_ADDRESS_MAX_LEN + 1];
	int rv;

	if (ask_seeds(members, self, timeout_ms, &list) != 0) {
		return;
	}
	/* The cluster's view first, then the listed members it does not
	 * know (this member among them). */
	raft_configuration_init(&next);
	rv = 0;
	for (unsigned i = 0; rv == 0 && i < list.n_members; i++) {
		const struct raft_client_member *m = &list.members[i];
		if (m->id == self || m->peer_url[0] == '\0') {
			continue;
		}
		snprintf(address, sizeof(address), "%s %s", m->peer_url,
			 m->client_url);
		rv = raft_configuration_add(&next, m->id, address,
					    m->voter ? RAFT_VOTER
						     : RAFT_LEARNER);
		if (rv == 0 && raft_configuration_get(members, m->id) == NULL) {
			raft_log(RAFT_LOG_INFO,
				 "join: member %llu at %s is not in "
				 "--initial-cluster; answering it too",
				 (unsigned long long)m->id, address);
		}
	}
	for (unsigned i = 0; rv == 0 && i < members->n; i++) {
		const struct raft_server *s = &members->servers[i];
		if (raft_configuration_get(&next, s->id) == NULL) {
			rv = raft_configuration_add(&next, s->id, s->address,
						    s->role);
		}
	}
	raft_client_members_close(&list);
	if (rv != 0) {
		/* A member list the node would refuse: keep the flag's. */
		raft_log(RAFT_LOG_WARN,
			 "join: the current member list is unusable (%s); "
			 "answering only the members --initial-cluster lists",
			 raft_strerror(rv));
		raft_configuration_close(&next);
		return;
	}
	raft_configuration_close(members);
	*members = next;
}
