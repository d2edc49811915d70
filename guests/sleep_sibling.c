/* sleep_sibling — a sleeper does not move time on for the others.
 *
 * A child (fork) and then a thread each nanosleep 2 s while the parent
 * goes on running: once the sleeper has started, the parent reads CLOCK_MONOTONIC and /proc/uptime
 * right away and must see far less than 2 s gone (simulated time may
 * only jump to a sleeper's deadline once nothing can run). Once it has
 * waited for the sleeper, at least 2 s have passed.
 *
 * Prints, for the child and the thread: whether the parent saw less than
 * 1 s pass at once, and at least 2 s after the wait; exits 0. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double uptime(void)
{
	double up = -1;
	FILE *f = fopen("/proc/uptime", "r");
	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = -1;
		fclose(f);
	}
	return up;
}

static int ready[2];   /* the sleeper writes a byte here, then sleeps */

static void sleep_2s(void)
{
	struct timespec ts = {2, 0};
	if (write(ready[1], "s", 1) != 1)
		_exit(1);
	nanosleep(&ts, NULL);
}

/* Waits until the sleeper has run (and gone to sleep, or is about to). */
static void sleeper_started(void)
{
	char c;
	if (read(ready[0], &c, 1) != 1)
		exit(1);
}

static void *sleeper(void *arg)
{
	(void)arg;
	sleep_2s();
	return NULL;
}

static void report(const char *who, double t0, double up0, double t1, double up1, double t2)
{
	printf("%s: clock at once < 1 s: %s\n", who, t1 - t0 < 1.0 ? "yes" : "no");
	printf("%s: uptime at once < 1 s: %s\n", who, up1 - up0 < 1.0 ? "yes" : "no");
	printf("%s: after the wait >= 2 s: %s\n", who, t2 - t0 >= 2.0 ? "yes" : "no");
}

int main(void)
{
	if (pipe(ready) != 0)
		return 1;
	double t0 = monotonic(), up0 = uptime();
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		sleep_2s();
		_exit(0);
	}
	sleeper_started();
	double t1 = monotonic(), up1 = uptime();
	int status;
	waitpid(pid, &status, 0);
	report("child", t0, up0, t1, up1, monotonic());

	pthread_t th;
	t0 = monotonic();
	up0 = uptime();
	if (pthread_create(&th, NULL, sleeper, NULL) != 0)
		return 1;
	sleeper_started();
	t1 = monotonic();
	up1 = uptime();
	pthread_join(th, NULL);
	report("thread", t0, up0, t1, up1, monotonic());
	return 0;
}
