/* sig_threads — signals in a process of two threads, as Linux keeps them:
 * each thread's own pending set beside the process's shared one, the
 * choice of the thread that takes a process signal, per-thread alternate
 * stacks and rt_sigtimedwait's timeout.
 *
 * Main and a worker take turns (semaphores hand the turn over), so every
 * line comes out in the same order on every run:
 *   pending   tgkill queues on the worker alone, kill on the process:
 *             rt_sigpending is the caller's own set with the shared one;
 *             sigwaitinfo takes the worker's own signal before the shared
 *             one though its number is higher; a broken pipe's SIGPIPE is
 *             the writing thread's;
 *   procfs    /proc/self/status and task/TID/status: SigPnd (the task's
 *             own), ShdPnd, SigBlk, SigIgn, SigCgt;
 *   delivery  a process signal main blocks is handled by the worker; one
 *             both accept, sent by the worker, by main (the leader first);
 *   altstack  a new thread has none; each thread's handler runs on its own;
 *             main's is kept; a forked child has its parent's;
 *   timedwait EAGAIN at once for a zero timeout, EINVAL for a bad one,
 *             EAGAIN after the timeout, the signal when a thread sends it
 *             before the deadline, EINTR for a handled signal meanwhile.
 * Prints one line a check, no tid or time; exits 0. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static sem_t main_turn, worker_turn, handled;
static pid_t main_tid, worker_tid;
static volatile pid_t handled_by;
static volatile uintptr_t handler_sp;
static char main_stack[65536], worker_stack[65536];

static pid_t my_tid(void) { return (pid_t)syscall(SYS_gettid); }
static void tgkill_(pid_t tid, int sig) { syscall(SYS_tgkill, getpid(), tid, sig); }

static void wait_sem(sem_t *s)
{
	while (sem_wait(s) && errno == EINTR)
		;
}
static void to_worker(void)
{
	fflush(stdout);
	sem_post(&worker_turn);
	wait_sem(&main_turn);
}
static void to_main(void)
{
	fflush(stdout);
	sem_post(&main_turn);
	wait_sem(&worker_turn);
}

static void on_signal(int sig)
{
	(void)sig;
	handled_by = my_tid();
	sem_post(&handled);
}
static void on_term(int sig)
{
	volatile char here;
	(void)sig;
	handler_sp = (uintptr_t)&here;
}

static void catch(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = {.sa_handler = fn, .sa_flags = SA_RESTART | flags};
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void mask(int how, int a, int b)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	pthread_sigmask(how, &s, NULL);
}

static void show_pending(const char *who)
{
	static const int sigs[] = {SIGUSR1, SIGUSR2, SIGPIPE};
	static const char *names[] = {"USR1", "USR2", "PIPE"};
	sigset_t s;
	sigpending(&s);
	printf("%s pending:", who);
	int any = 0;
	for (int i = 0; i < 3; i++)
		if (sigismember(&s, sigs[i])) {
			printf(" %s", names[i]);
			any = 1;
		}
	printf("%s\n", any ? "" : " none");
}

/* The Sig* lines of a status file, on one line. */
static void show_status(const char *label, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	printf("%s:", label);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "SigPnd", 6) || !strncmp(line, "ShdPnd", 6) || !strncmp(line, "SigBlk", 6) ||
		    !strncmp(line, "SigIgn", 6) || !strncmp(line, "SigCgt", 6)) {
			line[strcspn(line, "\n")] = 0;
			char *tab = strchr(line, '\t');
			if (tab)
				*tab = ' ';
			printf(" %s", line);
		}
	printf("\n");
	if (f)
		fclose(f);
}

static void show_task(const char *label, pid_t tid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
	show_status(label, path);
}

static void take(const char *who, int a, int b)
{
	sigset_t s;
	siginfo_t si;
	sigemptyset(&s);
	sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	int sig = sigwaitinfo(&s, &si);
	printf("%s sigwaitinfo: %d, si_code %d\n", who, sig, si.si_code);
}

static const char *yes(int b) { return b ? "yes" : "no"; }

static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int timedwait(int sig, long ms)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	return sigtimedwait(&s, NULL, &ts);
}

static void altstack(void *base)
{
	stack_t ss = {.ss_sp = base, .ss_size = sizeof main_stack};
	sigaltstack(&ss, NULL);
}

static int on_stack(const char *base) { return handler_sp > (uintptr_t)base && handler_sp < (uintptr_t)base + sizeof main_stack; }

