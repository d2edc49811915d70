/* System calls real programs make beyond the core set, and the answers
 * that do not depend on the machine: fdatasync, sync, syncfs and
 * sync_file_range (with their errors), close_range (as glibc's closefrom
 * uses it), sched_getaffinity/sched_setaffinity, the extended-attribute
 * calls' errors, madvise's acceptance of hints, fcntl/ioctl/prctl commands
 * refused as Linux refuses them, the socket calls on descriptors that are
 * not sockets, /dev/null, /dev/zero and /dev/full, and /dev/fd/N. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

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
	case ENOENT: return "ENOENT";
	case ERANGE: return "ERANGE";
	case ESRCH: return "ESRCH";
	case ENOTTY: return "ENOTTY";
	case E2BIG: return "E2BIG";
	case ENOTSOCK: return "ENOTSOCK";
	case ENOSPC: return "ENOSPC";
	case EEXIST: return "EEXIST";
	default: return strerror(errno);
	}
}

int main(void)
{
	int fd = open("sync.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "some data\n", 10) != 10)
		return 1;
	printf("fdatasync: %s\n", res(fdatasync(fd)));
	printf("fdatasync(99): %s\n", res(fdatasync(99)));
	sync();
	printf("syncfs: %s\n", res(syncfs(fd)));
	printf("syncfs(99): %s\n", res(syncfs(99)));
	printf("sync_file_range write: %s\n", res(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)));
	printf("sync_file_range bad flags: %s\n", res(sync_file_range(fd, 0, 0, 8)));
	printf("sync_file_range negative offset: %s\n", res(sync_file_range(fd, -1, 0, 0)));
	int p[2];
	if (pipe(p))
		return 1;
	printf("sync_file_range on a pipe: %s\n", res(sync_file_range(p[0], 0, 0, 0)));

	printf("close_range first > last: %s\n", res(syscall(SYS_close_range, 5, 4, 0)));
	printf("close_range bad flags: %s\n", res(syscall(SYS_close_range, 3, 10, 1)));
	printf("close_range cloexec: %s\n", res(syscall(SYS_close_range, 3, ~0u, 4)));
	printf("close_range 3..~0: %s\n", res(syscall(SYS_close_range, 3, ~0u, 0)));
	printf("after it, fcntl(fd): %s\n", res(fcntl(fd, F_GETFD)));
	printf("after it, pipe end: %s\n", res(fcntl(p[1], F_GETFD)));

	cpu_set_t set;
	CPU_ZERO(&set);
	long n = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
	printf("sched_getaffinity: %s, CPU 0 %s\n", n > 0 ? "a mask" : res(n), CPU_ISSET(0, &set) ? "in it" : "missing");
	printf("sched_getaffinity len 3: %s\n", res(syscall(SYS_sched_getaffinity, 0, 3, &set)));
	printf("sched_getaffinity pid -1: %s\n", res(syscall(SYS_sched_getaffinity, -1, sizeof set, &set)));
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	printf("sched_setaffinity CPU 0: %s\n", res(sched_setaffinity(0, sizeof set, &set)));
	CPU_ZERO(&set);
	printf("sched_setaffinity no CPU: %s\n", res(sched_setaffinity(0, sizeof set, &set)));

	char v[16];
	printf("getxattr missing file: %s\n", res(getxattr("nothing", "user.a", v, sizeof v)));
	printf("lgetxattr empty name: %s\n", res(lgetxattr("sync.dat", "", v, sizeof v)));
	printf("fgetxattr(99): %s\n", res(fgetxattr(99, "user.a", v, sizeof v)));
	printf("setxattr bad flags: %s\n", res(setxattr("sync.dat", "user.a", "x", 1, 8)));
	printf("setxattr too big: %s\n", res(syscall(SYS_setxattr, "sync.dat", "user.a", "x", 65537, 0)));
	printf("llistxattr missing file: %s\n", res(llistxattr("nothing", v, sizeof v)));
	printf("fremovexattr(99): %s\n", res(fremovexattr(99, "user.a")));

	struct statfs sf = {0};
	int rc = statfs("/proc", &sf);
	printf("statfs /proc: %s, type %#lx\n", res(rc), (long)sf.f_type);
	int pfd[2];
	rc = pipe(pfd) ? -1 : fstatfs(pfd[0], &sf);
	printf("fstatfs of a pipe: %s, type %#lx\n", res(rc), (long)sf.f_type);
	rc = statfs(".", &sf);
	printf("statfs .: %s, name length %ld, ST_VALID %d, read-only %d\n", res(rc), (long)sf.f_namelen,
	       !!(sf.f_flags & 0x20 /* ST_VALID */), !!(sf.f_flags & ST_RDONLY));
	printf("statfs missing file: %s\n", res(statfs("nothing", &sf)));
	printf("statfs bad buffer: %s\n", res(statfs(".", (struct statfs *)8)));
	printf("fstatfs(99): %s\n", res(fstatfs(99, &sf)));

	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* (madvise's EINVAL for unknown advice is not checked here: qemu-user
	 * answers every madvise with 0.) */
	printf("madvise MADV_RANDOM: %s\n", res(madvise(m, 4096, MADV_RANDOM)));
	printf("madvise MADV_FREE: %s\n", res(madvise(m, 4096, MADV_FREE)));
	printf("madvise MADV_DONTDUMP: %s\n", res(madvise(m, 4096, MADV_DONTDUMP)));

	fd = open("sync.dat", O_RDWR);
	printf("fcntl 12345: %s\n", res(fcntl(fd, 12345)));
	printf("ioctl TCGETS on a file: %s\n", res(ioctl(fd, TCGETS, v)));
	printf("ioctl FIOCLEX: %s\n", res(ioctl(fd, FIOCLEX)));
	printf("prctl 9999: %s\n", res(prctl(9999, 0, 0, 0, 0)));
	printf("prctl PR_GET_DUMPABLE: %s\n", res(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)));

	/* The socket calls on a file and a pipe: not sockets (bash asks
	 * getpeername of its standard input); on a closed descriptor EBADF. */
	struct sockaddr_storage sa;
	socklen_t salen = sizeof sa;
	int one = 1;
	int fds[] = {fd, pfd[0], 99};
	for (int i = 0; i < 3; i++) {
		printf("socket calls on %s:", i == 0 ? "a file" : i == 1 ? "a pipe" : "fd 99");
		printf(" getpeername %s", res(getpeername(fds[i], (struct sockaddr *)&sa, &salen)));
		printf(", getsockname %s", res(getsockname(fds[i], (struct sockaddr *)&sa, &salen)));
		printf(", getsockopt %s", res(getsockopt(fds[i], SOL_SOCKET, SO_TYPE, &one, &salen)));
		printf(", setsockopt %s", res(setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)));
		printf(", shutdown %s\n", res(shutdown(fds[i], SHUT_RDWR)));
	}

	/* The memory devices, there whatever the root holds. */
	struct stat st;
	for (int i = 0; i < 3; i++) {
		const char *dev = i == 0 ? "/dev/null" : i == 1 ? "/dev/zero" : "/dev/full";
		memset(&st, 0, sizeof st);
		rc = stat(dev, &st);
		printf("%s: stat %s, char %d, %u:%u, access W_OK %s", dev, res(rc), S_ISCHR(st.st_mode),
		       major(st.st_rdev), minor(st.st_rdev), res(access(dev, W_OK)));
		int d = open(dev, O_RDWR | O_CREAT | O_TRUNC, 0600);
		char b[4] = {1, 2, 3, 4};
		printf(", read %s", res(read(d, b, sizeof b)));
		printf(" [%d %d]", b[0], b[3]);
		printf(", write %s", res(write(d, "x", 1)));
		printf(", O_EXCL %s\n", res(open(dev, O_WRONLY | O_CREAT | O_EXCL, 0600)));
		close(d);
	}

	/* /dev/fd/N: the descriptor's file again (bash's <(...) passes one). */
	int pp[2];
	char name[32], got[8] = "";
	if (pipe(pp) || write(pp[1], "via fd", 6) != 6)
		return 1;
	snprintf(name, sizeof name, "/dev/fd/%d", pp[0]);
	int d = open(name, O_RDONLY);
	printf("open /dev/fd/N of a pipe: %s", d >= 0 ? "ok" : res(d));
	printf(", read %s \"%s\"\n", res(read(d, got, 6)), got);
	return 0;
}
