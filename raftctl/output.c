/* raftctl's output: error lines, tables, JSON, escaping of bytes. */
#include "output.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/error.h"

static void print_error(const struct ctl *ctl, const char *what,
			const char *code, const char *why)
{
	if (ctl != NULL && ctl->output == CTL_OUTPUT_JSON) {
		cJSON *root = cJSON_CreateObject();
		cJSON *err = cJSON_AddObjectToObject(root, "error");
		char *text = NULL;
		if (err != NULL && cJSON_AddStringToObject(err, "what", what) &&
		    cJSON_AddStringToObject(err, "code", code) &&
		    cJSON_AddStringToObject(err, "message", why)) {
			text = cJSON_PrintUnformatted(root);
		}
		cJSON_Delete(root);
		if (text != NULL) {
			fprintf(stderr, "%s\n", text);
			cJSON_free(text);
			return;
		}
		/* Out of memory: the plain line still says what failed. */
	}
	fprintf(stderr, "raftctl: %s: %s\n", what, why);
}

static void verror(const struct ctl *ctl, const char *what, int err,
		   const char *fmt, va_list ap)
{
	char why[2048];
	vsnprintf(why, sizeof(why), fmt, ap);
	print_error(ctl, what, err == 0 ? "usage" : raft_err_name(err), why);
}

void output_error(const struct ctl *ctl, const char *what, int err,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(ctl, what, err, fmt, ap);
	va_end(ap);
}

int output_usage(const struct ctl *ctl, const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(ctl, what, 0, fmt, ap);
	va_end(ap);
	return CTL_EXIT_USAGE;
}

int output_client_error(const struct ctl *ctl, const char *what, int err)
{
	const char *msg = raft_client_errmsg(ctl->client);
	output_error(ctl, what, err, "%s",
		     msg[0] != '\0' ? msg : raft_strerror(err));
	return CTL_EXIT_FAILURE;
}

void output_escape(const void *data, size_t len, char *out, size_t out_len)
{
	const unsigned char *p = data;
	bool text = raft_utf8_valid(data, len);
	size_t n = 0;
	size_t i;
	if (out_len == 0) {
		return;
	}
	for (i = 0; i < len; i++) {
		char piece[8];
		size_t piece_len;
		if (p[i] == '\\') {
			piece_len =
			    (size_t)snprintf(piece, sizeof(piece), "\\\\");
		} else if (p[i] >= 0x20 && p[i] != 0x7f &&
			   (p[i] < 0x80 || text)) {
			piece[0] = (char)p[i];
			piece[1] = '\0';
			piece_len = 1;
		} else {
			piece_len = (size_t)snprintf(piece, sizeof(piece),
						     "\\x%02x", p[i]);
		}
		if (n + piece_len >= out_len) {
			break;
		}
		memcpy(out + n, piece, piece_len);
		n += piece_len;
	}
	out[n] = '\0';
}

static char *base64(const void *data, size_t len)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	size_t i;
	size_t n = 0;
	if (out == NULL) {
		return NULL;
	}
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v =
		    (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[n++] = alphabet[v >> 18];
		out[n++] = alphabet[(v >> 12) & 63];
		out[n++] = alphabet[(v >> 6) & 63];
		out[n++] = alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len) {
			v |= (uint32_t)p[i + 1] << 8;
		}
		out[n++] = alphabet[v >> 18];
		out[n++] = alphabet[(v >> 12) & 63];
		out[n++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[n++] = '=';
	}
	out[n] = '\0';
	return out;
}

bool output_json_bytes(cJSON *obj, const char *name, const void *data,
		       size_t len)
{
	char field[64];
	char *text;
	bool ok;
	if (raft_utf8_valid(data, len)) {
		/* cJSON takes a NUL-terminated string. */
		text = malloc(len + 1);
		if (text == NULL) {
			return false;
		}
		memcpy(text, data, len);
		text[len] = '\0';
		ok = cJSON_AddStringToObject(obj, name, text) != NULL;
		free(text);
		return ok;
	}
	snprintf(field, sizeof(field), "%s_base64", name);
	text = base64(data, len);
	if (text == NULL) {
		return false;
	}
	ok = cJSON_AddStringToObject(obj, field, text) != NULL;
	free(text);
	return ok;
}

