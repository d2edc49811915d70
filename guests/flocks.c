/* File locks between processes: fcntl record locks (F_GETLK, F_SETLK,
 * F_SETLKW) over byte ranges (split and merged), dropped when the owner
 * closes any descriptor of the file and when it exits; a waiter woken by
 * another process's unlock; EDEADLK for a cycle of waiters; the
 * open-file-description locks (F_OFD_*) and flock(2), which belong to the
 * description; and the errors for bad requests. Prints what each step
 * saw: no pids, no addresses. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const F = "locks.dat";

static const char *err_name(int e)
{
	switch (e) {
	case 0: return "ok";
	case EAGAIN: return "EAGAIN";
	case EACCES: return "EACCES";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case EDEADLK: return "EDEADLK";
	default: return strerror(e);
	}
}

static int lk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock f = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	return fcntl(fd, cmd, &f) ? errno : 0;
}

/* F_GETLK (or F_OFD_GETLK) for [start, start+len): the lock in the way. */
static void show(const char *who, int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock f = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	if (fcntl(fd, cmd, &f)) {
		printf("%s: getlk %s\n", who, err_name(errno));
		return;
	}
	if (f.l_type == F_UNLCK) {
		printf("%s: [%lld,+%lld) free\n", who, (long long)start, (long long)len);
		return;
	}
	const char *owner = f.l_pid == -1 ? "a description" : f.l_pid == getppid() ? "the parent"
							   : f.l_pid == getpid() ? "me" : "a child";
	printf("%s: [%lld,+%lld) held: %s lock [%lld,+%lld) by %s\n", who, (long long)start, (long long)len,
	       f.l_type == F_WRLCK ? "write" : "read", (long long)f.l_start, (long long)f.l_len, owner);
}

static void wait_child(pid_t pid)
{
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		printf("child failed: %#x\n", st);
}

/* Ranges: the child sees the parent's locks split and merged. */
static void ranges(int fd)
{
	lk(fd, F_SETLK, F_WRLCK, 0, 100);
	lk(fd, F_SETLK, F_UNLCK, 40, 20);     /* split: [0,40) [60,100) */
	lk(fd, F_SETLK, F_WRLCK, 100, 50);    /* merged with [60,100) */
	lk(fd, F_SETLK, F_RDLCK, 10, 10);     /* a read lock inside a write lock */
	pid_t pid = fork();
	if (pid == 0) {
		show("ranges", fd, F_GETLK, F_WRLCK, 0, 10);
		show("ranges", fd, F_GETLK, F_RDLCK, 10, 10);
		show("ranges", fd, F_GETLK, F_WRLCK, 10, 10);
		show("ranges", fd, F_GETLK, F_WRLCK, 40, 20);
		show("ranges", fd, F_GETLK, F_WRLCK, 55, 10);
		show("ranges", fd, F_GETLK, F_RDLCK, 200, 0);
		show("ranges", fd, F_GETLK, F_WRLCK, 149, 0);
		printf("ranges: child setlk write [0,+5): %s\n", err_name(lk(fd, F_SETLK, F_WRLCK, 0, 5)));
		printf("ranges: child setlk read [10,+5): %s\n", err_name(lk(fd, F_SETLK, F_RDLCK, 10, 5)));
		printf("ranges: child setlk write [150,+10): %s\n", err_name(lk(fd, F_SETLK, F_WRLCK, 150, 10)));
		_exit(0);
	}
	wait_child(pid);
	show("ranges", fd, F_GETLK, F_WRLCK, 150, 10);   /* the child's lock went with its exit */
	lk(fd, F_SETLK, F_UNLCK, 0, 0);
}

/* A close of another descriptor of the same file drops the process's locks. */
static void close_drops(int fd)
{
	lk(fd, F_SETLK, F_WRLCK, 0, 0);
	int other = open(F, O_RDONLY);
	close(other);
	pid_t pid = fork();
	if (pid == 0) {
		show("close", fd, F_GETLK, F_WRLCK, 0, 0);
		_exit(0);
	}
	wait_child(pid);
}

