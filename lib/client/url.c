/* Endpoint strings, base URLs and percent-encoding. */
#include "client/url.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "raft/client.h"
#include "raft/error.h"

static bool is_unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
	       ch == '_' || ch == '~';
}

int url_encode(struct buf *b, const void *data, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = data;
	size_t i;
	int rv;
	for (i = 0; i < len; i++) {
		char esc[3];
		if (is_unreserved(p[i])) {
			rv = buf_append(b, &p[i], 1);
		} else {
			esc[0] = '%';
			esc[1] = hex[p[i] >> 4];
			esc[2] = hex[p[i] & 0x0f];
			rv = buf_append(b, esc, sizeof(esc));
		}
		if (rv != 0) {
			return rv;
		}
	}
	return 0;
}

/* Prints a byte of a string in an error message: itself if printable,
 * else its code. */
static void describe_char(unsigned char ch, char *out, size_t len)
{
	if (isprint(ch)) {
		snprintf(out, len, "'%c'", ch);
	} else {
		snprintf(out, len, "byte 0x%02x", ch);
	}
}

/* Parses a port: decimal digits only, 1..65535. */
static int parse_port(const char *s, size_t len, unsigned *port, char *errmsg,
		      size_t errmsg_len)
{
	char digits[16];
	char *end;
	unsigned long v;
	size_t i;
	if (len == 0) {
		snprintf(errmsg, errmsg_len, "missing port (want HOST:PORT)");
		return RAFT_EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i])) {
			snprintf(errmsg, errmsg_len,
				 "port \"%.*s\" is not a number", (int)len, s);
			return RAFT_EINVAL;
		}
	}
	if (len >= sizeof(digits)) {
		snprintf(errmsg, errmsg_len,
			 "port %.*s is out of range (1..65535)", (int)len, s);
		return RAFT_EINVAL;
	}
	memcpy(digits, s, len);
	digits[len] = '\0';
	errno = 0;
	v = strtoul(digits, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535) {
		snprintf(errmsg, errmsg_len,
			 "port %s is out of range (1..65535)", digits);
		return RAFT_EINVAL;
	}
	*port = (unsigned)v;
	return 0;
}

/* Checks "HOST[:PORT]" (auth, len bytes) and appends "host:port" to b, host
 * in lower case. default_port 0 means the port is required. */
static int parse_authority(const char *auth, size_t len, unsigned default_port,
			   struct buf *b, char *errmsg, size_t errmsg_len)
{
	const char *host = auth;
	size_t host_len;
	const char *rest; /* ":PORT" or "" */
	size_t rest_len;
	unsigned port = default_port;
	size_t i;
	char what[16];
	int rv;

	if (len == 0) {
		snprintf(errmsg, errmsg_len, "missing host");
		return RAFT_EINVAL;
	}
	if (memchr(auth, '@', len) != NULL) {
		snprintf(errmsg, errmsg_len, "user info is not allowed");
		return RAFT_EINVAL;
	}
	if (auth[0] == '[') {
		const char *close = memchr(auth, ']', len);
		if (close == NULL) {
			snprintf(errmsg, errmsg_len, "unclosed '[' in host");
			return RAFT_EINVAL;
		}
		host_len = (size_t)(close - auth) + 1;
		for (i = 1; i + 1 < host_len; i++) {
			unsigned char ch = (unsigned char)host[i];
			if (!isxdigit(ch) && ch != ':' && ch != '.') {
				describe_char(ch, what, sizeof(what));
				snprintf(errmsg, errmsg_len,
					 "bad %s in IPv6 address", what);
				return RAFT_EINVAL;
			}
		}
		if (host_len == 2 || memchr(host, ':', host_len) == NULL) {
			snprintf(errmsg, errmsg_len,
				 "bad IPv6 address \"%.*s\"", (int)host_len,
				 host);
			return RAFT_EINVAL;
		}
		rest = auth + host_len;
		rest_len = len - host_len;
		if (rest_len > 0 && rest[0] != ':') {
			describe_char((unsigned char)rest[0], what,
				      sizeof(what));
			snprintf(errmsg, errmsg_len, "bad %s after ']'", what);
			return RAFT_EINVAL;
		}
	} else {
		const char *colon = memchr(auth, ':', len);
		host_len = colon == NULL ? len : (size_t)(colon - auth);
		rest = auth + host_len;
		rest_len = len - host_len;
		if (rest_len > 0 && memchr(rest + 1, ':', rest_len - 1)) {
			snprintf(errmsg, errmsg_len,
				 "an IPv6 address needs brackets "
				 "([ADDR]:PORT)");
			return RAFT_EINVAL;
		}
		if (host_len == 0) {
			snprintf(errmsg, errmsg_len, "missing host");
			return RAFT_EINVAL;
		}
		for (i = 0; i < host_len; i++) {
			unsigned char ch = (unsigned char)host[i];
			if (!isalnum(ch) && ch != '-' && ch != '.' &&
			    ch != '_') {
				describe_char(ch, what, sizeof(what));
				snprintf(errmsg, errmsg_len,
					 "bad %s in host \"%.*s\"", what,
					 (int)host_len, host);
				return RAFT_EINVAL;
			}
		}
	}
	if (rest_len > 0) {
		rv = parse_port(rest + 1, rest_len - 1, &port, errmsg,
				errmsg_len);
		if (rv != 0) {
			return rv;
		}
	} else if (default_port == 0) {
		snprintf(errmsg, errmsg_len, "missing port (want HOST:PORT)");
		return RAFT_EINVAL;
	}
	for (i = 0; i < host_len; i++) {
		char ch = (char)tolower((unsigned char)host[i]);
		rv = buf_append(b, &ch, 1);
		if (rv != 0) {
			return rv;
		}
	}
	return buf_printf(b, ":%u", port);
}

