/* Unit tests of snapshot files (lib/storage/snapshot.c) in a fresh
 * temporary directory. */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raft/log.h"
#include "raft/storage.h"
#include "test.h"

struct snapfile_fixture {
	char dir[64];
	char snaps[96];
	struct raft_snapshot_meta meta;
	char err[512];
	char path[512];
};

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void quiet(void *arg, int level, const char *line)
{
	(void)arg;
	(void)level;
	(void)line;
}

SETUP(snapfile)
{
	raft_log_configure(RAFT_LOG_ERROR, quiet, NULL);
	strcpy(f->dir, "/tmp/raft-test-snapfile-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(f->dir));
	snprintf(f->snaps, sizeof(f->snaps), "%s/snapshots", f->dir);
	f->meta.index = 120;
	f->meta.term = 4;
	raft_configuration_init(&f->meta.conf);
	ASSERT_OK(raft_configuration_add(&f->meta.conf, 2, "127.0.0.1:7002",
					 RAFT_VOTER));
}

TEARDOWN(snapfile)
{
	raft_configuration_close(&f->meta.conf);
	nftw(f->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes a snapshot of `len` bytes of a known pattern at index. */
static void write_snapshot(struct snapfile_fixture *f, raft_index index,
			   size_t len)
{
	struct raft_snapshot_writer *w;
	uint8_t chunk[1000];
	size_t done = 0, i;
	f->meta.index = index;
	ASSERT_OK(raft_snapshot_writer_open(f->snaps, &f->meta, &w, f->err,
					    sizeof(f->err)));
	while (done < len) {
		size_t n =
		    len - done < sizeof(chunk) ? len - done : sizeof(chunk);
		for (i = 0; i < n; i++) {
			chunk[i] = (uint8_t)((done + i) * 7);
		}
		ASSERT_OK(raft_snapshot_writer_write(w, chunk, n));
		done += n;
	}
	ASSERT_OK(raft_snapshot_writer_commit(w, f->err, sizeof(f->err)));
}

static void latest(struct snapfile_fixture *f)
{
	ASSERT_OK(raft_snapshot_latest(f->snaps, f->path, sizeof(f->path),
				       f->err, sizeof(f->err)));
}

TEST(snapfile, a_written_snapshot_reads_back_whole)
{
	struct raft_snapshot_reader *r;
	uint8_t buf[777];
	size_t n, total = 0, i;
	write_snapshot(f, 120, 10000);
	latest(f);
	ASSERT_OK(
	    raft_snapshot_reader_open(f->path, &r, f->err, sizeof(f->err)));
	ASSERT_EQ_U64(raft_snapshot_reader_meta(r)->index, 120);
	ASSERT_EQ_U64(raft_snapshot_reader_meta(r)->term, 4);
	ASSERT_EQ_U64(raft_snapshot_reader_meta(r)->conf.n, 1);
	ASSERT_EQ_U64(raft_snapshot_reader_size(r), 10000);
	do {
		ASSERT_OK(raft_snapshot_reader_read(r, buf, sizeof(buf), &n));
		for (i = 0; i < n; i++) {
			ASSERT_EQ_INT(buf[i], (uint8_t)((total + i) * 7));
		}
		total += n;
	} while (n > 0);
	ASSERT_EQ_U64(total, 10000);
	raft_snapshot_reader_close(r);
}

TEST(snapfile, every_flipped_byte_is_detected)
{
	struct raft_snapshot_reader *r;
	struct stat st;
	off_t at;
	int fd;
	write_snapshot(f, 120, 300);
	latest(f);
	ASSERT_EQ_INT(stat(f->path, &st), 0);
	fd = open(f->path, O_RDWR);
	ASSERT_TRUE(fd >= 0);
	for (at = 0; at < st.st_size; at++) {
		uint8_t b;
		ASSERT_EQ_INT(pread(fd, &b, 1, at), 1);
		b ^= 0x20;
		ASSERT_EQ_INT(pwrite(fd, &b, 1, at), 1);
		ASSERT_RV(raft_snapshot_reader_open(f->path, &r, f->err,
						    sizeof(f->err)),
			  RAFT_ECORRUPT);
		b ^= 0x20;
		ASSERT_EQ_INT(pwrite(fd, &b, 1, at), 1);
	}
	close(fd);
	ASSERT_OK(
	    raft_snapshot_reader_open(f->path, &r, f->err, sizeof(f->err)));
	raft_snapshot_reader_close(r);
}

TEST(snapfile, a_torn_file_is_detected)
{
	struct raft_snapshot_reader *r;
	struct stat st;
	write_snapshot(f, 120, 5000);
	latest(f);
	ASSERT_EQ_INT(stat(f->path, &st), 0);
	ASSERT_EQ_INT(truncate(f->path, st.st_size - 1000), 0);
	ASSERT_RV(
	    raft_snapshot_reader_open(f->path, &r, f->err, sizeof(f->err)),
	    RAFT_ECORRUPT);
	ASSERT_STR_CONTAINS(f->err, f->path);
}

TEST(snapfile, latest_falls_back_past_a_corrupt_newer_one)
{
	char newest[512];
	int fd;
	write_snapshot(f, 100, 50);
	write_snapshot(f, 200, 50);
	latest(f);
	ASSERT_STR_CONTAINS(f->path, "00000000000000000200");
	snprintf(newest, sizeof(newest), "%s", f->path);
	fd = open(newest, O_WRONLY);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ_INT(pwrite(fd, "X", 1, 40), 1);
	close(fd);
	latest(f);
	ASSERT_STR_CONTAINS(f->path, "00000000000000000100");
}

TEST(snapfile, no_snapshot_is_not_found)
{
	ASSERT_RV(raft_snapshot_latest(f->snaps, f->path, sizeof(f->path),
				       f->err, sizeof(f->err)),
		  RAFT_ENOTFOUND);
}

TEST(snapfile, an_aborted_writer_leaves_nothing)
{
	struct raft_snapshot_writer *w;
	ASSERT_OK(raft_snapshot_writer_open(f->snaps, &f->meta, &w, f->err,
					    sizeof(f->err)));
	ASSERT_OK(raft_snapshot_writer_write(w, "abc", 3));
	raft_snapshot_writer_abort(w);
	ASSERT_RV(raft_snapshot_latest(f->snaps, f->path, sizeof(f->path),
				       f->err, sizeof(f->err)),
		  RAFT_ENOTFOUND);
}

TEST(snapfile, prune_keeps_the_newest)
{
	char cmd[256];
	FILE *p;
	int count = 0;
	write_snapshot(f, 100, 10);
	write_snapshot(f, 200, 10);
	write_snapshot(f, 300, 10);
	ASSERT_OK(raft_snapshot_prune(f->snaps, 2));
	snprintf(cmd, sizeof(cmd), "ls %s", f->snaps);
	p = popen(cmd, "r");
	ASSERT_NOT_NULL(p);
	while (fgets(f->path, sizeof(f->path), p) != NULL) {
		ASSERT_TRUE(strstr(f->path, "00000000000000000100") == NULL);
		count++;
	}
	pclose(p);
	ASSERT_EQ_INT(count, 2);
}

static const struct test_case snapfile_cases[] = {
    TEST_CASE(snapfile, a_written_snapshot_reads_back_whole),
    TEST_CASE(snapfile, every_flipped_byte_is_detected),
    TEST_CASE(snapfile, a_torn_file_is_detected),
    TEST_CASE(snapfile, latest_falls_back_past_a_corrupt_newer_one),
    TEST_CASE(snapfile, no_snapshot_is_not_found),
    TEST_CASE(snapfile, an_aborted_writer_leaves_nothing),
    TEST_CASE(snapfile, prune_keeps_the_newest),
    TEST_CASES_END,
};

TEST_MAIN(TEST_SUITE(snapfile))
