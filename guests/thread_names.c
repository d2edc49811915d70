/* thread_names — thread names (task->comm) as Linux keeps them (issue 18).
 *
 * Memory behaviour: two threads and a forked child; nothing of note (a few
 * stack pages each); the point is the kernel's per-thread name.
 *
 * Prints, in order: whether the name at start is the program's (argv[0]'s
 * last component, first 15 bytes) in PR_GET_NAME and /proc/self/comm;
 * main's name after PR_SET_NAME of a long one (cut to 15 bytes) as
 * PR_GET_NAME, /proc/self/comm, status Name: and stat show it; a thread's
 * name at start (its creator's), after it names itself
 * (pthread_setname_np on itself: prctl), as main reads it
 * (pthread_getname_np: /proc/self/task/TID/comm), after main renames it
 * (pthread_setname_np: a write to task/TID/comm) as the thread, /proc/TID/
 * comm, /proc/TID/status and task/TID/stat see it; the name of a thread
 * that thread makes (inherited); main's own name, unchanged by all that;
 * glibc's ERANGE for a name of 16 bytes; what a write of "x\n" to
 * /proc/self/comm leaves (the newline kept: comm "x\n", status escapes it
 * "x\\n") and of 20 bytes (15 kept, 20 taken); a forked child's name (the
 * forking thread's) and EINVAL for a write to another process's comm;
 * then it execs /proc/self/exe, whose name is then "exe" (the last
 * component of the path exec was given). Exits 0.
 *
 * Under qemu-aarch64 the name at start is qemu's (the first line says
 * "no") and /proc/self/stat is qemu's own text (the program's name), as
 * qemu-user emulates that file; the rest is the same. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_barrier_t named, renamed, done;
static pid_t worker_tid;
static char at_start[16], after_self[16], after_main[16], grandchild[16];

static void slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, cap - 1);
	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/* A line's value from a status file ("Name:\tx" gives "x"), or "" */
static void status_name(const char *path, char *out, size_t cap)
{
	char text[4096];
	slurp(path, text, sizeof text);
	out[0] = 0;
	if (!strncmp(text, "Name:\t", 6))
		snprintf(out, cap, "%.*s", (int)strcspn(text + 6, "\n"), text + 6);
}

/* The comm in a stat line, between the first "(" and the last ")". */
static void stat_name(const char *path, char *out, size_t cap)
{
	char text[4096];
	slurp(path, text, sizeof text);
	char *open = strchr(text, '('), *close = strrchr(text, ')');
	out[0] = 0;
	if (open && close > open)
		snprintf(out, cap, "%.*s", (int)(close - open - 1), open + 1);
}

static void get_name(char name[16])
{
	memset(name, 0, 16);
	prctl(PR_GET_NAME, name);
}

static void *inherit(void *arg)
{
	(void)arg;
	get_name(grandchild);
	return NULL;
}

static void *worker(void *arg)
{
	(void)arg;
	worker_tid = (pid_t)syscall(SYS_gettid);
	get_name(at_start);
	pthread_setname_np(pthread_self(), "worker-a");
	get_name(after_self);
	pthread_t t;
	pthread_create(&t, NULL, inherit, NULL);
	pthread_join(t, NULL);
	pthread_barrier_wait(&named);
	pthread_barrier_wait(&renamed);
	get_name(after_main);
	pthread_barrier_wait(&done);
	return NULL;
}

static void show_comm(const char *label, const char *path)
{
	char text[64];
	slurp(path, text, sizeof text);
	printf("%s: \"", label);
	for (const char *c = text; *c; c++)
		printf(*c == '\n' ? "\\n" : "%c", *c);
	printf("\"\n");
}

static int write_comm(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, strlen(s));
	int err = errno;
	close(fd);
	return n < 0 ? -err : (int)n;
}

