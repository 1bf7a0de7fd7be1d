/* Peer connections over TCP on a libevent loop.
 *
 * Each node dials every peer it sends to and writes frames on that
 * connection only; what it receives comes on connections the peers dialed.
 * A connection that fails is closed and dialed again after a backoff
 * (50 ms doubling to 2 s); meanwhile messages to that peer are dropped. A
 * frame that does not decode closes the connection it came on, nothing
 * else. */
#include "transport/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "raft/log.h"
#include "raft/transport.h"
#include "util/heap.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000
/* Beyond this many unsent bytes to one peer, new messages are dropped: the
 * peer is too slow and Raft will resend what matters. */
#define MAX_PENDING_BYTES (256u * 1024 * 1024)

struct peer {
	raft_id id;
	char *address;
	struct sockaddr_storage ss;
	int ss_len;
	struct bufferevent *bev; /* NULL when not connected */
	bool connected;
	unsigned backoff_ms;
	struct event *retry; /* pending while backing off */
	struct tcp_transport *t;
};

struct inbound {
	struct bufferevent *bev;
	struct tcp_transport *t;
	struct inbound *next;
	char name[64];
};

struct tcp_transport {
	struct event_base *base;
	struct evconnlistener *listener;
	uint64_t cluster_id;
	raft_id self;
	size_t max_frame;
	tcp_recv_cb cb;
	void *arg;
	struct peer **peers; /* each allocated alone: callbacks point at it */
	unsigned n_peers;
	struct inbound *inbound;
	char address[128];
};

int tcp_parse_address(const char *address, struct sockaddr_storage *ss,
		      int *ss_len)
{
	char host[256];
	const char *colon = strrchr(address, ':');
	struct addrinfo hints, *res;
	char *end;
	unsigned long port;
	size_t hlen;
	if (colon == NULL || colon == address) {
		return RAFT_EINVAL;
	}
	hlen = (size_t)(colon - address);
	if (hlen >= sizeof(host)) {
		return RAFT_EINVAL;
	}
	memcpy(host, address, hlen);
	host[hlen] = '\0';
	/* "[::1]:7001" */
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port == 0 ||
	    port > 65535) {
		return RAFT_EINVAL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) {
		return RAFT_EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*ss_len = (int)res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET) {
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	} else if (ss->ss_family == AF_INET6) {
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	} else {
		return RAFT_EINVAL;
	}
	return 0;
}

static void format_address(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(buf, len, "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof(host));
		port = ntohs(in->sin6_port);
		snprintf(buf, len, "[%s]:%u", host, port);
	} else {
		snprintf(buf, len, "?");
	}
}

/* ------------------------------------------------------------------------
 * Inbound connections: decode frames, hand messages up
 * ------------------------------------------------------------------------ */

static void inbound_close(struct inbound *in)
{
	struct inbound **p;
	for (p = &in->t->inbound; *p != NULL; p = &(*p)->next) {
		if (*p == in) {
			*p = in->next;
			break;
		}
	}
	bufferevent_free(in->bev);
	raft_free(in);
}

static void inbound_read(struct bufferevent *bev, void *arg)
{
	struct inbound *in = arg;
	struct tcp_transport *t = in->t;
	struct evbuffer *input = bufferevent_get_input(bev);
	char errmsg[256];
	for (;;) {
		size_t avail = evbuffer_get_length(input), frame_len;
		unsigned char header[RAFT_WIRE_HEADER_LEN];
		struct raft_message m;
		unsigned char *frame;
		int rv;
		if (avail < RAFT_WIRE_HEADER_LEN) {
			return;
		}
		evbuffer_copyout(input, header, sizeof(header));
		rv = raft_wire_frame_len(header, sizeof(header), t->max_frame,
					 &frame_len, errmsg, sizeof(errmsg));
		if (rv != 0) {
			goto bad;
		}
		if (avail < frame_len) {
			return;
		}
		frame = evbuffer_pullup(input, (ev_ssize_t)frame_len);
		if (frame == NULL) {
			snprintf(errmsg, sizeof(errmsg), "out of memory");
			goto bad;
		}
		rv = raft_wire_decode(frame, frame_len, t->cluster_id, &m,
				      errmsg, sizeof(errmsg));
		if (rv != 0) {
			goto bad;
		}
		if (m.to != t->self) {
			snprintf(errmsg, sizeof(errmsg),
				 "frame for node %llu, this is node %llu",
				 (unsigned long long)m.to,
				 (unsigned long long)t->self);
			raft_wire_message_release(&m);
			goto bad;
		}
		t->cb(t->arg, &m);
		raft_wire_message_release(&m);
		evbuffer_drain(input, frame_len);
	}
bad:
	raft_log(RAFT_LOG_WARN, "peer connection from %s: %s: closing it",
		 in->name, errmsg);
	inbound_close(in);
}