/* F_SETLKW sleeps until the holder unlocks; what the holder wrote before
 * unlocking is there when the waiter gets the lock. */
static void waits(int fd)
{
	int p[2];
	if (pipe(p))
		return;
	lk(fd, F_SETLK, F_WRLCK, 0, 10);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (write(p[1], "w", 1) != 1)
			_exit(1);
		int e = lk(fd, F_SETLKW, F_WRLCK, 0, 10);
		char buf[8] = {0};
		if (pread(fd, buf, 7, 0) != 7)
			_exit(1);
		printf("waits: child got the lock (%s) and read \"%s\"\n", err_name(e), buf);
		fflush(stdout);
		_exit(0);
	}
	close(p[1]);
	char c;
	if (read(p[0], &c, 1) != 1)
		return;
	close(p[0]);
	usleep(100000);   /* natively: let the child go to sleep in F_SETLKW */
	if (pwrite(fd, "updated", 7, 0) != 7)
		return;
	lk(fd, F_SETLK, F_UNLCK, 0, 10);
	wait_child(pid);
}

/* Two processes each hold one range and wait for the other's: the second
 * to wait gets EDEADLK (the first keeps waiting, until the unlock). */
static void deadlock(int fd)
{
	int p[2];
	if (pipe(p))
		return;
	lk(fd, F_SETLK, F_WRLCK, 0, 10);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		lk(fd, F_SETLK, F_WRLCK, 10, 10);
		if (write(p[1], "w", 1) != 1)
			_exit(1);
		int e = lk(fd, F_SETLKW, F_WRLCK, 0, 10);
		printf("deadlock: child's wait for [0,+10): %s\n", err_name(e));
		fflush(stdout);
		_exit(0);
	}
	close(p[1]);
	char c;
	if (read(p[0], &c, 1) != 1)
		return;
	close(p[0]);
	usleep(100000);
	printf("deadlock: parent's wait for [10,+10): %s\n", err_name(lk(fd, F_SETLKW, F_WRLCK, 10, 10)));
	fflush(stdout);
	lk(fd, F_SETLK, F_UNLCK, 0, 10);
	wait_child(pid);
}

/* Open-file-description locks: owned by the description, so two opens in
 * one process conflict, and they conflict with POSIX locks too. */
static void ofd(void)
{
	int a = open(F, O_RDWR), b = open(F, O_RDWR);
	struct flock f = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
	printf("ofd: lock a: %s\n", fcntl(a, F_OFD_SETLK, &f) ? err_name(errno) : "ok");
	printf("ofd: lock b: %s\n", fcntl(b, F_OFD_SETLK, &f) ? err_name(errno) : "ok");
	show("ofd", b, F_OFD_GETLK, F_RDLCK, 5, 1);
	printf("ofd: posix lock over it: %s\n", err_name(lk(b, F_SETLK, F_RDLCK, 0, 1)));
	f.l_pid = 1;
	printf("ofd: l_pid set: %s\n", fcntl(a, F_OFD_SETLK, &f) ? err_name(errno) : "ok");
	f.l_pid = 0;
	int d = dup(a);
	close(a);   /* the description lives on in d: so does its lock */
	printf("ofd: lock b after a's close: %s\n", fcntl(b, F_OFD_SETLK, &f) ? err_name(errno) : "ok");
	close(d);
	printf("ofd: lock b after the last close: %s\n", fcntl(b, F_OFD_SETLK, &f) ? err_name(errno) : "ok");
	close(b);
}

