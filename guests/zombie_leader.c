/* The main thread ends with pthread_exit while another thread runs: Linux
 * keeps the leader's task as a zombie until the whole process goes, so
 * /proc/self/task still lists it and its state and the process's (the
 * leader's /proc/PID/status) read Z. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int leader;

/* The State: line of a status file, or the state letter of a stat file. */
static void state_of(const char *what, const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: cannot be opened\n", what);
		return;
	}
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	char *st = strstr(buf, "State:\t"), *paren = strrchr(buf, ')');
	if (st)
		printf("%s: %.*s\n", what, (int)strcspn(st + 7, "\n"), st + 7);
	else
		printf("%s: state %c\n", what, paren && paren[1] ? paren[2] : '?');
}

static void *worker(void *arg)
{
	(void)arg;
	usleep(100000);   /* the leader has gone by then */
	DIR *d = opendir("/proc/self/task");
	int found = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		found |= atoi(e->d_name) == leader;
	if (d)
		closedir(d);
	printf("task/ lists the leader: %s\n", found ? "yes" : "no");
	char path[64];
	state_of("the process (/proc/self/status)", "/proc/self/status");
	snprintf(path, sizeof path, "/proc/self/task/%d/status", leader);
	state_of("the leader's task", path);
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)gettid());
	state_of("this thread's task", path);
	fflush(stdout);
	exit(0);
}

int main(void)
{
	leader = (int)gettid();
	pthread_t t;
	if (pthread_create(&t, NULL, worker, NULL))
		return 1;
	pthread_exit(NULL);
}
