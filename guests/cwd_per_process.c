/* cwd_per_process: each process has its own working directory (Linux's
 * fs_struct) and its threads share it. A child that changes directory
 * (chdir, fchdir, after fork or vfork) leaves its parent's where it was;
 * fork copies the parent's; a thread's chdir moves its whole process;
 * /proc/PID/cwd names each one's, a zombie's none. Paths print relative
 * to where the program started. Compared with native. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char start[4096];

/* A directory relative to the start: "." or "./a/b". */
static const char *rel(const char *dir)
{
	static char out[4096];
	size_t n = strcmp(start, "/") ? strlen(start) : 0;
	if (strncmp(dir, start, n) != 0 || (dir[n] != '/' && dir[n] != '\0'))
		return dir;
	snprintf(out, sizeof out, ".%s", strcmp(dir, "/") ? dir + n : "");
	return out;
}

/* Whether process pid is a zombie (its /proc/PID/stat's state). */
static int is_zombie(pid_t pid)
{
	char name[64], buf[512];
	snprintf(name, sizeof name, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(name, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	const char *paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] == 'Z';
}

static void show_cwd(const char *who)
{
	char buf[4096];
	printf("%-34s %s\n", who, getcwd(buf, sizeof buf) ? rel(buf) : strerrorname_np(errno));
}

static void show_proc_cwd(const char *who, pid_t pid)
{
	char link[64], buf[4096];
	snprintf(link, sizeof link, "/proc/%d/cwd", (int)pid);
	ssize_t n = readlink(link, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("%-34s %s\n", who, n >= 0 ? rel(buf) : strerrorname_np(errno));
}

/* The first line of a file named relative to the working directory. */
static void show_file(const char *who, const char *name)
{
	char buf[64] = "";
	FILE *f = fopen(name, "r");
	if (f && fgets(buf, sizeof buf, f))
		buf[strcspn(buf, "\n")] = 0;
	printf("%-34s %s\n", who, f ? buf : strerrorname_np(errno));
	if (f)
		fclose(f);
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		exit(1);
}

static void *thread_moves(void *arg)
{
	(void)arg;
	if (chdir("b"))
		perror("thread chdir");
	return NULL;
}

static void wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		printf("child %d failed\n", (int)pid);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);   /* children print too */
	if (!getcwd(start, sizeof start) || mkdir("a", 0755) || mkdir("a/b", 0755))
		return 1;
	put("top", "the top\n");
	put("a/f", "in a\n");
	put("a/b/g", "in a/b\n");
	show_cwd("start");

	/* A child's chdir is its own. */
	pid_t pid = fork();
	if (pid == 0) {
		if (chdir("a"))
			_exit(1);
		show_cwd("child after chdir(\"a\")");
		show_file("child reads f", "f");
		_exit(0);
	}
	wait_child(pid);
	show_cwd("parent after the child's chdir");
	show_file("parent reads top", "top");

	/* fork copies the parent's; /proc/PID/cwd is each one's. */
	int go[2], done[2];
	if (chdir("a") || pipe(go) || pipe(done))
		return 1;
	pid = fork();
	if (pid == 0) {
		show_cwd("child of a parent in a");
		if (chdir("b"))
			_exit(1);
		char c = 0;
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	char c;
	if (read(done[0], &c, 1) != 1)
		return 1;
	show_proc_cwd("/proc/CHILD/cwd", pid);
	show_proc_cwd("/proc/self/cwd", getpid());
	if (write(go[1], &c, 1) != 1)
		return 1;
	while (!is_zombie(pid))   /* a zombie, not yet reaped, has no working directory */
		usleep(1000);
	show_proc_cwd("/proc/ZOMBIE/cwd", pid);
	wait_child(pid);

	/* fchdir in a child; vfork's child does not share the directory. */
	int dfd = open("b", O_RDONLY | O_DIRECTORY);
	pid = fork();
	if (pid == 0) {
		if (fchdir(dfd))
			_exit(1);
		show_file("child after fchdir reads g", "g");
		_exit(0);
	}
	wait_child(pid);
	pid = vfork();
	if (pid == 0) {
		if (chdir("/"))
			_exit(1);
		_exit(0);
	}
	wait_child(pid);
	show_cwd("parent after fchdir and vfork");
	close(dfd);

	/* A thread's chdir is the whole process's. */
	pthread_t t;
	if (pthread_create(&t, NULL, thread_moves, NULL) || pthread_join(t, NULL))
		return 1;
	show_cwd("after a thread's chdir(\"b\")");
	show_file("main reads g", "g");
	return 0;
}