static void *worker(void *arg)
{
	(void)arg;
	worker_tid = my_tid();
	to_main();
	/* pending */
	show_pending("worker");
	take("worker", SIGUSR1, SIGUSR2);
	take("worker", SIGUSR1, SIGUSR2);
	show_pending("worker");
	int fds[2];
	if (pipe(fds))
		return NULL;
	close(fds[0]);
	ssize_t n = write(fds[1], "x", 1);
	printf("worker write to a broken pipe: %zd, %s\n", n, errno == EPIPE ? "EPIPE" : "?");
	show_pending("worker");
	to_main();
	take("worker", SIGPIPE, 0);
	close(fds[1]);
	/* delivery: the worker accepts USR1 and USR2, main USR1 not */
	mask(SIG_UNBLOCK, SIGUSR1, SIGUSR2);
	to_main();
	/* main accepts USR2 too: the leader is chosen, not the sender */
	kill(getpid(), SIGUSR2);
	to_main();
	/* altstack */
	stack_t o;
	sigaltstack(NULL, &o);
	printf("worker altstack at start: %s\n", o.ss_flags & SS_DISABLE ? "disabled" : "set");
	altstack(worker_stack);
	tgkill_(my_tid(), SIGTERM);
	printf("worker handler on its own altstack: %s\n", yes(on_stack(worker_stack)));
	to_main();
	/* timedwait: USR2 is blocked here; main sends it after 20 ms */
	mask(SIG_BLOCK, SIGUSR2, 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sem_post(&main_turn);
	int sig = timedwait(SIGUSR2, 5000);
	double ms = ms_since(&t0);
	printf("worker sigtimedwait 5 s: %d after >= 20 ms, < 5 s: %s\n", sig, yes(ms >= 20 && ms < 5000));
	/* a handled signal (USR1) ends the wait */
	fflush(stdout);
	sem_post(&main_turn);
	errno = 0;
	sig = timedwait(SIGUSR2, 5000);
	printf("worker sigtimedwait interrupted: %d, %s, handler ran here: %s\n", sig, errno == EINTR ? "EINTR" : "?",
	       yes(handled_by == my_tid()));
	fflush(stdout);
	sem_post(&main_turn);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	sem_init(&main_turn, 0, 0);
	sem_init(&worker_turn, 0, 0);
	sem_init(&handled, 0, 0);
	main_tid = my_tid();
	signal(SIGHUP, SIG_IGN);
	mask(SIG_BLOCK, SIGUSR1, SIGUSR2);
	mask(SIG_BLOCK, SIGPIPE, 0);
	pthread_t th;
	pthread_create(&th, NULL, worker, NULL);
	wait_sem(&main_turn);

	/* pending: USR2 for the worker alone, USR1 for the process */
	tgkill_(worker_tid, SIGUSR2);
	kill(getpid(), SIGUSR1);
	show_pending("main");
	show_status("status", "/proc/self/status");
	show_task("task worker", worker_tid);
	to_worker();
	show_pending("main");
	show_task("task worker", worker_tid);
	to_worker();

	/* delivery */
	catch(SIGUSR1, on_signal, 0);
	catch(SIGUSR2, on_signal, 0);
	kill(getpid(), SIGUSR1);
	wait_sem(&handled);
	printf("process USR1 (main blocks it) handled by: %s\n", handled_by == worker_tid ? "worker" : "main");
	mask(SIG_UNBLOCK, SIGUSR2, 0);
	sem_post(&worker_turn);
	wait_sem(&handled);
	printf("process USR2 (sent by the worker) handled by: %s\n", handled_by == main_tid ? "main" : "worker");
	wait_sem(&main_turn);
	show_status("status", "/proc/self/status");

	/* altstack */
	catch(SIGTERM, on_term, SA_ONSTACK);
	altstack(main_stack);
	to_worker();
	stack_t o;
	sigaltstack(NULL, &o);
	printf("main altstack kept: %s\n", yes(o.ss_sp == main_stack && !(o.ss_flags & SS_DISABLE)));
	tgkill_(my_tid(), SIGTERM);
	printf("main handler on its own altstack: %s\n", yes(on_stack(main_stack)));
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		sigaltstack(NULL, &o);
		_exit(o.ss_sp == main_stack && !(o.ss_flags & SS_DISABLE) ? 0 : 1);
	}
	int status = 0;
	waitpid(child, &status, 0);
	printf("forked child keeps the altstack: %s\n", yes(WIFEXITED(status) && WEXITSTATUS(status) == 0));

	/* timedwait */
	struct timespec t0;
	errno = 0;
	int r = timedwait(SIGUSR1, 0);
	printf("main sigtimedwait 0: %d, %s\n", r, errno == EAGAIN ? "EAGAIN" : "?");
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	struct timespec bad = {0, 1000000000};
	errno = 0;
	r = sigtimedwait(&s, NULL, &bad);
	printf("main sigtimedwait bad timeout: %d, %s\n", r, errno == EINVAL ? "EINVAL" : "?");
	mask(SIG_BLOCK, SIGUSR1, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	r = timedwait(SIGUSR1, 30);
	double ms = ms_since(&t0);
	printf("main sigtimedwait 30 ms: %d, %s, after >= 30 ms, < 1 s: %s\n", r, errno == EAGAIN ? "EAGAIN" : "?",
	       yes(ms >= 30 && ms < 1000));
	sem_post(&worker_turn);
	wait_sem(&main_turn);
	struct timespec pause_ = {0, 20000000};
	nanosleep(&pause_, NULL);
	tgkill_(worker_tid, SIGUSR2);
	wait_sem(&main_turn);
	nanosleep(&pause_, NULL);
	tgkill_(worker_tid, SIGUSR1);
	wait_sem(&handled);
	wait_sem(&main_turn);
	pthread_join(th, NULL);
	show_status("status at the end", "/proc/self/status");
	printf("done\n");
	return 0;
}
