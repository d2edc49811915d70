/* signals — signal handlers, as a program and a shell use them.
 *
 * Memory behaviour: each handler runs on a signal frame the kernel writes
 * to the user stack (or to an alternate stack from sigaltstack(2)): the
 * kernel's copy_to_user into the stack's pages; rt_sigreturn reads it
 * back. A write to a read-only page and to an unmapped one are caught by a
 * SIGSEGV handler (si_addr names the page) and left with siglongjmp.
 *
 * In turn: a handler for SIGUSR1 sent by kill(getpid()), SA_SIGINFO (the
 * sender and the code), a signal blocked while pending then delivered on
 * unblocking, sa_mask, SA_RESETHAND, an ignored signal, SIGSEGV caught twice,
 * SIGPIPE ignored (EPIPE), sigaltstack, SIGCHLD with wait, a pipe read
 * interrupted by a child's kill without SA_RESTART (EINTR) and with it
 * (the read goes on), sigsuspend, sigwait, and a floating-point loop interrupted by
 * a handler that does floating point too (its registers survive).
 *
 * Prints one line per check; exits 0. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t count;
static volatile int last_signo, last_code, last_pid_ok;
static volatile uintptr_t fault_addr;
static volatile int fault_code;
static sigjmp_buf env;
static char altstack[65536];
static volatile int on_alt;
static volatile int chld_ok;
static int ack_fd = -1;

static void on_usr(int sig)
{
	(void)sig;
	count++;
	if (ack_fd >= 0) {
		char c = 'a';
		if (write(ack_fd, &c, 1) != 1)
			_exit(3);
	}
}

static volatile int mask_in_handler;
static void on_mask(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	mask_in_handler = sigismember(&cur, SIGUSR2) && sigismember(&cur, sig);
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	last_signo = sig == si->si_signo ? sig : -1;
	last_code = si->si_code;
	last_pid_ok = si->si_pid == getpid();
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = (uintptr_t)si->si_addr;
	fault_code = si->si_code;
	siglongjmp(env, 1);
}

/* Makes the page writable and returns: the write is made again. */
static char *fixable;
static long fixable_len;
static void on_segv_fix(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = (uintptr_t)si->si_addr;
	mprotect(fixable, (size_t)fixable_len, PROT_READ | PROT_WRITE);
}

static void on_alt_check(int sig)
{
	(void)sig;
	char here;
	stack_t now;
	on_alt = (uintptr_t)&here >= (uintptr_t)altstack && (uintptr_t)&here < (uintptr_t)altstack + sizeof altstack &&
		 sigaltstack(NULL, &now) == 0 && (now.ss_flags & SS_ONSTACK);
}

static pid_t child_pid;
static volatile pid_t chld_pid;
static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	/* child_pid may not be set yet: the child can end before fork returns */
	chld_pid = si->si_pid;
	chld_ok = si->si_code == CLD_EXITED && si->si_status == 7;
}

/* A handler that computes in floating point: its registers are its own. */
static volatile double fp_sink;
static void on_fp(int sig)
{
	double h = sig;
	for (int i = 0; i < 1000; i++)
		h = h * 1.25 + 0.75 / (i + 1);
	fp_sink = h;
	count++;
}

/* A child that sends `sig` to this process and ends. */
static pid_t child_sends(int sig)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		kill(getppid(), sig);
		_exit(0);
	}
	return pid;
}

static void handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		perror("sigaction");
}

static void handle_info(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		perror("sigaction");
}