int main(int argc, char **argv)
{
	char name[16], want[16], path[64], text[64];
	if (argc > 1 && !strcmp(argv[1], "exec")) {
		get_name(name);
		printf("name after exec: %s\n", name);
		show_comm("comm after exec", "/proc/self/comm");
		return 0;
	}
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	snprintf(want, sizeof want, "%s", base);
	get_name(name);
	slurp("/proc/self/comm", text, sizeof text);
	text[strcspn(text, "\n")] = 0;
	printf("name at start is the program's: %s\n", !strcmp(name, want) && !strcmp(text, want) ? "yes" : "no");

	prctl(PR_SET_NAME, "main-thread-named-long");
	get_name(name);
	printf("main after PR_SET_NAME: %s\n", name);
	show_comm("main /proc/self/comm", "/proc/self/comm");
	status_name("/proc/self/status", text, sizeof text);
	printf("main status Name: %s\n", text);
	stat_name("/proc/self/stat", text, sizeof text);
	printf("main stat comm: %s\n", text);

	pthread_t t;
	pthread_barrier_init(&named, NULL, 2);
	pthread_barrier_init(&renamed, NULL, 2);
	pthread_barrier_init(&done, NULL, 2);
	pthread_create(&t, NULL, worker, NULL);
	pthread_barrier_wait(&named);
	printf("thread at start: %s\n", at_start);
	printf("thread after naming itself: %s\n", after_self);
	printf("thread made by it: %s\n", grandchild);
	pthread_getname_np(t, name, sizeof name);
	printf("pthread_getname_np of it: %s\n", name);
	int rc = pthread_setname_np(t, "renamed-by-main");
	printf("pthread_setname_np of it: %d\n", rc);
	pthread_barrier_wait(&renamed);
	char comm[64], st_name[64], stat[64];   /* read while it lives */
	snprintf(path, sizeof path, "/proc/%d/comm", worker_tid);
	slurp(path, comm, sizeof comm);
	snprintf(path, sizeof path, "/proc/%d/status", worker_tid);
	status_name(path, st_name, sizeof st_name);
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", worker_tid);
	stat_name(path, stat, sizeof stat);
	pthread_barrier_wait(&done);
	printf("thread after main renamed it: %s\n", after_main);
	printf("its /proc/TID/comm: %s", comm);
	printf("its /proc/TID/status Name: %s\n", st_name);
	printf("its task/TID/stat comm: %s\n", stat);
	pthread_getname_np(pthread_self(), name, sizeof name);
	printf("main's own: %s\n", name);
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", getpid());
	show_comm("main task/PID/comm", path);
	printf("setname of 16 bytes: %s\n", pthread_setname_np(t, "sixteen-bytes-xx") == ERANGE ? "ERANGE" : "?");
	pthread_join(t, NULL);

	printf("write \"x\\n\": %d\n", write_comm("/proc/self/comm", "x\n"));
	show_comm("comm", "/proc/self/comm");
	status_name("/proc/self/status", text, sizeof text);
	printf("status Name: %s\n", text);
	printf("write of 20 bytes: %d\n", write_comm("/proc/self/comm", "abcdefghijklmnopqrst"));
	show_comm("comm", "/proc/self/comm");

	int pipefd[2];
	if (pipe(pipefd))
		return 1;
	pid_t child = fork();
	if (child == 0) {
		get_name(name);
		char c;
		if (read(pipefd[0], &c, 1) != 1)   /* alive while the parent writes its comm */
			_exit(2);
		_exit(strcmp(name, "abcdefghijklmno") ? 1 : 0);
	}
	snprintf(path, sizeof path, "/proc/%d/comm", child);
	printf("write to a child's comm: %s\n", write_comm(path, "nope") == -EINVAL ? "EINVAL" : "?");
	if (write(pipefd[1], "x", 1) != 1)
		return 1;
	int status;
	waitpid(child, &status, 0);
	printf("child had the forking thread's name: %s\n", WIFEXITED(status) && !WEXITSTATUS(status) ? "yes" : "no");
	fflush(stdout);
	execl("/proc/self/exe", "thread_names", "exec", (char *)NULL);
	perror("execl");
	return 1;
}
