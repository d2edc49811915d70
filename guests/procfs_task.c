/* procfs_task — each thread seen through /proc/PID/task/TID and
 * getrusage(RUSAGE_THREAD).
 *
 * Memory behaviour: three workers each write their own anonymous mapping,
 * 64, 128 and 192 pages (one minor fault a page), while main writes none;
 * the per-thread fault counts tell them apart.
 *
 * Each worker blocks its own signal (SIGUSR1, SIGUSR2, SIGWINCH), writes
 * its pages, then checks what Linux shows of it: getrusage(RUSAGE_THREAD)'s
 * minflt grew by its pages (within 5%),
 * /proc/thread-self names "PID/task/TID", its task/TID/stat has its tid,
 * 4 threads and its own fault count, its task/TID/status has Pid = tid,
 * Tgid = pid, Threads 4 and its own signal mask in SigBlk. Main meanwhile
 * (the workers wait at a barrier) lists /proc/self/task (4 entries, its
 * own tid first, every worker's), reads Threads from /proc/self/status,
 * finds a worker's /proc/TID/status though /proc does not list TID, and
 * checks its own RUSAGE_THREAD is below RUSAGE_SELF. After the joins,
 * task/ lists main alone. Prints one "name: yes/no" line a check, tids
 * and counts left out, so the output is the same on every run; exits 0.
 *
 * `procfs_task hold CMD [ARGS]` instead runs CMD in a child (environment
 * variable PID: this process's pid) while the workers wait at the barrier
 * with their pages written, and prints nothing itself: a steady threaded
 * process for tools such as pmap and ps to look at (tests/procfs_tools.sh).
 * Exits with CMD's status. */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 3

static pthread_barrier_t started, ready, done;
static const int sigs[WORKERS] = {SIGUSR1, SIGUSR2, SIGWINCH};
static pid_t tids[WORKERS];
static char results[WORKERS][512];

static pid_t my_tid(void) { return (pid_t)syscall(SYS_gettid); }

static long minflt_thread(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

/* The text of a /proc file, NUL-terminated ("" if it cannot be read). */
static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
}

/* A status line's value ("Pid:\t123" gives "123"), or "" */
static void status_field(const char *text, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	out[0] = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == ':') {
			const char *v = l + n + 1;
			while (*v == '\t' || *v == ' ')
				v++;
			size_t len = strcspn(v, "\n");
			snprintf(out, cap, "%.*s", (int)(len < cap ? len : cap - 1), v);
			return;
		}
}

/* Field `i` (1-based) of a stat line, counting after the ")" of comm. */
static long stat_field(const char *text, int i)
{
	const char *p = strrchr(text, ')');
	if (!p || i < 3)
		return i == 1 ? atol(text) : -1;
	p += 2;
	for (int f = 3; f < i && p; f++)
		p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
	return p ? atol(p) : -1;
}

static const char *yes(int ok) { return ok ? "yes" : "no"; }

static void *worker(void *arg)
{
	int w = (int)(long)arg;
	pid_t tid = my_tid(), pid = getpid();
	tids[w] = tid;
	pthread_barrier_wait(&started);   /* all 4 threads exist */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sigs[w]);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	long pages = 64L * (w + 1), before = minflt_thread();
	long pg = sysconf(_SC_PAGESIZE);
	char *mem = mmap(NULL, (size_t)(pages * pg), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (long i = 0; i < pages; i++)
		mem[i * pg] = 1;
	long grew = minflt_thread() - before;

	char path[128], link[64], want[64], text[4096], v[64];
	ssize_t n = readlink("/proc/thread-self", link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof want, "%d/task/%d", pid, tid);
	int link_ok = !strcmp(link, want);

	snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
	slurp(path, text, sizeof text);
	long flt = stat_field(text, 10);
	int stat_ok = stat_field(text, 1) == tid && stat_field(text, 20) == WORKERS + 1;
	int stat_own = flt >= grew && flt <= minflt_thread();
	char self_text[4096];
	slurp("/proc/thread-self/stat", self_text, sizeof self_text);
	int self_same = stat_field(self_text, 1) == tid;

	snprintf(path, sizeof path, "/proc/%d/task/%d/status", pid, tid);
	slurp(path, text, sizeof text);
	char pid_s[16], tid_s[16], mask[32];
	snprintf(pid_s, sizeof pid_s, "%d", pid);
	snprintf(tid_s, sizeof tid_s, "%d", tid);
	snprintf(mask, sizeof mask, "%016llx", 1ull << (sigs[w] - 1));
	status_field(text, "Pid", v, sizeof v);
	int status_ok = !strcmp(v, tid_s);
	status_field(text, "Tgid", v, sizeof v);
	status_ok &= !strcmp(v, pid_s);
	status_field(text, "Threads", v, sizeof v);
	status_ok &= !strcmp(v, "4");
	status_field(text, "SigBlk", v, sizeof v);
	int mask_ok = !strcmp(v, mask);

	snprintf(results[w], sizeof results[w],
		 "worker %d: RUSAGE_THREAD minflt grew by its %ld pages: %s\n"
		 "worker %d: /proc/thread-self is PID/task/TID: %s\n"
		 "worker %d: task/TID/stat: its tid, 4 threads: %s\n"
		 "worker %d: task/TID/stat minflt is its own: %s\n"
		 "worker %d: thread-self/stat is its own: %s\n"
		 "worker %d: task/TID/status Pid, Tgid, Threads: %s\n"
		 "worker %d: task/TID/status SigBlk is its mask: %s\n",
		 w, pages, yes(grew >= pages && grew * 100 <= pages * 105), w, yes(link_ok), w, yes(stat_ok), w,
		 yes(stat_own), w, yes(self_same), w, yes(status_ok), w, yes(mask_ok));
	pthread_barrier_wait(&ready);   /* main looks at us now */
	pthread_barrier_wait(&done);
	munmap(mem, (size_t)(pages * pg));
	return NULL;
}

