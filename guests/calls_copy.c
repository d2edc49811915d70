/* waitid, sendfile and copy_file_range with Linux's exact answers.
 *
 * waitid: P_PID, P_PGID, P_ALL; WEXITED, WNOWAIT (the child stays
 * waitable), WNOHANG (nothing ready: a zeroed siginfo), WSTOPPED and
 * WCONTINUED alone (an exited child is not theirs); the siginfo as the
 * kernel fills it (si_signo, si_errno, si_code, si_pid, si_uid, si_status,
 * and nothing else: the bytes around them keep what was there), CLD_EXITED
 * and CLD_KILLED; its errors (EINVAL, ECHILD, EBADF for P_PIDFD on a
 * descriptor that is no pidfd, EFAULT).
 * sendfile: from a file at its own position or at *offset (the position
 * then stays), to a file and to a pipe, at and past the end; its errors
 * (EBADF, ESPIPE, EINVAL, EFAULT, EPIPE).
 * copy_file_range: between files, at their positions or at offsets, to the
 * end, within one file; its errors (EINVAL, EBADF, EISDIR, EFAULT). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static const char *res(long rc)
{
	static char buf[64];
	if (rc >= 0) {
		snprintf(buf, sizeof buf, "%ld", rc);
		return buf;
	}
	switch (errno) {
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case ESPIPE: return "ESPIPE";
	case ECHILD: return "ECHILD";
	case EFAULT: return "EFAULT";
	case EISDIR: return "EISDIR";
	case EPIPE: return "EPIPE";
	case EXDEV: return "EXDEV";
	case EOVERFLOW: return "EOVERFLOW";
	case EFBIG: return "EFBIG";
	default: return strerror(errno);
	}
}

static long waitid5(int idtype, long id, void *info, int options, void *ru)
{
	return syscall(SYS_waitid, idtype, id, info, options, ru);
}

/* The siginfo fields waitid writes, and two spots it leaves alone (the
 * padding after si_code, the word after si_status), filled with 0xa5. */
static void show_siginfo(const char *what, long rc, const unsigned char *si, pid_t child)
{
	int32_t w[7];
	memcpy(w, si, sizeof w);
	printf("%s: %s, signo %d errno %d code %d pid %s uid %d status %d, untouched %s\n", what, res(rc), w[0],
	       w[1], w[2], w[4] == 0 ? "0" : w[4] == child ? "child" : "other", w[5], w[6],
	       si[12] == 0xa5 && si[15] == 0xa5 && si[28] == 0xa5 && si[31] == 0xa5 ? "yes" : "no");
}

static long waitid_show(const char *what, int idtype, long id, int options, pid_t child)
{
	unsigned char si[128];
	memset(si, 0xa5, sizeof si);
	long rc = waitid5(idtype, id, si, options, NULL);
	show_siginfo(what, rc, si, child);
	return rc;
}

/* A child that exits with `code`, or dies of `sig` when sig != 0. */
static pid_t child(int code, int sig)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (sig) {
			signal(sig, SIG_DFL);   /* whatever the parent was given */
			raise(sig);
		}
		_exit(code);
	}
	return pid;
}