/* Parses "SCHEME://AUTHORITY..." into b. With any_path the rest after
 * the authority is ignored; else only "" or "/" may follow. */
static int parse_url(const char *url, const char *sep, bool any_path,
		     struct buf *b, char *errmsg, size_t errmsg_len)
{
	const char *scheme = url;
	size_t scheme_len = (size_t)(sep - url);
	const char *auth = sep + 3;
	size_t auth_len = strcspn(auth, "/?#");
	const char *rest = auth + auth_len;
	unsigned default_port;
	int rv;

	if (scheme_len == 4 && strncasecmp(scheme, "http", 4) == 0) {
		default_port = 80;
		rv = buf_puts(b, "http://");
	} else if (scheme_len == 5 && strncasecmp(scheme, "https", 5) == 0) {
		default_port = 443;
		rv = buf_puts(b, "https://");
	} else {
		snprintf(errmsg, errmsg_len,
			 "unsupported scheme \"%.*s\" (want http or https)",
			 (int)scheme_len, scheme);
		return RAFT_EINVAL;
	}
	if (rv != 0) {
		return rv;
	}
	if (!any_path && *rest != '\0' && strcmp(rest, "/") != 0) {
		snprintf(errmsg, errmsg_len, "a path is not allowed (\"%s\")",
			 rest);
		return RAFT_EINVAL;
	}
	return parse_authority(auth, auth_len, default_port, b, errmsg,
			       errmsg_len);
}

int url_parse_endpoint(const char *spec, char **out, char *errmsg,
		       size_t errmsg_len)
{
	struct buf b;
	const char *sep;
	int rv;

	buf_init(&b);
	if (spec[0] == '\0') {
		snprintf(errmsg, errmsg_len, "empty endpoint");
		rv = RAFT_EINVAL;
		goto err_after_buf;
	}
	sep = strstr(spec, "://");
	if (sep != NULL) {
		rv = parse_url(spec, sep, false, &b, errmsg, errmsg_len);
	} else {
		rv = buf_puts(&b, "http://");
		if (rv == 0) {
			rv = parse_authority(spec, strlen(spec), 0, &b, errmsg,
					     errmsg_len);
		}
	}
	if (rv != 0) {
		goto err_after_buf;
	}
	return buf_take(&b, out, NULL);

err_after_buf:
	if (rv == RAFT_ENOMEM) {
		snprintf(errmsg, errmsg_len, "out of memory");
	}
	buf_close(&b);
	return rv;
}

int url_parse_base(const char *url, char **out, char *errmsg, size_t errmsg_len)
{
	struct buf b;
	const char *sep = strstr(url, "://");
	int rv;

	if (sep == NULL || strcspn(url, "/?#") < (size_t)(sep - url)) {
		snprintf(errmsg, errmsg_len, "not an absolute URL");
		return RAFT_EINVAL;
	}
	buf_init(&b);
	rv = parse_url(url, sep, true, &b, errmsg, errmsg_len);
	if (rv != 0) {
		if (rv == RAFT_ENOMEM) {
			snprintf(errmsg, errmsg_len, "out of memory");
		}
		buf_close(&b);
		return rv;
	}
	return buf_take(&b, out, NULL);
}

int raft_client_split_endpoints(const char *list, const char ***endpoints,
				unsigned *n, char *errmsg, size_t errmsg_len)
{
	unsigned count = 1, i;
	const char **array;
	const char *q;
	char *p;
	for (q = list; *q != '\0'; q++) {
		count += *q == ',';
	}
	/* The pointers, then a copy of the list that they point into. */
	array = raft_malloc(count * sizeof(*array) + strlen(list) + 1);
	if (array == NULL) {
		snprintf(errmsg, errmsg_len, "out of memory");
		return RAFT_ENOMEM;
	}
	p = (char *)(array + count);
	strcpy(p, list);
	for (i = 0; i < count; i++) {
		char *comma = strchr(p, ',');
		char *end;
		if (comma != NULL) {
			*comma = '\0';
		}
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
			*--end = '\0';
		}
		if (*p == '\0') {
			snprintf(errmsg, errmsg_len, "empty endpoint in \"%s\"",
				 list);
			raft_free(array);
			return RAFT_EINVAL;
		}
		array[i] = p;
		p = comma != NULL ? comma + 1 : end;
	}
	*endpoints = array;
	*n = count;
	return 0;
}
