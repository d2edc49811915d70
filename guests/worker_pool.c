/* worker_pool — threads sharing one address space.
 *
 * Memory behaviour: pthread_create maps each worker a stack (mmap) and
 * clones a thread into the same address space (CLONE_VM | CLONE_THREAD
 * ...): the workers' writes to the shared array fault in pages every
 * thread then sees. A mutex and two condition variables (futex waits and
 * wakes) hand out 16 disjoint ranges of a 64 Ki-entry array to 4 workers,
 * each summing its range into the shared results; main waits for all of
 * them, tells the workers to quit, and joins them. Each worker keeps a
 * count in a __thread variable (its own TLS block). Also: a condition wait
 * that times out, and the clone flag combinations Linux refuses.
 *
 * Prints the clone checks, the per-range sums, the total, how many ranges
 * the workers took together, whether every worker had its own tid and the
 * process's pid, and the timed wait's result, then futex's answers to
 * waits that must not sleep (by errno name), then a fork while a worker
 * waits: the child has only the forking thread (its pid is its tid) and
 * exits 5, then the worker is woken and joined; exits 0.
 *
 * `worker_pool deadlock` instead joins a thread that waits on a condition
 * nobody signals: it never ends (mmusim reports the deadlock). */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 4
#define RANGES 16
#define ENTRIES (64 * 1024)

