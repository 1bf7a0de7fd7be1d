/* A job thread that hands results back to the event loop. */
#include "node/worker.h"

#include <errno.h>
#include <unistd.h>

#include "raft/error.h"

static void queue_push(struct job_queue *q, struct worker_job *job)
{
	job->next = NULL;
	if (q->tail != NULL) {
		q->tail->next = job;
	} else {
		q->head = job;
	}
	q->tail = job;
}

static void queue_append(struct job_queue *q, struct worker_job *jobs)
{
	while (jobs != NULL) {
		struct worker_job *next = jobs->next;
		queue_push(q, jobs);
		jobs = next;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	pthread_mutex_lock(&w->mutex);
	for (;;) {
		struct worker_job *jobs;
		while (w->todo.head == NULL && !w->stop) {
			pthread_cond_wait(&w->cond, &w->mutex);
		}
		if (w->todo.head == NULL) {
			break;
		}
		/* Take everything queued: one batch (group commit). */
		jobs = w->todo.head;
		w->todo.head = w->todo.tail = NULL;
		pthread_mutex_unlock(&w->mutex);
		w->process(w->arg, jobs);
		pthread_mutex_lock(&w->mutex);
		queue_append(&w->done, jobs);
		pthread_mutex_unlock(&w->mutex);
		/* A full pipe already holds a wake-up: nothing to do then. */
		{
			char byte = 1;
			ssize_t n;
			do {
				n = write(w->notify_fd, &byte, 1);
			} while (n < 0 && errno == EINTR);
		}
		pthread_mutex_lock(&w->mutex);
	}
	pthread_mutex_unlock(&w->mutex);
	return NULL;
}

int worker_start(struct worker *w, const char *name, worker_process_fn process,
		 void *arg, int notify_fd)
{
	w->todo.head = w->todo.tail = NULL;
	w->done.head = w->done.tail = NULL;
	w->stop = false;
	w->process = process;
	w->arg = arg;
	w->notify_fd = notify_fd;
	pthread_mutex_init(&w->mutex, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		pthread_mutex_destroy(&w->mutex);
		pthread_cond_destroy(&w->cond);
		return RAFT_ENOMEM;
	}
	/* Named for top -H, perf and gdb; a failure only loses the name. */
	(void)pthread_setname_np(w->thread, name);
	w->started = true;
	return 0;
}

void worker_submit(struct worker *w, struct worker_job *job)
{
	pthread_mutex_lock(&w->mutex);
	queue_push(&w->todo, job);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mutex);
}

struct worker_job *worker_take_done(struct worker *w)
{
	struct worker_job *jobs;
	pthread_mutex_lock(&w->mutex);
	jobs = w->done.head;
	w->done.head = w->done.tail = NULL;
	pthread_mutex_unlock(&w->mutex);
	return jobs;
}

void worker_stop(struct worker *w)
{
	if (!w->started) {
		return;
	}
	pthread_mutex_lock(&w->mutex);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mutex);
	pthread_join(w->thread, NULL);
}

void worker_close(struct worker *w)
{
	if (!w->started) {
		return;
	}
	pthread_mutex_destroy(&w->mutex);
	pthread_cond_destroy(&w->cond);
	w->started = false;
}