static void inbound_event(struct bufferevent *bev, short events, void *arg)
{
	struct inbound *in = arg;
	(void)bev;
	if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		inbound_close(in);
	}
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int socklen, void *arg)
{
	struct tcp_transport *t = arg;
	struct inbound *in;
	int one = 1;
	(void)l;
	(void)socklen;
	in = raft_calloc(1, sizeof(*in));
	if (in == NULL) {
		evutil_closesocket(fd);
		return;
	}
	in->bev = bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (in->bev == NULL) {
		evutil_closesocket(fd);
		raft_free(in);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	in->t = t;
	format_address(sa, in->name, sizeof(in->name));
	in->next = t->inbound;
	t->inbound = in;
	bufferevent_setcb(in->bev, inbound_read, NULL, inbound_event, in);
	bufferevent_enable(in->bev, EV_READ);
}

/* ------------------------------------------------------------------------
 * Outbound connections
 * ------------------------------------------------------------------------ */

static void peer_disconnect(struct peer *p)
{
	if (p->bev != NULL) {
		bufferevent_free(p->bev);
		p->bev = NULL;
	}
	p->connected = false;
}

static void peer_backoff(struct peer *p)
{
	struct timeval tv;
	peer_disconnect(p);
	tv.tv_sec = p->backoff_ms / 1000;
	tv.tv_usec = (p->backoff_ms % 1000) * 1000;
	evtimer_add(p->retry, &tv);
	p->backoff_ms *= 2;
	if (p->backoff_ms > BACKOFF_MAX_MS) {
		p->backoff_ms = BACKOFF_MAX_MS;
	}
}

static void peer_event(struct bufferevent *bev, short events, void *arg)
{
	struct peer *p = arg;
	(void)bev;
	if (events & BEV_EVENT_CONNECTED) {
		int one = 1;
		evutil_socket_t fd = bufferevent_getfd(p->bev);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (!p->connected) {
			raft_log(RAFT_LOG_INFO, "connected to peer %llu at %s",
				 (unsigned long long)p->id, p->address);
		}
		p->connected = true;
		p->backoff_ms = BACKOFF_MIN_MS;
		return;
	}
	if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (p->connected) {
			raft_log(RAFT_LOG_INFO,
				 "connection to peer %llu at %s lost",
				 (unsigned long long)p->id, p->address);
		}
		peer_backoff(p);
	}
}

static void peer_read(struct bufferevent *bev, void *arg)
{
	/* Peers never write on connections we dialed: discard. */
	(void)arg;
	evbuffer_drain(bufferevent_get_input(bev),
		       evbuffer_get_length(bufferevent_get_input(bev)));
}

/* Dials the peer unless connected, connecting or backing off. Returns
 * whether a connection (maybe still in progress) exists. */
static bool peer_dial(struct peer *p)
{
	if (p->bev != NULL) {
		return true;
	}
	if (evtimer_pending(p->retry, NULL)) {
		return false;
	}
	p->bev = bufferevent_socket_new(p->t->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (p->bev == NULL) {
		peer_backoff(p);
		return false;
	}
	bufferevent_setcb(p->bev, peer_read, NULL, peer_event, p);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(p->bev, (struct sockaddr *)&p->ss,
				       p->ss_len) != 0) {
		peer_backoff(p);
		return false;
	}
	return p->bev != NULL;
}

static void peer_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	peer_dial(arg);
}

static struct peer *find_peer(struct tcp_transport *t, raft_id id)
{
	unsigned i;
	for (i = 0; i < t->n_peers; i++) {
		if (t->peers[i]->id == id) {
			return t->peers[i];
		}
	}
	return NULL;
}