static void basic(void)
{
	handle(SIGUSR1, on_usr, 0);
	kill(getpid(), SIGUSR1);
	printf("kill self: handler ran %d time(s)\n", (int)count);

	handle_info(SIGUSR2, on_info, 0);
	kill(getpid(), SIGUSR2);
	printf("siginfo: signo %s, code SI_USER %s, pid %s\n", last_signo == SIGUSR2 ? "ok" : "wrong",
	       last_code == SI_USER ? "yes" : "no", last_pid_ok ? "ok" : "wrong");

	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	count = 0;
	raise(SIGUSR1);
	sigpending(&pending);
	printf("blocked: pending %s, handler ran %d time(s)\n", sigismember(&pending, SIGUSR1) ? "yes" : "no",
	       (int)count);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("unblocked: handler ran %d time(s)\n", (int)count);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_mask;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	sigset_t after;
	sigprocmask(SIG_SETMASK, NULL, &after);
	printf("sa_mask: SIGUSR2 and SIGUSR1 blocked in the handler: %s, after it: %s\n", mask_in_handler ? "yes" : "no",
	       sigismember(&after, SIGUSR2) || sigismember(&after, SIGUSR1) ? "still" : "no more");

	handle(SIGUSR1, on_usr, SA_RESETHAND);
	count = 0;
	raise(SIGUSR1);
	struct sigaction now;
	sigaction(SIGUSR1, NULL, &now);
	printf("SA_RESETHAND: handler ran %d time(s), now %s\n", (int)count,
	       now.sa_handler == SIG_DFL ? "SIG_DFL" : "still caught");

	handle(SIGUSR1, SIG_IGN, 0);
	raise(SIGUSR1);
	printf("SIG_IGN: still running\n");
}

static void segv(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *ro = mmap(NULL, (size_t)page * 2, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED) {
		perror("mmap");
		return;
	}
	handle_info(SIGSEGV, on_segv, 0);
	if (sigsetjmp(env, 1) == 0) {
		((volatile char *)ro)[100] = 1;
		printf("SIGSEGV: the write went through?\n");
	} else {
		printf("SIGSEGV: write to read-only page caught at offset %ld, SEGV_ACCERR %s\n",
		       (long)(fault_addr - (uintptr_t)ro), fault_code == SEGV_ACCERR ? "yes" : "no");
	}
	munmap(ro + page, (size_t)page);
	if (sigsetjmp(env, 1) == 0) {
		((volatile char *)ro)[page + 8] = 1;
		printf("SIGSEGV: the write went through?\n");
	} else {
		printf("SIGSEGV: write to unmapped page caught at offset %ld into it, SEGV_MAPERR %s\n",
		       (long)(fault_addr - (uintptr_t)ro - (uintptr_t)page), fault_code == SEGV_MAPERR ? "yes" : "no");
	}
	handle(SIGSEGV, SIG_DFL, 0);
	munmap(ro, (size_t)page);

	/* The handler returns: the faulting store runs again from the
	 * registers it had, in the middle of a loop that keeps them busy (the
	 * first half of the array is on a writable page, the second half on a
	 * read-only one: the fault comes in the fifth round). */
	fixable_len = page;
	char *two = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (two == MAP_FAILED)
		return;
	fixable = two + page;
	mprotect(fixable, (size_t)page, PROT_READ);
	handle_info(SIGSEGV, on_segv_fix, 0);
	volatile long *v = (volatile long *)(fixable - 4 * sizeof(long));
	long sum = 7;
	for (int i = 0; i < 8; i++) {
		sum = sum * 3 + i;
		v[i] = sum;
	}
	handle(SIGSEGV, SIG_DFL, 0);
	printf("SIGSEGV: the handler made the page writable and returned: fault at offset %ld, v = %ld %ld %ld\n",
	       (long)(fault_addr - (uintptr_t)fixable), v[0], v[4], v[7]);
	munmap(two, (size_t)page * 2);
}

static void pipes_and_stacks(void)
{
	int fds[2];
	handle(SIGPIPE, SIG_IGN, 0);
	if (pipe(fds) != 0)
		return;
	close(fds[0]);
	ssize_t n = write(fds[1], "x", 1);
	printf("SIGPIPE ignored: write %zd, %s\n", n, n < 0 && errno == EPIPE ? "EPIPE" : "?");
	close(fds[1]);

	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
	if (sigaltstack(&ss, NULL) != 0)
		perror("sigaltstack");
	handle(SIGUSR2, on_alt_check, SA_ONSTACK);
	raise(SIGUSR2);
	printf("sigaltstack: handler on the alternate stack: %s\n", on_alt ? "yes" : "no");
	stack_t old;
	sigaltstack(NULL, &old);
	printf("sigaltstack: outside the handler SS_ONSTACK %s\n", old.ss_flags & SS_ONSTACK ? "set" : "clear");
}

