/* raftctl's output: error lines, tables, JSON, escaping of bytes. */
#ifndef RAFT_RAFTCTL_OUTPUT_H
#define RAFT_RAFTCTL_OUTPUT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "raftctl.h"

/* Prints the one line of a failure on stderr: "raftctl: WHAT: WHY", or with
 * -o json {"error": {"what": WHAT, "code": CODE, "message": WHY}}, where
 * CODE is raft_err_name(err), or "usage" when err is 0. */
void output_error(const struct ctl *ctl, const char *what, int err,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A usage error: prints it like output_error() and returns
 * CTL_EXIT_USAGE. */
int output_usage(const struct ctl *ctl, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A failed client call: prints "raftctl: WHAT: <the client's message>" and
 * returns CTL_EXIT_FAILURE. */
int output_client_error(const struct ctl *ctl, const char *what, int err);

/* Writes bytes as printable text into out (cut to out_len): control
 * characters, DEL and a backslash as \xNN (\\ for the backslash); other
 * bytes as they are if the whole is valid UTF-8, else as \xNN. */
void output_escape(const void *data, size_t len, char *out, size_t out_len);

/* Adds data to obj under name as a string if it is text, else under
 * name_base64 in base64. Returns false when out of memory. */
bool output_json_bytes(cJSON *obj, const char *name, const void *data,
		       size_t len);

/* Adds a member object ({id, peer_url, client_url, voter} and, when known,
 * match_index, next_index, healthy, and snapshot_sent and snapshot_size
 * while the leader sends it a snapshot) to the array. Returns false when
 * out of memory. */
bool output_json_member(cJSON *array, const struct raft_client_member *m);

/* Prints obj as one line of JSON on stdout and deletes it. Returns an exit
 * status (CTL_EXIT_FAILURE after a message when out of memory). */
int output_json(const struct ctl *ctl, cJSON *obj);

/* A table: rows of cells, printed with each column padded to its widest
 * cell and two spaces between columns. */
struct table {
	unsigned n_cols;
	unsigned n_rows; /* the header row included */
	char **cells;	 /* n_rows * n_cols, owned */
	bool oom;
};

/* Starts a table with its header (n_cols strings). */
void table_init(struct table *t, unsigned n_cols, const char *const *header);

/* Adds a row of n_cols cells (copied). */
void table_row(struct table *t, const char *const *cells);

/* Prints the table on stdout (no trailing blanks) and frees it. Returns an
 * exit status: CTL_EXIT_FAILURE after a message when out of memory. */
int table_print(const struct ctl *ctl, struct table *t);

#endif /* RAFT_RAFTCTL_OUTPUT_H */
