/* bad_syscalls: system calls with garbage pointers, lengths and numbers, as
 * a hostile or buggy program makes them (through syscall(2), no libc
 * checks in between). Each must fail with the error Linux gives (EFAULT for
 * memory the process cannot access, EINVAL for a bad length or flag, EBADF,
 * ENOSYS ...), never bring the simulator down. Prints one line per call:
 * what was asked and the error name. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define KERNEL_ADDR 0xffff800000001000ul   /* kernel space on both architectures */
#define UNMAPPED 0x1000ul                  /* below mmap_min_addr: never mapped */

static void show(const char *what, long rc)
{
	if (rc < 0)
		printf("%-44s -> %s\n", what, strerrorname_np(errno));
	else
		printf("%-44s -> %ld (succeeded)\n", what, rc);
}

/* A string that runs to the end of a mapped page with no NUL, the next page
 * unmapped: the kernel's copy of it faults. */
static char *unterminated_string(long page)
{
	char *p = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	munmap(p + page, (size_t)page);
	memset(p, 'a', (size_t)page);
	return p + page - 100;
}

static void memory_arguments(long page)
{
	char buf[64];
	int fds[2];
	show("write(1, unmapped, 10)", syscall(SYS_write, 1, UNMAPPED, 10));
	show("write(1, kernel address, 10)", syscall(SYS_write, 1, KERNEL_ADDR, 10));
	show("write(1, NULL, 0)", syscall(SYS_write, 1, 0, 0));
	if (pipe(fds) == 0) {
		show("write(pipe, \"x\", 1)", syscall(SYS_write, fds[1], "x", 1));
		show("read(pipe, unmapped, 1)", syscall(SYS_read, fds[0], UNMAPPED, 1));
		close(fds[0]);
		close(fds[1]);
	}
	show("openat(cwd, unmapped path)", syscall(SYS_openat, AT_FDCWD, UNMAPPED, O_RDONLY));
	char *s = unterminated_string(page);
	if (s)
		show("openat(cwd, path running into a hole)", syscall(SYS_openat, AT_FDCWD, s, O_RDONLY));
	show("newfstatat(cwd, \".\", unmapped)", syscall(SYS_newfstatat, AT_FDCWD, ".", UNMAPPED, 0));
	show("pipe2(unmapped)", syscall(SYS_pipe2, UNMAPPED, 0));
	show("getcwd(unmapped, 100)", syscall(SYS_getcwd, UNMAPPED, 100));
	show("getcwd(buf, 0)", syscall(SYS_getcwd, buf, 0));
	show("uname(kernel address)", syscall(SYS_uname, KERNEL_ADDR));
	show("clock_gettime(MONOTONIC, unmapped)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, UNMAPPED));
	show("clock_gettime(-1, buf)", syscall(SYS_clock_gettime, -1, buf));
	show("rt_sigaction(SIGUSR1, unmapped, NULL, 8)", syscall(SYS_rt_sigaction, SIGUSR1, UNMAPPED, 0, 8));
	show("rt_sigaction(SIGUSR1, NULL, NULL, 3)", syscall(SYS_rt_sigaction, SIGUSR1, 0, 0, 3));
	show("rt_sigprocmask(SIG_BLOCK, unmapped, NULL, 8)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, UNMAPPED, 0, 8));
	struct iovec bad_iov = {(void *)UNMAPPED, 4};
	show("writev(1, {unmapped, 4}, 1)", syscall(SYS_writev, 1, &bad_iov, 1));
	show("writev(1, unmapped iovec array, 1)", syscall(SYS_writev, 1, UNMAPPED, 1));
	show("writev(1, iov, -1)", syscall(SYS_writev, 1, &bad_iov, -1));
	show("execve(unmapped path)", syscall(SYS_execve, UNMAPPED, 0, 0));
	char *argv_bad[] = {(char *)UNMAPPED, NULL};
	show("execve(\"/proc/self/exe\", {unmapped})", syscall(SYS_execve, "/proc/self/exe", argv_bad, 0));
	show("wait4(-1, unmapped, 0, NULL) with no child", syscall(SYS_wait4, -1, UNMAPPED, 0, 0));
}

static void length_and_flag_arguments(long page)
{
	show("mmap(NULL, 0, rw, private|anon)", (long)syscall(SYS_mmap, 0, 0, PROT_READ | PROT_WRITE,
							     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	show("mmap(NULL, 4096, rw, no type flag)", (long)syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_ANONYMOUS, -1, 0));
	show("mmap(page + 1, 4096, rw, fixed|anon)", (long)syscall(SYS_mmap, page + 1, 4096, PROT_READ | PROT_WRITE,
								   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	show("mmap(NULL, -page, rw, private|anon)", (long)syscall(SYS_mmap, 0, -page, PROT_READ | PROT_WRITE,
								  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	show("mmap(NULL, 4096, r, private, fd 999)", (long)syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, 999, 0));
	show("munmap(page + 1, 4096)", syscall(SYS_munmap, page + 1, 4096));
	show("munmap(page, 0)", syscall(SYS_munmap, page, 0));
	show("mprotect(page + 1, 4096, r)", syscall(SYS_mprotect, page + 1, 4096, PROT_READ));
	show("madvise(page + 1, 4096, DONTNEED)", syscall(SYS_madvise, page + 1, 4096, MADV_DONTNEED));
	char buf[8];
	show("read(999, buf, 1)", syscall(SYS_read, 999, buf, 1));
	show("close(-1)", syscall(SYS_close, -1));
	int fd = open("bad_syscalls.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
	show("lseek(regular file, 0, 42)", syscall(SYS_lseek, fd, 0, 42));
	show("ftruncate(regular file, -1)", syscall(SYS_ftruncate, fd, -1));
	show("pread64(regular file, buf, 1, -1)", syscall(SYS_pread64, fd, buf, 1, -1));
	close(fd);
	unlink("bad_syscalls.tmp");
	show("system call 5000", syscall(5000));
	show("system call -1", syscall(-1L));
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	memory_arguments(page);
	length_and_flag_arguments(page);
	printf("still alive\n");
	return 0;
}
