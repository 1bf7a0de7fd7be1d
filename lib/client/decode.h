/* Decoding raftd's JSON answers (shared/API.md) and mapping its errors to
 * RAFT_E* codes. Pure functions: no I/O, testable on fixed strings. */
#ifndef RAFT_CLIENT_DECODE_H
#define RAFT_CLIENT_DECODE_H

#include <stdint.h>

#include "raft/client.h"
#include "raft/error.h"

/* The codes for "the value differs" (409 compare_failed) and "the server
 * does not implement this" (501). */
#define CLIENT_ECOMPARE RAFT_ECOMPARE
#define CLIENT_ENOTSUP	RAFT_ENOTSUP

/* What an error answer ({"error": {...}}) says; fields are "" or 0 when the
 * body lacks them (or is no JSON at all). Long strings are truncated. */
struct decode_error {
	char code[64];
	char message[512];
	raft_id leader_id;
	char leader_url[256];
};

/* Fills e from an error answer's body. Never fails. */
void decode_error(const char *body, size_t len, struct decode_error *e);

/* Maps an HTTP status >= 300 and the answer's machine code ("" or NULL if
 * none) to a RAFT_E* code: the code decides when it is known, else the
 * status (404 RAFT_ENOTFOUND, 409 RAFT_EBUSY, 413 RAFT_ETOOBIG, 400 and
 * other 4xx RAFT_EINVAL, 501 CLIENT_ENOTSUP, 503 RAFT_ENOTLEADER, 504
 * RAFT_ETIMEDOUT, other 5xx RAFT_EIO, anything else RAFT_EPROTO). */
int decode_error_code(long status, const char *code);

/* Decodes a GET /v1/status answer into st (zeroed before; on error it is
 * left zeroed). Errors: RAFT_EPROTO with errmsg naming the bad field,
 * RAFT_ENOMEM. */
int decode_status(const char *body, size_t len, struct raft_client_status *st,
		  char *errmsg, size_t errmsg_len);

/* Decodes a GET /v1/members answer: {"members": [...]} or a bare array.
 * Errors: as decode_status(). */
int decode_members(const char *body, size_t len,
		   struct raft_client_members *out, char *errmsg,
		   size_t errmsg_len);

/* Reads the "id" and "leader_id" of a GET /v1/members answer: who
 * answered and the leader it knows (each 0 when absent or malformed).
 * Never fails. */
void decode_members_origin(const char *body, size_t len, raft_id *id,
			   raft_id *leader_id);

/* Decodes {"index": N, "term": T} (both optional; absent ones are 0).
 * Errors: as decode_status(). */
int decode_write(const char *body, size_t len, struct raft_client_write *w,
		 char *errmsg, size_t errmsg_len);

/* Decodes a transfer's answer {"leader_id": N, "previous_leader_id": P,
 * "term": T} (leader_id required). Errors: as decode_status(). */
int decode_transfer(const char *body, size_t len,
		    struct raft_client_transfer *t, char *errmsg,
		    size_t errmsg_len);

/* Decodes {"keys": [...], "more": B}. Errors: as decode_status(). */
int decode_keys(const char *body, size_t len, struct raft_client_keys *out,
		char *errmsg, size_t errmsg_len);

/* Parses a decimal unsigned 64-bit number that fills s[0..len) exactly
 * (an HTTP header value; surrounding blanks are ignored). Errors:
 * RAFT_EINVAL. */
int decode_u64(const char *s, size_t len, uint64_t *out);

#endif /* RAFT_CLIENT_DECODE_H */
