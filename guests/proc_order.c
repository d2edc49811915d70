/* proc_order — the order getdents64 lists /proc directories in (issue 18),
 * as `ls -f` shows them.
 *
 * Memory behaviour: four threads and a forked child waiting on a pipe;
 * nothing of note (a few stack pages each).
 *
 * Prints /proc/self/task as main and its threads are named in the order
 * they were made ("main", "thread 1" ...: the thread list's order, which
 * is ascending tid until tids go round pid_max), /proc/self/fd after
 * descriptors were opened, one closed and two dup2'ed high (ascending fd;
 * only its own and 0-2, not what the caller left open),
 * the entries of /proc/self/ that mmusim also has, in the order Linux
 * lists them (tgid_base_stuff), the same for task/TID/, and for /proc
 * itself whether its fixed entries come first, ordered by name length
 * then bytes, self and thread-self last of them, then the pids ascending
 * (the child's after this process's). Exits 0. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4

static pthread_barrier_t listed;
static pid_t tids[THREADS + 1];

static void *waiter(void *arg)
{
	tids[(long)arg] = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&listed);   /* made */
	pthread_barrier_wait(&listed);   /* listed */
	return NULL;
}

static const char *known[] = {"task", "fd", "environ", "status", "comm", "cmdline", "stat", "statm", "maps",
			      "cwd", "exe", "mounts", "mountinfo", "smaps", "smaps_rollup", "pagemap"};

static int is_known(const char *name)
{
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (!strcmp(known[i], name))
			return 1;
	return 0;
}

static void list_known(const char *label, const char *path)
{
	DIR *d = opendir(path);
	printf("%s:", label);
	for (struct dirent *e; d && (e = readdir(d));)
		if (is_known(e->d_name))
			printf(" %s", e->d_name);
	printf("\n");
	if (d)
		closedir(d);
}

static int numeric(const char *s) { return s[0] >= '0' && s[0] <= '9'; }

/* /proc's order: . and .., fixed entries by (length, bytes) ending in
 * self and thread-self, then pids ascending. */
static void check_root(pid_t child)
{
	DIR *d = opendir("/proc");
	char prev[256] = "";
	int dots = 0, fixed_sorted = 1, pids_after = 1, pids_up = 1, self_last = 0, seen_pid = 0;
	int saw_me = 0, saw_child = 0, child_after_me = 0;
	long last = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		const char *n = e->d_name;
		if (!strcmp(n, ".") || !strcmp(n, "..")) {
			dots += !seen_pid && !prev[0];
			continue;
		}
		if (numeric(n)) {
			long pid = atol(n);
			pids_up &= !seen_pid || pid > last;
			if (!seen_pid)
				self_last = !strcmp(prev, "thread-self");
			seen_pid = 1;
			last = pid;
			saw_me |= pid == getpid();
			if (pid == child)
				child_after_me = saw_me, saw_child = 1;
			continue;
		}
		pids_after &= !seen_pid;
		int self = !strcmp(n, "self") || !strcmp(n, "thread-self");
		if (prev[0] && !self && strcmp(prev, "self") && strcmp(prev, "thread-self")) {
			size_t a = strlen(prev), b = strlen(n);
			fixed_sorted &= a < b || (a == b && strcmp(prev, n) < 0);
		}
		snprintf(prev, sizeof prev, "%s", n);
	}
	if (d)
		closedir(d);
	printf("/proc: . and .. first: %s\n", dots == 2 ? "yes" : "no");
	printf("/proc: fixed entries by length, then name: %s\n", fixed_sorted ? "yes" : "no");
	printf("/proc: self, thread-self, then the pids: %s\n", self_last && pids_after ? "yes" : "no");
	printf("/proc: pids ascending: %s\n", pids_up ? "yes" : "no");
	printf("/proc: this process, then its child: %s\n", saw_child && child_after_me ? "yes" : "no");
}

int main(void)
{
	pthread_t t[THREADS];
	pthread_barrier_init(&listed, NULL, THREADS + 1);
	tids[0] = getpid();
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, waiter, (void *)(i + 1));
	pthread_barrier_wait(&listed);

	DIR *d = opendir("/proc/self/task");
	printf("/proc/self/task:");
	for (struct dirent *e; d && (e = readdir(d));) {
		pid_t tid = (pid_t)atoi(e->d_name);
		int which = -1;
		for (int i = 0; i <= THREADS; i++)
			if (tids[i] == tid)
				which = i;
		if (!numeric(e->d_name))
			printf(" %s", e->d_name);
		else if (which == 0)
			printf(" main");
		else if (which > 0)
			printf(" thread%d", which);
	}
	printf("\n");
	if (d)
		closedir(d);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d", tids[2]);
	list_known("task/TID/", path);
	list_known("/proc/self/", "/proc/self");
	pthread_barrier_wait(&listed);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	int a = open("/proc/self/stat", O_RDONLY), b = open("/proc/self/comm", O_RDONLY);
	int c = open("/proc/self/status", O_RDONLY);
	dup2(b, 40);
	dup2(c, 17);
	close(b);
	d = opendir("/proc/self/fd");
	printf("/proc/self/fd:");
	for (struct dirent *e; d && (e = readdir(d));) {   /* its own and the standard three */
		int fd = numeric(e->d_name) ? atoi(e->d_name) : -1;
		if (fd < 0 || fd <= 2 || fd == a || fd == c || fd == 17 || fd == 40 || fd == dirfd(d))
			printf(" %s", e->d_name);
	}
	printf("\n");
	closedir(d);
	close(a);
	close(c);

	int pipefd[2];
	if (pipe(pipefd))
		return 1;
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		char x;
		close(pipefd[1]);
		_exit(read(pipefd[0], &x, 1) < 0);
	}
	close(pipefd[0]);
	check_root(child);
	close(pipefd[1]);
	waitpid(child, NULL, 0);
	/* The limits the kernel model keeps, as sysctl shows them. */
	const char *sysctl[] = {"/proc/sys/kernel/pid_max", "/proc/sys/vm/max_map_count"};
	for (unsigned i = 0; i < sizeof sysctl / sizeof sysctl[0]; i++) {
		char value[32] = "";
		FILE *f = fopen(sysctl[i], "r");
		if (f && fgets(value, sizeof value, f))
			printf("%s: %s", sysctl[i], value);
		else
			printf("%s: cannot be read\n", sysctl[i]);
		if (f)
			fclose(f);
	}
	return 0;
}
