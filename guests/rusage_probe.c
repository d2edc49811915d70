/* rusage_probe — what getrusage says a program's memory work cost, region
 * by region, as people measure page faults on a real system.
 *
 * Memory behaviour, one region after another (each measured with
 * getrusage(RUSAGE_SELF) before and after, nothing printed in between):
 *   malloc64    malloc(64 MiB) (an mmap of its own), one byte written per
 *               4 KiB page: one anonymous write fault a page.
 *   file_read   a 16 MiB file written with write(2) (so its pages are in
 *               the page cache: warm), mapped MAP_SHARED and read a byte a
 *               page: minor faults, fewer than pages with fault-around.
 *   file_write  the same mapping written a byte a page: a write-protect
 *               (page_mkwrite) fault a page.
 *   fork_child  4 MiB touched, then fork; the child writes its 1,000 pages
 *               (copy on write) and exits; the parent's wait4 rusage and
 *               RUSAGE_CHILDREN give the child's faults.
 *   stack4m     4 MiB of stack used by recursion, a page a frame: the
 *               stack grows, one fault a page.
 * Prints one line a region: "<region> minflt N majflt N maxrss_kb N"
 * (maxrss: how much the peak grew), then exits 0. The numbers are not
 * compared byte for byte: tests/procfs.sh checks them against Linux's. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define NREG 6

struct delta {
	const char *name;
	long minflt, majflt, maxrss;
};
static struct delta out[NREG];
static int nout;
static struct rusage before;

static void start(void) { getrusage(RUSAGE_SELF, &before); }

static void stop(const char *name)
{
	struct rusage after;
	getrusage(RUSAGE_SELF, &after);
	out[nout++] = (struct delta){name, after.ru_minflt - before.ru_minflt, after.ru_majflt - before.ru_majflt,
				     after.ru_maxrss - before.ru_maxrss};
}

static void malloc64(void)
{
	size_t size = 64ul << 20;
	start();
	volatile char *p = malloc(size);
	for (size_t off = 0; p && off < size; off += PAGE)
		p[off] = 1;
	stop("malloc64");
	free((void *)p);
}

static void file16(void)
{
	size_t size = 16ul << 20;
	static char chunk[1 << 16];
	memset(chunk, 'x', sizeof chunk);
	int fd = open("probe.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		exit(1);
	for (size_t off = 0; off < size; off += sizeof chunk)
		if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
			exit(1);
	volatile char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		exit(1);
	long sum = 0;
	start();
	for (size_t off = 0; off < size; off += PAGE)
		sum += p[off];
	stop("file_read");
	start();
	for (size_t off = 0; off < size; off += PAGE)
		p[off] = (char)sum;
	stop("file_write");
	munmap((void *)p, size);
	close(fd);
	unlink("probe.dat");
}

static void fork_child(void)
{
	size_t pages = 1000;
	volatile char *p = malloc(pages * PAGE);
	for (size_t i = 0; p && i < pages; i++)
		p[i * PAGE] = 1;
	struct rusage ch0, ch1, ru;
	getrusage(RUSAGE_CHILDREN, &ch0);
	pid_t pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < pages; i++)
			p[i * PAGE] = 2;
		_exit(0);
	}
	int st;
	wait4(pid, &st, 0, &ru);
	getrusage(RUSAGE_CHILDREN, &ch1);
	out[nout++] = (struct delta){"fork_child", ru.ru_minflt, ru.ru_majflt, ru.ru_maxrss};
	out[nout++] = (struct delta){"children", ch1.ru_minflt - ch0.ru_minflt, ch1.ru_majflt - ch0.ru_majflt,
				     ch1.ru_maxrss - ch0.ru_maxrss};
	free((void *)p);
}

__attribute__((noinline)) static long grow(int n)
{
	volatile char frame[PAGE - 64];
	frame[0] = (char)n;
	frame[sizeof frame - 1] = (char)n;
	return n ? grow(n - 1) + frame[0] : frame[sizeof frame - 1];
}

static void stack4m(void)
{
	start();
	long r = grow(1024);
	stop("stack4m");
	(void)r;
}

int main(void)
{
	malloc64();
	file16();
	fork_child();
	stack4m();
	for (int i = 0; i < nout; i++)
		printf("%s minflt %ld majflt %ld maxrss_kb %ld\n", out[i].name, out[i].minflt, out[i].majflt,
		       out[i].maxrss);
	return 0;
}