/* flock(2): whole-file locks of the description, apart from fcntl's. */
static void bsd(void)
{
	int a = open(F, O_RDONLY), b = open(F, O_RDWR);
	printf("flock: a exclusive: %s\n", flock(a, LOCK_EX) ? err_name(errno) : "ok");
	printf("flock: b shared, non-blocking: %s\n", flock(b, LOCK_SH | LOCK_NB) ? err_name(errno) : "ok");
	printf("flock: fcntl lock of b meanwhile: %s\n", err_name(lk(b, F_SETLK, F_WRLCK, 0, 0)));
	lk(b, F_SETLK, F_UNLCK, 0, 0);
	printf("flock: a again, shared (a conversion): %s\n", flock(a, LOCK_SH) ? err_name(errno) : "ok");
	printf("flock: b shared: %s\n", flock(b, LOCK_SH | LOCK_NB) ? err_name(errno) : "ok");
	printf("flock: b exclusive: %s\n", flock(b, LOCK_EX | LOCK_NB) ? err_name(errno) : "ok");
	flock(a, LOCK_UN);
	printf("flock: b exclusive after a's unlock: %s\n", flock(b, LOCK_EX | LOCK_NB) ? err_name(errno) : "ok");
	int p[2];
	if (pipe(p))
		return;
	pid_t pid = fork();
	if (pid == 0) {   /* the child shares b's description, and its lock */
		printf("flock: child, b exclusive: %s\n", flock(b, LOCK_EX | LOCK_NB) ? err_name(errno) : "ok");
		printf("flock: child, a shared: %s\n", flock(a, LOCK_SH | LOCK_NB) ? err_name(errno) : "ok");
		if (write(p[1], "w", 1) != 1)
			_exit(1);
		int c = open(F, O_RDONLY);
		printf("flock: child, a new open, blocking: %s\n", flock(c, LOCK_SH) ? err_name(errno) : "(got it)");
		_exit(0);
	}
	char ch;
	close(p[1]);
	if (read(p[0], &ch, 1) != 1)
		return;
	close(p[0]);
	usleep(100000);
	flock(b, LOCK_UN);   /* wakes the child */
	wait_child(pid);
	printf("flock: bad operation: %s\n", flock(a, 3) ? err_name(errno) : "ok");
	printf("flock: bad descriptor: %s\n", flock(99, LOCK_SH) ? err_name(errno) : "ok");
	close(a);
	close(b);
}

static void errors(void)
{
	int ro = open(F, O_RDONLY);
	struct flock f = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	printf("errors: write lock, read-only descriptor: %s\n", fcntl(ro, F_SETLK, &f) ? err_name(errno) : "ok");
	f.l_type = F_RDLCK;
	f.l_whence = 7;
	printf("errors: whence 7: %s\n", fcntl(ro, F_SETLK, &f) ? err_name(errno) : "ok");
	f.l_whence = SEEK_SET;
	f.l_start = -1;
	printf("errors: start -1: %s\n", fcntl(ro, F_SETLK, &f) ? err_name(errno) : "ok");
	f.l_start = 10;
	f.l_len = -10;
	printf("errors: start 10, len -10: %s\n", fcntl(ro, F_SETLK, &f) ? err_name(errno) : "ok");
	f.l_len = -11;
	printf("errors: start 10, len -11: %s\n", fcntl(ro, F_SETLK, &f) ? err_name(errno) : "ok");
	f.l_type = 9;
	f.l_len = 0;
	printf("errors: type 9: %s\n", fcntl(ro, F_SETLK, &f) ? err_name(errno) : "ok");
	f.l_type = F_UNLCK;
	printf("errors: getlk of F_UNLCK: %s\n", fcntl(ro, F_GETLK, &f) ? err_name(errno) : "ok");
	f.l_type = F_RDLCK;
	printf("errors: bad descriptor: %s\n", fcntl(99, F_SETLK, &f) ? err_name(errno) : "ok");
	lseek(ro, 100, SEEK_SET);
	f.l_whence = SEEK_CUR;
	f.l_start = -50;
	f.l_len = 10;
	printf("errors: SEEK_CUR - 50: %s\n", fcntl(ro, F_SETLK, &f) ? err_name(errno) : "ok");
	pid_t pid = fork();
	if (pid == 0) {
		show("errors", ro, F_GETLK, F_WRLCK, 0, 0);
		_exit(0);
	}
	wait_child(pid);
	close(ro);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int fd = open(F, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "initial", 7) != 7) {
		perror(F);
		return 1;
	}
	ranges(fd);
	close_drops(fd);
	waits(fd);
	deadlock(fd);
	ofd();
	bsd();
	errors();
	close(fd);
	unlink(F);
	return 0;
}