/* The entries of /proc/self/task: their count; whether the first is main's
 * tid and every worker's is there. */
static int list_task(int *first_main, int *all_workers)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int n = 0, seen = 0;
	*first_main = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		pid_t t = atoi(e->d_name);
		if (n++ == 0)
			*first_main = t == getpid();
		for (int w = 0; w < WORKERS; w++)
			seen += t == tids[w];
	}
	closedir(d);
	*all_workers = seen == WORKERS;
	return n;
}

static int proc_lists(pid_t pid)
{
	DIR *d = opendir("/proc");
	int found = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		found |= atoi(e->d_name) == pid;
	if (d)
		closedir(d);
	return found;
}

/* CMD run in a child while the threads hold still; its exit status. */
static int hold(char **cmd)
{
	char pid[16];
	snprintf(pid, sizeof pid, "%d", getpid());
	setenv("PID", pid, 1);
	fflush(NULL);
	pid_t c = fork();
	if (c == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	int st = 0;
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	pthread_t th[WORKERS];
	pthread_barrier_init(&started, NULL, WORKERS + 1);
	pthread_barrier_init(&ready, NULL, WORKERS + 1);
	pthread_barrier_init(&done, NULL, WORKERS + 1);
	for (int w = 0; w < WORKERS; w++)
		pthread_create(&th[w], NULL, worker, (void *)(long)w);
	pthread_barrier_wait(&started);
	pthread_barrier_wait(&ready);
	if (argc > 2 && !strcmp(argv[1], "hold")) {
		int rc = hold(argv + 2);
		pthread_barrier_wait(&done);
		for (int w = 0; w < WORKERS; w++)
			pthread_join(th[w], NULL);
		return rc;
	}

	for (int w = 0; w < WORKERS; w++)
		fputs(results[w], stdout);
	int first_main, all;
	int n = list_task(&first_main, &all);
	printf("main: /proc/self/task lists %d threads: %s\n", n, yes(n == WORKERS + 1));
	printf("main: main's tid first, every worker's there: %s\n", yes(first_main && all));
	char text[4096], v[64], path[64];
	slurp("/proc/self/status", text, sizeof text);
	status_field(text, "Threads", v, sizeof v);
	printf("main: /proc/self/status Threads: %s\n", v);
	snprintf(path, sizeof path, "/proc/%d/status", tids[1]);
	slurp(path, text, sizeof text);
	status_field(text, "Pid", v, sizeof v);
	printf("main: /proc/TID/status of a worker is found: %s\n", yes(atoi(v) == tids[1]));
	printf("main: /proc lists the worker's TID: %s\n", yes(proc_lists(tids[1])));
	struct rusage self;
	getrusage(RUSAGE_SELF, &self);
	long mine = minflt_thread();
	printf("main: RUSAGE_THREAD below RUSAGE_SELF by the workers' pages: %s\n",
	       yes(self.ru_minflt - mine >= 64 * 6));

	pthread_barrier_wait(&done);
	for (int w = 0; w < WORKERS; w++)
		pthread_join(th[w], NULL);
	n = list_task(&first_main, &all);
	slurp("/proc/self/status", text, sizeof text);
	status_field(text, "Threads", v, sizeof v);
	printf("main: after the joins task/ lists %d, Threads: %s\n", n, v);
	return 0;
}