int tcp_transport_set_peer(struct tcp_transport *t, raft_id id,
			   const char *address)
{
	struct sockaddr_storage ss;
	struct peer *p, **peers;
	char *copy;
	int ss_len, rv;
	rv = tcp_parse_address(address, &ss, &ss_len);
	if (rv != 0) {
		return rv;
	}
	p = find_peer(t, id);
	if (p != NULL && strcmp(p->address, address) == 0) {
		return 0;
	}
	copy = raft_malloc(strlen(address) + 1);
	if (copy == NULL) {
		return RAFT_ENOMEM;
	}
	strcpy(copy, address);
	if (p == NULL) {
		peers =
		    raft_realloc(t->peers, (t->n_peers + 1) * sizeof(*peers));
		if (peers == NULL) {
			raft_free(copy);
			return RAFT_ENOMEM;
		}
		t->peers = peers;
		p = raft_calloc(1, sizeof(*p));
		if (p == NULL) {
			raft_free(copy);
			return RAFT_ENOMEM;
		}
		p->retry = evtimer_new(t->base, peer_retry, p);
		if (p->retry == NULL) {
			raft_free(p);
			raft_free(copy);
			return RAFT_ENOMEM;
		}
		p->id = id;
		p->t = t;
		p->backoff_ms = BACKOFF_MIN_MS;
		t->peers[t->n_peers++] = p;
	} else {
		raft_free(p->address);
		peer_disconnect(p);
	}
	p->address = copy;
	p->ss = ss;
	p->ss_len = ss_len;
	return 0;
}

void tcp_transport_send_frame(struct tcp_transport *t, raft_id to,
			      const void *frame, size_t len)
{
	struct peer *p = find_peer(t, to);
	struct evbuffer *out;
	if (p == NULL || !peer_dial(p)) {
		return;
	}
	out = bufferevent_get_output(p->bev);
	if (evbuffer_get_length(out) + len > MAX_PENDING_BYTES) {
		return;
	}
	evbuffer_add(out, frame, len);
}

void tcp_transport_send(struct tcp_transport *t, const struct raft_message *m)
{
	struct peer *p = find_peer(t, m->to);
	struct evbuffer *out;
	struct evbuffer_iovec vec;
	size_t len;
	if (p == NULL || !peer_dial(p)) {
		return;
	}
	out = bufferevent_get_output(p->bev);
	len = raft_wire_size(m);
	if (evbuffer_get_length(out) + len > MAX_PENDING_BYTES) {
		return;
	}
	/* Encode straight into the connection's buffer. */
	if (evbuffer_reserve_space(out, (ev_ssize_t)len, &vec, 1) < 1) {
		return;
	}
	raft_wire_encode(m, t->cluster_id, vec.iov_base);
	vec.iov_len = len;
	evbuffer_commit_space(out, &vec, 1);
}

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

int tcp_transport_new(struct event_base *base, const char *listen,
		      uint64_t cluster_id, raft_id self, size_t max_frame,
		      tcp_recv_cb cb, void *arg, struct tcp_transport **out,
		      char *errmsg, size_t errmsg_len)
{
	struct tcp_transport *t;
	struct sockaddr_storage ss;
	socklen_t len;
	int ss_len;
	if (tcp_parse_address(listen, &ss, &ss_len) != 0) {
		snprintf(errmsg, errmsg_len,
			 "listen address \"%s\" is not HOST:PORT", listen);
		return RAFT_EINVAL;
	}
	t = raft_calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(errmsg, errmsg_len, "%s", raft_strerror(RAFT_ENOMEM));
		return RAFT_ENOMEM;
	}
	t->base = base;
	t->cluster_id = cluster_id;
	t->self = self;
	t->max_frame = max_frame;
	t->cb = cb;
	t->arg = arg;
	t->listener = evconnlistener_new_bind(
	    base, on_accept, t,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    128, (struct sockaddr *)&ss, ss_len);
	if (t->listener == NULL) {
		snprintf(errmsg, errmsg_len, "listen on %s: %s", listen,
			 strerror(errno));
		raft_free(t);
		return RAFT_EIO;
	}
	len = sizeof(ss);
	getsockname(evconnlistener_get_fd(t->listener), (struct sockaddr *)&ss,
		    &len);
	format_address((struct sockaddr *)&ss, t->address, sizeof(t->address));
	*out = t;
	return 0;
}

void tcp_transport_free(struct tcp_transport *t)
{
	unsigned i;
	if (t == NULL) {
		return;
	}
	evconnlistener_free(t->listener);
	while (t->inbound != NULL) {
		inbound_close(t->inbound);
	}
	for (i = 0; i < t->n_peers; i++) {
		peer_disconnect(t->peers[i]);
		event_free(t->peers[i]->retry);
		raft_free(t->peers[i]->address);
		raft_free(t->peers[i]);
	}
	raft_free(t->peers);
	raft_free(t);
}

void tcp_transport_set_identity(struct tcp_transport *t, uint64_t cluster_id,
				raft_id self)
{
	t->cluster_id = cluster_id;
	t->self = self;
}

const char *tcp_transport_address(const struct tcp_transport *t)
{
	return t->address;
}