static void sigchld(void)
{
	handle_info(SIGCHLD, on_chld, 0);
	fflush(stdout);
	child_pid = fork();
	if (child_pid == 0)
		_exit(7);
	int status;
	pid_t w = waitpid(child_pid, &status, 0);
	printf("SIGCHLD: handler saw the child exit with 7: %s; wait: %s\n", chld_ok && chld_pid == w ? "yes" : "no",
	       w == child_pid && WIFEXITED(status) && WEXITSTATUS(status) == 7 ? "ok" : "wrong");
	handle(SIGCHLD, SIG_DFL, 0);
}

/* The parent reads a pipe; the child signals it while it waits (after a
 * pause, natively), waits for the handler's word on a second pipe (its end
 * of the first stays open until then: no end of file for the read) and,
 * for the restart, writes a byte the restarted read gets. */
static void interrupted_read(int restart)
{
	int data[2], ack[2];
	if (pipe(data) != 0 || pipe(ack) != 0)
		return;
	handle(SIGUSR1, on_usr, restart ? SA_RESTART : 0);
	count = 0;
	ack_fd = ack[1];
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(data[0]);
		usleep(200000);
		kill(getppid(), SIGUSR1);
		char c;
		if (read(ack[0], &c, 1) != 1 || (restart && write(data[1], "x", 1) != 1))
			_exit(1);
		_exit(0);
	}
	close(data[1]);
	char buf[4] = {0};
	ssize_t n = read(data[0], buf, sizeof buf);
	int err = errno;
	waitpid(pid, NULL, 0);
	if (restart)
		printf("SA_RESTART: read returned %zd \"%s\", handler ran %d time(s)\n", n, n > 0 ? buf : "", (int)count);
	else
		printf("no SA_RESTART: read returned %zd (%s), handler ran %d time(s)\n", n,
		       n < 0 && err == EINTR ? "EINTR" : "?", (int)count);
	ack_fd = -1;
	close(data[0]);
	close(ack[0]);
	close(ack[1]);
}

static void suspend(void)
{
	sigset_t set, old, none;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	handle(SIGUSR1, on_usr, 0);
	count = 0;
	pid_t pid = child_sends(SIGUSR1);
	sigemptyset(&none);
	int rc = sigsuspend(&none);
	int err = errno;
	sigset_t after;
	sigprocmask(SIG_SETMASK, NULL, &after);
	waitpid(pid, NULL, 0);
	printf("sigsuspend: returned %d (%s), handler ran %d time(s), SIGUSR1 blocked again: %s\n", rc,
	       err == EINTR ? "EINTR" : "?", (int)count, sigismember(&after, SIGUSR1) ? "yes" : "no");
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* sigwait (rt_sigtimedwait): a blocked signal taken without a handler. */
static void wait_for_signal(void)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid_t pid = child_sends(SIGUSR2);
	int sig = 0, rc = sigwait(&set, &sig);
	waitpid(pid, NULL, 0);
	printf("sigwait: returned %d with %s\n", rc, sig == SIGUSR2 ? "SIGUSR2" : "?");
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* A loop that keeps its values in floating-point registers, interrupted
 * by a handler (a child's kill, delivered whenever it comes). */
static void fp_registers(void)
{
	handle(SIGUSR1, on_fp, 0);
	count = 0;
	pid_t pid = child_sends(SIGUSR1);
	double a = 1.0, b = 0.5;
	for (int i = 0; i < 3000000; i++) {
		a = a * 0.999999 + b;
		b = b * 1.0000001;
	}
	waitpid(pid, NULL, 0);
	printf("floating point: %.6f %.6f, handler ran %d time(s)\n", a, b, (int)count);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	basic();
	segv();
	pipes_and_stacks();
	sigchld();
	interrupted_read(0);
	interrupted_read(1);
	suspend();
	wait_for_signal();
	fp_registers();
	return 0;
}
