/* Endpoint strings, base URLs and percent-encoding. */
#ifndef RAFT_CLIENT_URL_H
#define RAFT_CLIENT_URL_H

#include <stddef.h>

#include "client/buf.h"

/* Parses an endpoint into its normalized base URL "SCHEME://HOST:PORT":
 * scheme and host in lower case, the port always written in decimal, no
 * trailing slash. Accepted forms: "HOST:PORT", "[IPV6]:PORT",
 * "http://HOST[:PORT][/]" and "https://HOST[:PORT][/]" (default ports 80
 * and 443). On success *out is raft_malloc'd and owned by the caller.
 * Errors: RAFT_EINVAL with errmsg saying why, without naming spec (the
 * caller does), e.g. "missing port (want HOST:PORT)"; RAFT_ENOMEM. */
int url_parse_endpoint(const char *spec, char **out, char *errmsg,
		       size_t errmsg_len);

/* Like url_parse_endpoint() for an absolute URL with any path (a Location
 * header, a leader_url): keeps its scheme and authority only. Errors:
 * RAFT_EINVAL (not an absolute http or https URL), RAFT_ENOMEM. */
int url_parse_base(const char *url, char **out, char *errmsg,
		   size_t errmsg_len);

/* Appends len bytes of data percent-encoded: every byte but the unreserved
 * ones of RFC 3986 (A-Z a-z 0-9 - . _ ~) becomes %XX in upper-case hex, so
 * that any bytes travel safely in a path segment or a query value. Errors:
 * RAFT_ENOMEM. */
int url_encode(struct buf *b, const void *data, size_t len);

#endif /* RAFT_CLIENT_URL_H */