static uint32_t data[ENTRIES];
static uint64_t sums[RANGES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int next_range, ranges_posted, ranges_done;
static int quit;
static __thread int taken;   /* ranges this thread summed */

struct worker {
	pthread_t th;
	pid_t tid, pid;
	int taken;
};

static uint64_t sum_range(int r)
{
	uint64_t s = 0;
	for (int i = r * (ENTRIES / RANGES); i < (r + 1) * (ENTRIES / RANGES); i++)
		s += (uint64_t)data[i] * data[i];
	return s;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	w->tid = (pid_t)syscall(SYS_gettid);
	w->pid = getpid();
	pthread_mutex_lock(&lock);
	for (;;) {
		while (!quit && next_range == ranges_posted)
			pthread_cond_wait(&work_cv, &lock);
		if (next_range == ranges_posted)
			break;   /* quit, and nothing left */
		int r = next_range++;
		pthread_mutex_unlock(&lock);
		uint64_t s = sum_range(r);
		sched_yield();
		pthread_mutex_lock(&lock);
		sums[r] = s;
		taken++;
		ranges_done++;
		pthread_cond_signal(&done_cv);
	}
	pthread_mutex_unlock(&lock);
	w->taken = taken;
	return (void *)(intptr_t)taken;
}

static const char *futex_result(uint32_t *word, int op, uint32_t val, const struct timespec *ts, uint32_t bitset)
{
	long rc = syscall(SYS_futex, word, op, val, ts, NULL, bitset);
	if (rc >= 0)
		return rc == 0 ? "0" : "woke some";
	switch (errno) {
	case EAGAIN: return "EAGAIN";
	case EINVAL: return "EINVAL";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ENOSYS: return "ENOSYS";
	default: return strerror(errno);
	}
}

static void futex_checks(void)
{
	static uint32_t word[2] = {7, 7};
	struct timespec ms = {0, 1000000}, bad = {0, 1000000000};
	printf("futex wait, value changed: %s\n", futex_result(word, FUTEX_WAIT_PRIVATE, 8, NULL, 0));
	printf("futex wait, 1 ms: %s\n", futex_result(word, FUTEX_WAIT_PRIVATE, 7, &ms, 0));
	printf("futex wait, bad timeout: %s\n", futex_result(word, FUTEX_WAIT, 7, &bad, 0));
	printf("futex wait, unaligned: %s\n", futex_result((uint32_t *)((char *)word + 1), FUTEX_WAIT, 7, &ms, 0));
	printf("futex wait_bitset, bitset 0: %s\n", futex_result(word, FUTEX_WAIT_BITSET, 7, NULL, 0));
	printf("futex wait, realtime clock: %s\n", futex_result(word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 7, &ms, 0));
	printf("futex wake, nobody waits: %s\n", futex_result(word, FUTEX_WAKE_PRIVATE, 1, NULL, 0));
	printf("gettid in the first thread is the pid: %s\n", syscall(SYS_gettid) == getpid() ? "yes" : "no");
}

/* clone with flags Linux refuses: the error, by name. */
static const char *clone_error(unsigned long flags)
{
	long rc = syscall(SYS_clone, flags, 0, 0, 0, 0);
	if (rc == 0)
		_exit(0);   /* not expected: a child */
	return rc > 0 ? "created" : errno == EINVAL ? "EINVAL" : strerror(errno);
}

static void *wait_forever(void *arg)
{
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&work_cv, &lock);
	return arg;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "deadlock")) {
		pthread_t t;
		pthread_create(&t, NULL, wait_forever, NULL);
		puts("joining a thread that waits forever");
		fflush(stdout);
		pthread_join(t, NULL);
		return 0;
	}
	printf("clone(CLONE_THREAD) without CLONE_SIGHAND: %s\n", clone_error(CLONE_THREAD | CLONE_VM));
	printf("clone(CLONE_SIGHAND) without CLONE_VM: %s\n", clone_error(CLONE_SIGHAND));

	for (int i = 0; i < ENTRIES; i++)
		data[i] = (uint32_t)(i * 2654435761u) >> 16;
	struct worker w[WORKERS];
	memset(w, 0, sizeof w);
	for (int i = 0; i < WORKERS; i++) {
		int rc = pthread_create(&w[i].th, NULL, work, &w[i]);
		if (rc) {
			printf("pthread_create: %s\n", strerror(rc));
			return 1;
		}
	}
	pthread_mutex_lock(&lock);
	for (int r = 0; r < RANGES; r++) {   /* post the ranges one by one */
		ranges_posted++;
		pthread_cond_signal(&work_cv);
	}
	while (ranges_done < RANGES)
		pthread_cond_wait(&done_cv, &lock);
	quit = 1;
	pthread_cond_broadcast(&work_cv);
	pthread_mutex_unlock(&lock);

	int total_taken = 0, own_tids = 1, same_pid = 1;
	for (int i = 0; i < WORKERS; i++) {
		void *ret;
		pthread_join(w[i].th, &ret);
		total_taken += (int)(intptr_t)ret;
		if (w[i].taken != (int)(intptr_t)ret)
			printf("worker %d: TLS count %d, returned %d\n", i, w[i].taken, (int)(intptr_t)ret);
		same_pid &= w[i].pid == getpid();
		own_tids &= w[i].tid != getpid() && w[i].tid > 0;
		for (int j = 0; j < i; j++)
			own_tids &= w[i].tid != w[j].tid;
	}
	uint64_t total = 0;
	for (int r = 0; r < RANGES; r++) {
		printf("range %2d: %llu\n", r, (unsigned long long)sums[r]);
		total += sums[r];
		if (sums[r] != sum_range(r))
			printf("range %d: wrong sum\n", r);
	}
	printf("total: %llu\n", (unsigned long long)total);
	printf("ranges taken by workers: %d, main's TLS count: %d\n", total_taken, taken);
	printf("workers have their own tids: %s; the process's pid: %s\n", own_tids ? "yes" : "no",
	       same_pid ? "yes" : "no");

	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 2000000;   /* 2 ms */
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&lock);
	int rc = pthread_cond_timedwait(&work_cv, &lock, &ts);
	pthread_mutex_unlock(&lock);
	printf("timed wait with nobody to signal: %s\n", rc == ETIMEDOUT ? "ETIMEDOUT" : strerror(rc));
	futex_checks();

	/* fork in a threaded process: only the caller goes on in the child */
	quit = 0;
	next_range = ranges_posted = 0;
	struct worker waiter = {0};
	pthread_create(&waiter.th, NULL, work, &waiter);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		printf("child of a threaded process: its tid is its pid: %s\n",
		       syscall(SYS_gettid) == getpid() ? "yes" : "no");
		fflush(stdout);
		_exit(5);
	}
	int st = 0;
	waitpid(child, &st, 0);
	printf("child exited with %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	pthread_mutex_lock(&lock);
	quit = 1;
	pthread_cond_broadcast(&work_cv);
	pthread_mutex_unlock(&lock);
	pthread_join(waiter.th, NULL);
	printf("waiting worker joined\n");
	return 0;
}