int output_json(const struct ctl *ctl, cJSON *obj)
{
	char *text = obj != NULL ? cJSON_PrintUnformatted(obj) : NULL;
	cJSON_Delete(obj);
	if (text == NULL) {
		output_error(ctl, "output", RAFT_ENOMEM, "out of memory");
		return CTL_EXIT_FAILURE;
	}
	printf("%s\n", text);
	cJSON_free(text);
	return CTL_EXIT_OK;
}

bool output_json_member(cJSON *array, const struct raft_client_member *m)
{
	cJSON *obj = cJSON_CreateObject();
	if (obj == NULL || !cJSON_AddItemToArray(array, obj)) {
		cJSON_Delete(obj);
		return false;
	}
	if (cJSON_AddNumberToObject(obj, "id", (double)m->id) == NULL ||
	    cJSON_AddStringToObject(obj, "peer_url", m->peer_url) == NULL ||
	    cJSON_AddStringToObject(obj, "client_url", m->client_url) == NULL ||
	    cJSON_AddBoolToObject(obj, "voter", m->voter) == NULL) {
		return false;
	}
	if (m->have_progress &&
	    (cJSON_AddNumberToObject(obj, "match_index",
				     (double)m->match_index) == NULL ||
	     cJSON_AddNumberToObject(obj, "next_index",
				     (double)m->next_index) == NULL ||
	     cJSON_AddBoolToObject(obj, "healthy", m->healthy) == NULL)) {
		return false;
	}
	if (m->sending_snapshot &&
	    (cJSON_AddNumberToObject(obj, "snapshot_sent",
				     (double)m->snapshot_sent) == NULL ||
	     cJSON_AddNumberToObject(obj, "snapshot_size",
				     (double)m->snapshot_size) == NULL)) {
		return false;
	}
	return true;
}

static char *copy_cell(const char *s)
{
	size_t n = strlen(s);
	char *p = malloc(n + 1);
	if (p != NULL) {
		memcpy(p, s, n + 1);
	}
	return p;
}

void table_init(struct table *t, unsigned n_cols, const char *const *header)
{
	t->n_cols = n_cols;
	t->n_rows = 0;
	t->cells = NULL;
	t->oom = false;
	table_row(t, header);
}

void table_row(struct table *t, const char *const *cells)
{
	char **more;
	unsigned i;
	if (t->oom) {
		return;
	}
	more = realloc(t->cells,
		       (size_t)(t->n_rows + 1) * t->n_cols * sizeof(*more));
	if (more == NULL) {
		t->oom = true;
		return;
	}
	t->cells = more;
	for (i = 0; i < t->n_cols; i++) {
		char *cell = copy_cell(cells[i]);
		t->cells[t->n_rows * t->n_cols + i] = cell;
		if (cell == NULL) {
			t->oom = true;
		}
	}
	t->n_rows++;
}

int table_print(const struct ctl *ctl, struct table *t)
{
	size_t *width = calloc(t->n_cols == 0 ? 1 : t->n_cols, sizeof(*width));
	unsigned r;
	unsigned i;
	int status = CTL_EXIT_OK;

	if (width == NULL || t->oom) {
		output_error(ctl, "output", RAFT_ENOMEM, "out of memory");
		status = CTL_EXIT_FAILURE;
		goto out;
	}
	for (r = 0; r < t->n_rows; r++) {
		for (i = 0; i < t->n_cols; i++) {
			size_t n = strlen(t->cells[r * t->n_cols + i]);
			if (n > width[i]) {
				width[i] = n;
			}
		}
	}
	for (r = 0; r < t->n_rows; r++) {
		unsigned last = t->n_cols;
		/* Trailing empty cells would only add blanks. */
		while (last > 0 &&
		       t->cells[r * t->n_cols + last - 1][0] == '\0') {
			last--;
		}
		for (i = 0; i < last; i++) {
			const char *cell = t->cells[r * t->n_cols + i];
			if (i + 1 < last) {
				printf("%-*s  ", (int)width[i], cell);
			} else {
				printf("%s", cell);
			}
		}
		printf("\n");
	}
out:
	if (t->cells != NULL) {
		for (r = 0; r < t->n_rows * t->n_cols; r++) {
			free(t->cells[r]);
		}
	}
	free(t->cells);
	free(width);
	t->cells = NULL;
	t->n_rows = 0;
	return status;
}
