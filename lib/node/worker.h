/* A thread that takes batches of jobs off a queue and hands them back
 * done, waking the event loop through a pipe. The disk and apply threads
 * are workers. */
#ifndef RAFT_NODE_WORKER_H
#define RAFT_NODE_WORKER_H

#include <pthread.h>
#include <stdbool.h>

/* Embedded first in each job struct. */
struct worker_job {
	struct worker_job *next;
};

struct job_queue {
	struct worker_job *head;
	struct worker_job *tail;
};

/* Processes every job of the list, in order, on the worker thread. */
typedef void (*worker_process_fn)(void *arg, struct worker_job *jobs);

struct worker {
	pthread_t thread;
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	struct job_queue todo;
	struct job_queue done;
	bool stop;
	bool started;
	worker_process_fn process;
	void *arg;
	int notify_fd; /* write end of the loop's wake-up pipe */
};

/* Starts the thread, named name (at most 15 characters). Errors:
 * RAFT_ENOMEM (no thread). */
int worker_start(struct worker *w, const char *name, worker_process_fn process,
		 void *arg, int notify_fd);

/* Queues a job (ownership passes to the worker until it comes back). */
void worker_submit(struct worker *w, struct worker_job *job);

/* Takes the jobs done so far, oldest first (NULL if none). */
struct worker_job *worker_take_done(struct worker *w);

/* Finishes the jobs queued, then joins the thread; the done list stays for
 * worker_take_done(). */
void worker_stop(struct worker *w);

/* Releases a stopped worker's locks (after the last worker_take_done()). */
void worker_close(struct worker *w);

#endif /* RAFT_NODE_WORKER_H */
