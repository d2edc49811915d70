/* thread_churn — many short threads, one at a time (issue 18).
 *
 * Memory behaviour: each round pthread_create maps (or reuses, from
 * glibc's cache of stacks) one thread stack, the thread writes a word of
 * it and ends, and main joins it; only two threads are ever alive at once,
 * so the kernel's memory must not grow with the number of rounds
 * (tests/rss_threads.sh runs `thread_churn N` for two N and compares
 * mmusim's peak RSS).
 *
 * Checks, one "name: yes/no" line each: every thread had a tid other than
 * the process's pid and other than the thread before it; /proc/self/task
 * lists main alone after the joins (and main plus one while a thread
 * runs); /proc/self/status says Threads: 1 at the end (counts taken
 * against those before the first thread: qemu-user adds its own). With N rounds
 * (default 200) it prints N and its checks, no tids, so the output is the
 * same on every run; exits 0. `thread_churn N wrap` also says whether
 * the tids went round (a tid below the one before, at least
 * RESERVED_PIDS, 300), as Linux's go at pid_max (32768 by default): N
 * above pid_max shows tids of joined threads reused. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_barrier_t running;   /* the thread lives while main lists task/ */

static pid_t my_tid(void) { return (pid_t)syscall(SYS_gettid); }

/* Entries of /proc/self/task other than . and .. */
static int task_entries(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void *short_thread(void *arg)
{
	volatile char local[256];
	local[0] = 1;   /* a write to its own stack */
	pid_t tid = my_tid() + local[0] - 1;
	if (arg)
		pthread_barrier_wait(&running);
	return (void *)(long)tid;
}

static int threads_in_status(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "Threads:", 8))
			n = atoi(line + 8);
	if (f)
		fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 200;
	/* What the process has before it makes any: 1, or more under
	 * qemu-user, whose own threads /proc shows too. */
	int base = task_entries(), base_status = threads_in_status();
	pid_t pid = getpid(), last = 0, went_round = 0;
	int own_tids = 1, changed = 1;
	for (long i = 0; i < rounds; i++) {
		pthread_t t;
		void *ret;
		if (pthread_create(&t, NULL, short_thread, NULL) || pthread_join(t, &ret)) {
			printf("round %ld: pthread_create or join failed\n", i);
			return 1;
		}
		pid_t tid = (pid_t)(long)ret;
		own_tids &= tid != pid && tid > 0;
		changed &= tid != last;
		if (tid < last && !went_round)
			went_round = tid;
		last = tid;
	}
	printf("rounds: %ld\n", rounds);
	printf("tid not the pid: %s\n", own_tids ? "yes" : "no");
	printf("tid not the last one's: %s\n", changed ? "yes" : "no");
	printf("task lists main alone: %s\n", task_entries() == base ? "yes" : "no");
	printf("status Threads 1: %s\n", threads_in_status() == base_status ? "yes" : "no");
	if (argc > 2 && !strcmp(argv[2], "wrap"))
		printf("tids went round, from 300 up: %s\n", went_round >= 300 ? "yes" : "no");
	pthread_t t;
	pthread_barrier_init(&running, NULL, 2);
	if (pthread_create(&t, NULL, short_thread, &running))
		return 1;
	int during = task_entries();
	pthread_barrier_wait(&running);
	pthread_join(t, NULL);
	printf("task lists two while one runs: %s\n", during == base + 1 ? "yes" : "no");
	printf("task lists main alone again: %s\n", task_entries() == base ? "yes" : "no");
	return 0;
}