/* A child that waits for its pipe to close. */
static pid_t waiting_child(int *wfd)
{
	int p[2];
	if (pipe(p))
		exit(1);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		while (read(p[0], &c, 1) > 0)
			;
		_exit(7);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static void test_waitid(void)
{
	unsigned char si[128];
	pid_t c = child(3, 0);
	waitid_show("waitid P_PID WNOWAIT", P_PID, c, WEXITED | WNOWAIT, c);
	waitid_show("waitid P_PID again", P_PID, c, WEXITED, c);
	waitid_show("waitid P_PID reaped", P_PID, c, WEXITED, c);

	c = child(0, SIGKILL);
	waitid_show("waitid P_ALL killed", P_ALL, 0, WEXITED, c);
	/* Once it is known dead (WNOWAIT), the WNOHANG answers are certain. */
	c = child(0, SIGTERM);
	waitid_show("waitid P_ALL WNOWAIT killed", P_ALL, 0, WEXITED | WNOWAIT, c);
	waitid_show("waitid WSTOPPED|WNOHANG", P_ALL, 0, WSTOPPED | WNOHANG, c);
	waitid_show("waitid WCONTINUED|WNOHANG", P_ALL, 0, WCONTINUED | WNOHANG, c);
	waitid_show("waitid WNOWAIT|WNOHANG", P_ALL, 0, WEXITED | WNOWAIT | WNOHANG, c);
	int status = -1;
	pid_t got = waitpid(c, &status, 0);
	printf("wait4 after it: %s, signal %d\n", got == c ? "child" : "other", WIFSIGNALED(status) ? WTERMSIG(status) : -1);

	int wfd;
	c = waiting_child(&wfd);
	waitid_show("waitid WNOHANG running", P_ALL, 0, WEXITED | WNOHANG, c);
	waitid_show("waitid P_PGID 0 WNOHANG running", P_PGID, 0, WEXITED | WNOHANG, c);
	close(wfd);
	waitid_show("waitid P_PGID own group", P_PGID, getpgrp(), WEXITED, c);

	/* A child in a group of its own. */
	int p[2];
	if (pipe(p))
		exit(1);
	c = fork();
	if (c == 0) {
		setpgid(0, 0);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		_exit(5);
	}
	char x;
	if (read(p[0], &x, 1) != 1)
		exit(1);
	waitid_show("waitid P_PGID of my group", P_PGID, 0, WEXITED | WNOHANG, c);
	waitid_show("waitid P_PGID of its group", P_PGID, c, WEXITED, c);

	waitid_show("waitid no child", P_ALL, 0, WEXITED, 0);
	waitid_show("waitid P_PID not a child", P_PID, 1, WEXITED, 0);
	waitid_show("waitid options 0", P_ALL, 0, 0, 0);
	waitid_show("waitid WNOHANG alone", P_ALL, 0, WNOHANG, 0);
	waitid_show("waitid unknown option", P_ALL, 0, WEXITED | 0x100, 0);
	waitid_show("waitid idtype 42", 42, 0, WEXITED, 0);
	waitid_show("waitid P_PID 0", P_PID, 0, WEXITED, 0);
	waitid_show("waitid P_PID -1", P_PID, -1, WEXITED, 0);
	waitid_show("waitid P_PGID -1", P_PGID, -1, WEXITED, 0);
	waitid_show("waitid P_PIDFD -1", P_PIDFD, -1, WEXITED, 0);
	waitid_show("waitid P_PIDFD 99", P_PIDFD, 99, WEXITED, 0);
	waitid_show("waitid P_PIDFD of a file", P_PIDFD, 1, WEXITED, 0);

	c = child(4, 0);
	printf("waitid NULL infop: %s\n", res(waitid5(P_PID, c, NULL, WEXITED, NULL)));
	printf("then: %s\n", res(waitid5(P_PID, c, si, WEXITED, NULL)));
	c = child(4, 0);
	printf("waitid bad infop: %s\n", res(waitid5(P_PID, c, (void *)8, WEXITED, NULL)));
	printf("then: %s\n", res(waitid5(P_PID, c, si, WEXITED, NULL)));
	printf("waitid bad infop, no child: %s\n", res(waitid5(P_ALL, 0, (void *)8, WEXITED, NULL)));
	c = child(4, 0);
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	long rc = waitid5(P_PID, c, si, WEXITED, &ru);
	printf("waitid rusage: %s, written %s\n", res(rc), ru.ru_maxrss >= 0 && ru.ru_minflt >= 0 ? "yes" : "no");
	c = child(4, 0);
	printf("waitid bad rusage: %s\n", res(waitid5(P_PID, c, si, WEXITED, (void *)8)));
	printf("then: %s\n", res(waitid5(P_PID, c, si, WEXITED, NULL)));
	printf("wait4 WNOWAIT: %s\n", res(syscall(SYS_wait4, -1, NULL, WNOWAIT, NULL)));
}

static int make_file(const char *name, int size)
{
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char buf[256];
	for (int off = 0; off < size; off += (int)sizeof buf) {
		int n = size - off < (int)sizeof buf ? size - off : (int)sizeof buf;
		for (int i = 0; i < n; i++)
			buf[i] = (char)('a' + (off + i) % 26);
		if (write(fd, buf, (size_t)n) != n)
			exit(1);
	}
	return fd;
}

/* Whether file `name` holds `len` bytes of the pattern from `from` at `at`,
 * and its size. */
static void check_copy(const char *what, const char *name, long at, long from, long len)
{
	int fd = open(name, O_RDONLY);
	struct stat st;
	fstat(fd, &st);
	char *b = malloc((size_t)len + 1);
	long got = pread(fd, b, (size_t)len, at);
	int same = got == len;
	for (long i = 0; same && i < len; i++)
		same = b[i] == (char)('a' + (from + i) % 26);
	printf("%s: size %ld, bytes %s\n", what, (long)st.st_size, same ? "right" : "wrong");
	free(b);
	close(fd);
}

static long pos(int fd)
{
	return (long)lseek(fd, 0, SEEK_CUR);
}

static void test_sendfile(void)
{
	int in = make_file("src", 10000);
	lseek(in, 0, SEEK_SET);
	int out = open("dst", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	printf("sendfile 5000: %s", res(sendfile(out, in, NULL, 5000)));
	printf(", in at %ld, out at %ld\n", pos(in), pos(out));
	off_t off = 100;
	printf("sendfile at offset 100: %s", res(sendfile(out, in, &off, 50)));
	printf(", offset %ld, in at %ld, out at %ld\n", (long)off, pos(in), pos(out));
	check_copy("dst", "dst", 0, 0, 5000);
	check_copy("dst tail", "dst", 5000, 100, 50);
	off = 9990;
	printf("sendfile near the end: %s", res(sendfile(out, in, &off, 100)));
	printf(", offset %ld\n", (long)off);
	off = 20000;
	printf("sendfile past the end: %s", res(sendfile(out, in, &off, 100)));
	printf(", offset %ld\n", (long)off);
	printf("sendfile count 0: %s\n", res(sendfile(out, in, NULL, 0)));
	lseek(in, 9000, SEEK_SET);
	printf("sendfile the rest: %s", res(sendfile(out, in, NULL, 4096)));
	printf(", in at %ld\n", pos(in));

	int p[2];
	if (pipe(p))
		exit(1);
	off = 26;
	printf("sendfile to a pipe: %s", res(sendfile(p[1], in, &off, 30)));
	printf(", offset %ld", (long)off);
	char buf[64] = "";
	long n = read(p[0], buf, sizeof buf);
	printf(", read %s \"%.30s\"\n", res(n), buf);
	int null = open("/dev/null", O_WRONLY);
	off = 0;
	printf("sendfile to /dev/null: %s", res(sendfile(null, in, &off, 777)));
	printf(", offset %ld\n", (long)off);

	int wo = open("src", O_WRONLY);
	int rdonly = open("dst", O_RDONLY);
	int app = open("dst", O_WRONLY | O_APPEND);
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	printf("sendfile bad in: %s\n", res(sendfile(out, 99, NULL, 10)));
	printf("sendfile bad out: %s\n", res(sendfile(99, in, NULL, 10)));
	printf("sendfile in write-only: %s\n", res(sendfile(out, wo, NULL, 10)));
	printf("sendfile out read-only: %s\n", res(sendfile(rdonly, in, NULL, 10)));
	printf("sendfile in a pipe with offset: %s\n", res(sendfile(out, p[0], &off, 10)));
	if (write(p[1], "abc", 3) != 3)
		exit(1);
	printf("sendfile in a pipe: %s\n", res(sendfile(out, p[0], NULL, 10)));
	printf("sendfile in a directory: %s\n", res(sendfile(out, dir, NULL, 10)));
	off = -1;
	printf("sendfile negative offset: %s\n", res(sendfile(out, in, &off, 10)));
	printf("sendfile bad offset pointer: %s\n", res(sendfile(out, in, (off_t *)8, 10)));
	printf("sendfile count past SSIZE_MAX: %s\n", res(sendfile(out, in, NULL, (size_t)-1)));
	printf("sendfile out O_APPEND: %s\n", res(sendfile(app, in, NULL, 10)));

	/* The transfer is made before *offset is written back. */
	off_t *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*ro = 0;
	mprotect(ro, 4096, PROT_READ);
	long before = pos(out);
	printf("sendfile read-only offset: %s", res(sendfile(out, in, ro, 10)));
	printf(", out moved %ld\n", pos(out) - before);

	signal(SIGPIPE, SIG_IGN);
	close(p[0]);
	off = 0;
	printf("sendfile to a pipe without reader: %s\n", res(sendfile(p[1], in, &off, 10)));
	close(p[1]);
	close(wo);
	close(rdonly);
	close(app);
	close(dir);
	close(null);
	close(in);
	close(out);
}

static long cfr(int fd_in, off_t *off_in, int fd_out, off_t *off_out, size_t len, unsigned flags)
{
	return syscall(SYS_copy_file_range, fd_in, off_in, fd_out, off_out, len, flags);
}

static void test_copy_file_range(void)
{
	int in = make_file("cin", 10000);
	lseek(in, 0, SEEK_SET);
	int out = open("cout", O_RDWR | O_CREAT | O_TRUNC, 0644);
	printf("copy_file_range 4000: %s", res(cfr(in, NULL, out, NULL, 4000, 0)));
	printf(", in at %ld, out at %ld\n", pos(in), pos(out));
	off_t oi = 1000, oo = 8000;
	printf("copy_file_range at offsets: %s", res(cfr(in, &oi, out, &oo, 500, 0)));
	printf(", offsets %ld %ld, in at %ld, out at %ld\n", (long)oi, (long)oo, pos(in), pos(out));
	check_copy("cout", "cout", 0, 0, 4000);
	check_copy("cout at 8000", "cout", 8000, 1000, 500);
	oi = 9000;
	printf("copy_file_range to the end: %s", res(cfr(in, &oi, out, NULL, 5000, 0)));
	printf(", offset %ld, out at %ld\n", (long)oi, pos(out));
	printf("copy_file_range at the end: %s\n", res(cfr(in, &oi, out, NULL, 5000, 0)));
	oi = 50000;
	printf("copy_file_range past the end: %s", res(cfr(in, &oi, out, NULL, 10, 0)));
	printf(", offset %ld\n", (long)oi);
	printf("copy_file_range len 0: %s\n", res(cfr(in, NULL, out, NULL, 0, 0)));
	oi = 0, oo = 2000;
	printf("copy_file_range same file, apart: %s\n", res(cfr(in, &oi, in, &oo, 100, 0)));
	oi = 0, oo = 50;
	printf("copy_file_range same file, overlapping: %s\n", res(cfr(in, &oi, in, &oo, 100, 0)));
	oi = 9950, oo = 9900;
	printf("copy_file_range same file, overlapping at the end: %s\n", res(cfr(in, &oi, in, &oo, 500, 0)));
	oi = 9990, oo = 9900;
	printf("copy_file_range same file, apart at the end: %s\n", res(cfr(in, &oi, in, &oo, 500, 0)));

	int p[2];
	if (pipe(p))
		exit(1);
	int wo = open("cin", O_WRONLY);
	int ro = open("cout", O_RDONLY);
	int app = open("cout", O_WRONLY | O_APPEND);
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	int null = open("/dev/null", O_RDWR);
	printf("copy_file_range flags 1: %s\n", res(cfr(in, NULL, out, NULL, 10, 1)));
	printf("copy_file_range flags 1, bad fd: %s\n", res(cfr(99, NULL, out, NULL, 10, 1)));
	printf("copy_file_range bad in: %s\n", res(cfr(99, NULL, out, NULL, 10, 0)));
	printf("copy_file_range bad out: %s\n", res(cfr(in, NULL, 99, NULL, 10, 0)));
	printf("copy_file_range in write-only: %s\n", res(cfr(wo, NULL, out, NULL, 10, 0)));
	printf("copy_file_range out read-only: %s\n", res(cfr(in, NULL, ro, NULL, 10, 0)));
	printf("copy_file_range out O_APPEND: %s\n", res(cfr(in, NULL, app, NULL, 10, 0)));
	printf("copy_file_range in a directory: %s\n", res(cfr(dir, NULL, out, NULL, 10, 0)));
	printf("copy_file_range out a directory: %s\n", res(cfr(in, NULL, dir, NULL, 10, 0)));
	printf("copy_file_range in a pipe: %s\n", res(cfr(p[0], NULL, out, NULL, 10, 0)));
	printf("copy_file_range out a pipe: %s\n", res(cfr(in, NULL, p[1], NULL, 10, 0)));
	printf("copy_file_range out /dev/null: %s\n", res(cfr(in, NULL, null, NULL, 10, 0)));
	printf("copy_file_range bad off_in: %s\n", res(cfr(in, (off_t *)8, out, NULL, 10, 0)));
	printf("copy_file_range bad off_out: %s\n", res(cfr(in, NULL, out, (off_t *)8, 10, 0)));
	oi = -1;
	printf("copy_file_range negative off_in: %s\n", res(cfr(in, &oi, out, NULL, 10, 0)));
	printf("copy_file_range negative off_in, len 0: %s\n", res(cfr(in, &oi, out, NULL, 0, 0)));
	oo = -1;
	printf("copy_file_range negative off_out: %s\n", res(cfr(in, NULL, out, &oo, 10, 0)));
	oi = 0;
	printf("copy_file_range len past SSIZE_MAX: %s\n", res(cfr(in, &oi, out, NULL, (size_t)-1 / 2 + 1, 0)));
	/* FICLONE, which cp tries first: ext4 (and the model) share no extents. */
	printf("FICLONE: %s\n", res(ioctl(out, FICLONE, in)));
	printf("FICLONE bad source: %s\n", res(ioctl(out, FICLONE, 99)));
	printf("FICLONE source write-only: %s\n", res(ioctl(out, FICLONE, wo)));
	printf("FICLONE into read-only: %s\n", res(ioctl(ro, FICLONE, in)));
	printf("FICLONE into O_APPEND: %s\n", res(ioctl(app, FICLONE, in)));
	printf("FICLONE from a directory: %s\n", res(ioctl(out, FICLONE, dir)));
	printf("FICLONE from a pipe: %s\n", res(ioctl(out, FICLONE, p[0])));
	printf("FICLONE into a pipe: %s\n", res(ioctl(p[1], FICLONE, in)));
	close(p[0]);
	close(p[1]);
	close(wo);
	close(ro);
	close(app);
	close(dir);
	close(null);
	close(in);
	close(out);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_waitid();
	test_sendfile();
	test_copy_file_range();
	return 0;
}
