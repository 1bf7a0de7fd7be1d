/* A scripted HTTP server on 127.0.0.1 for the client tests. */
#include "fake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static int listen_any(unsigned *port)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		return -1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(addr.sin_port);
	return fd;
}

unsigned fake_dead_port(void)
{
	unsigned port = 0;
	int fd = listen_any(&port);
	if (fd < 0) {
		harness_fail(__FILE__, __LINE__, "listen: %s", strerror(errno));
	}
	close(fd);
	return port;
}

/* Reads one request from fd: headers, then Content-Length bytes. */
static bool read_request(int fd, char *buf, size_t cap, size_t *len,
			 size_t *header_len)
{
	char *end = NULL;
	size_t n = 0;
	size_t want = 0;
	while (n < cap - 1) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t got;
		if (poll(&p, 1, 2000) <= 0) {
			return false;
		}
		got = read(fd, buf + n, cap - 1 - n);
		if (got <= 0) {
			return false;
		}
		n += (size_t)got;
		buf[n] = '\0';
		if (end == NULL) {
			end = strstr(buf, "\r\n\r\n");
			if (end != NULL) {
				const char *cl =
				    strcasestr(buf, "\r\nContent-Length:");
				*header_len = (size_t)(end - buf) + 4;
				want = *header_len;
				if (cl != NULL && cl < end) {
					want += strtoul(cl + 17, NULL, 10);
				}
			}
		}
		if (end != NULL && n >= want) {
			*len = n;
			return true;
		}
	}
	return false;
}

static void serve(struct fake *f, int fd)
{
	static char req[16384];
	static char out[16384];
	size_t len = 0;
	size_t header_len = 0;
	char method[16] = "";
	char target[1024] = "";
	const char *ct;
	long answer;
	int n;

	if (!read_request(fd, req, sizeof(req), &len, &header_len)) {
		close(fd);
		return;
	}
	sscanf(req, "%15s %1023s", method, target);
	pthread_mutex_lock(&f->lock);
	n = f->n_requests++;
	snprintf(f->method, sizeof(f->method), "%s", method);
	snprintf(f->target, sizeof(f->target), "%s", target);
	f->content_type[0] = '\0';
	ct = strcasestr(req, "\r\nContent-Type:");
	if (ct != NULL && ct < req + header_len) {
		sscanf(ct + 15, " %127[^\r]", f->content_type);
	}
	f->body_len = len - header_len < sizeof(f->body) ? len - header_len
							 : sizeof(f->body);
	memcpy(f->body, req + header_len, f->body_len);
	pthread_mutex_unlock(&f->lock);

	answer = f->fn(f, method, target, req + header_len, len - header_len, n,
		       out, sizeof(out));
	if (answer < 0) {
		if (f->held_fd >= 0) {
			close(f->held_fd);
		}
		f->held_fd = fd;
		return;
	}
	if (write(fd, out, (size_t)answer) < 0) {
		/* The client gave up first: nothing to do. */
	}
	close(fd);
}

static void *run(void *arg)
{
	struct fake *f = arg;
	while (!f->stop) {
		struct pollfd p = {f->fd, POLLIN, 0};
		int fd;
		if (poll(&p, 1, 20) <= 0) {
			continue;
		}
		fd = accept(f->fd, NULL, NULL);
		if (fd >= 0) {
			serve(f, fd);
		}
	}
	return NULL;
}

void fake_start(struct fake *f, fake_fn fn, void *data)
{
	memset(f, 0, sizeof(*f));
	f->fn = fn;
	f->data = data;
	f->held_fd = -1;
	f->fd = listen_any(&f->port);
	if (f->fd < 0) {
		harness_fail(__FILE__, __LINE__, "listen: %s", strerror(errno));
	}
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u", f->port);
	pthread_mutex_init(&f->lock, NULL);
	if (pthread_create(&f->thread, NULL, run, f) != 0) {
		harness_fail(__FILE__, __LINE__, "pthread_create failed");
	}
}

void fake_stop(struct fake *f)
{
	f->stop = true;
	pthread_join(f->thread, NULL);
	close(f->fd);
	if (f->held_fd >= 0) {
		close(f->held_fd);
	}
	pthread_mutex_destroy(&f->lock);
}

int fake_requests(struct fake *f)
{
	int n;
	pthread_mutex_lock(&f->lock);
	n = f->n_requests;
	pthread_mutex_unlock(&f->lock);
	return n;
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 307:
		return "Temporary Redirect";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Whatever";
	}
}

long fake_answer(char *out, size_t out_len, int status,
		 const char *extra_headers, const char *body, size_t body_len)
{
	int n = snprintf(out, out_len,
			 "HTTP/1.1 %d %s\r\n%sContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, reason(status), extra_headers, body_len);
	if (n > 0 && (size_t)n + body_len < out_len) {
		memcpy(out + n, body, body_len);
		out[(size_t)n + body_len] = '\0';
		return n + (long)body_len;
	}
	return 0;
}

long fake_json(char *out, size_t out_len, int status, const char *extra_headers,
	       const char *json)
{
	char headers[512];
	snprintf(headers, sizeof(headers),
		 "%sContent-Type: application/json\r\n", extra_headers);
	return fake_answer(out, out_len, status, headers, json, strlen(json));
}
