/* Locked memory: mlock, mlock2, munlock, mlockall and their errors, with
 * mincore showing what is resident. Run as root (as the tests run it,
 * natively and under mmusim, whose guest is root): RLIMIT_MEMLOCK does not
 * bind. Then memory pressure: a locked region stays resident while a much
 * larger unlocked one is written and read again. With a small --mem and
 * swap (tests/mlock.sh) the unlocked pages go to swap and come back; the
 * locked ones must never leave, or "resident" below comes out short. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 64
#define LOCKED_PAGES 256          /* 1 MiB of 4 KiB pages */
#define PRESSURE_PAGES (24 * 256) /* 24 MiB */

static long page;

static int resident(void *p, long n)
{
	unsigned char vec[PRESSURE_PAGES];
	if (mincore(p, (size_t)(n * page), vec) != 0)
		return -errno;
	int r = 0;
	for (long i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

static void *anon(long n, int prot)
{
	void *p = mmap(NULL, (size_t)(n * page), prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		_exit(1);
	}
	return p;
}

static const char *err(int rc)
{
	static char buf[32];
	if (rc == 0)
		return "0";
	snprintf(buf, sizeof buf, "%s", errno == EINVAL ? "EINVAL" : errno == ENOMEM ? "ENOMEM"
						: errno == EPERM ? "EPERM" : errno == EAGAIN ? "EAGAIN" : "other");
	return buf;
}

static void errors(void)
{
	char *p = anon(PAGES, PROT_READ | PROT_WRITE);
	printf("mlock2 flags 2: %s\n", err(mlock2(p, (size_t)page, 2)));
	printf("mlockall 0: %s\n", err(mlockall(0)));
	printf("mlockall MCL_ONFAULT alone: %s\n", err(mlockall(MCL_ONFAULT)));
	printf("mlockall 8: %s\n", err(mlockall(8)));
	printf("mlock length 0: %s\n", err(mlock(p, 0)));
	munmap(p + 8 * page, (size_t)page);   /* a hole */
	printf("mlock over a hole: %s\n", err(mlock(p, (size_t)(16 * page))));
	printf("munlock over a hole: %s\n", err(munlock(p, (size_t)(16 * page))));
	printf("  before the hole resident: %d of 8\n", resident(p, 8));
	munlock(p, (size_t)(8 * page));
	printf("mlock of unmapped memory: %s\n", err(mlock(p + 8 * page, (size_t)page)));
	printf("mincore unaligned: %s\n", err(mincore(p + 1, (size_t)page, (unsigned char[1]){0})));
	printf("mincore over the hole: %s\n", err(mincore(p, (size_t)(16 * page), (unsigned char[16]){0})));
	char *none = anon(4, PROT_NONE);
	printf("mlock PROT_NONE: %s\n", err(mlock(none, (size_t)(4 * page))));
	munlock(none, (size_t)(4 * page));
	char *l = anon(4, PROT_READ | PROT_WRITE);
	mlock(l, (size_t)(4 * page));
	printf("MADV_DONTNEED on locked: %s\n", err(madvise(l, (size_t)(4 * page), MADV_DONTNEED)));
	munlock(l, (size_t)(4 * page));
	printf("MADV_DONTNEED after munlock: %s\n", err(madvise(l, (size_t)(4 * page), MADV_DONTNEED)));
	munmap(l, (size_t)(4 * page));
	munmap(none, (size_t)(4 * page));
	munmap(p, (size_t)(PAGES * page));
}

static void populate(void)
{
	char *p = anon(PAGES, PROT_READ | PROT_WRITE);
	printf("fresh: %d of %d resident\n", resident(p, PAGES), PAGES);
	/* Unaligned: the pages the bytes touch are locked. */
	printf("mlock: %s\n", err(mlock(p + 100, (size_t)(PAGES * page - 200))));
	printf("locked: %d of %d resident\n", resident(p, PAGES), PAGES);
	printf("munlock: %s\n", err(munlock(p, (size_t)(PAGES * page))));
	printf("unlocked: %d of %d resident\n", resident(p, PAGES), PAGES);

	/* MCL_ONFAULT: locked as pages are touched, none faulted in now. (Not
	 * mlock2's MLOCK_ONFAULT, which qemu-user 7.2 does not pass on.) */
	char *q = anon(PAGES, PROT_READ | PROT_WRITE);
	printf("mlock2 flags 0: %s\n", err(mlock2(q, (size_t)page, 0)));
	printf("mlock2 flags 0: %d of %d resident\n", resident(q, PAGES), PAGES);
	printf("mlockall MCL_CURRENT|MCL_ONFAULT: %s\n", err(mlockall(MCL_CURRENT | MCL_ONFAULT)));
	printf("onfault: %d of %d resident\n", resident(q, PAGES), PAGES);
	q[0] = q[5 * page] = q[9 * page] = 1;
	printf("onfault, 3 more touched: %d of %d resident\n", resident(q, PAGES), PAGES);
	munlockall();

	/* MCL_FUTURE: later mappings are locked (and faulted in) as they are made. */
	printf("mlockall MCL_FUTURE: %s\n", err(mlockall(MCL_FUTURE)));
	char *f = anon(PAGES, PROT_READ | PROT_WRITE);
	printf("mapped after MCL_FUTURE: %d of %d resident\n", resident(f, PAGES), PAGES);
	printf("munlockall: %s\n", err(munlockall()));
	char *g = anon(PAGES, PROT_READ | PROT_WRITE);
	printf("mapped after munlockall: %d of %d resident\n", resident(g, PAGES), PAGES);
	printf("mlockall MCL_FUTURE|MCL_ONFAULT: %s\n", err(mlockall(MCL_FUTURE | MCL_ONFAULT)));
	char *h = anon(PAGES, PROT_READ | PROT_WRITE);
	printf("mapped after MCL_ONFAULT: %d of %d resident\n", resident(h, PAGES), PAGES);
	munlockall();
	char *m = mmap(NULL, (size_t)(PAGES * page), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED,
		       -1, 0);
	printf("MAP_LOCKED: %d of %d resident\n", resident(m, PAGES), PAGES);
	/* MAP_POPULATE faults it in too; not printed: qemu-user does not pass it on. */
	char *pop = mmap(NULL, (size_t)(PAGES * page), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	munmap(p, (size_t)(PAGES * page));
	munmap(q, (size_t)(PAGES * page));
	munmap(f, (size_t)(PAGES * page));
	munmap(g, (size_t)(PAGES * page));
	munmap(h, (size_t)(PAGES * page));
	munmap(m, (size_t)(PAGES * page));
	munmap(pop, (size_t)(PAGES * page));
}

static uint64_t sum(const uint64_t *w, long n)
{
	uint64_t s = 0;
	for (long i = 0; i < n; i++)
		s = s * 31 + w[i];
	return s;
}

static void pressure(void)
{
	long lw = LOCKED_PAGES * page / 8, uw = PRESSURE_PAGES * page / 8;
	uint64_t *l = anon(LOCKED_PAGES, PROT_READ | PROT_WRITE);
	for (long i = 0; i < lw; i++)
		l[i] = (uint64_t)i * 2654435761u;
	uint64_t want = sum(l, lw);
	printf("pressure: mlock %d pages: %s\n", LOCKED_PAGES, err(mlock(l, (size_t)(LOCKED_PAGES * page))));
	uint64_t *u = anon(PRESSURE_PAGES, PROT_READ | PROT_WRITE);
	for (int round = 0; round < 2; round++)
		for (long i = 0; i < uw; i += 64)
			u[i] += (uint64_t)i + (uint64_t)round;
	int ok = 1;
	for (long i = 0; i < uw; i += 64)
		ok &= u[i] == 2 * (uint64_t)i + 1;
	printf("pressure: locked %d of %d resident\n", resident(l, LOCKED_PAGES), LOCKED_PAGES);
	printf("pressure: unlocked contents %s, locked contents %s\n", ok ? "ok" : "WRONG",
	       sum(l, lw) == want ? "ok" : "WRONG");
	/* A child does not inherit the lock; the pages it shares with its
	 * parent stay locked by the parent's VMA. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(sum(l, lw) == want ? 0 : 1);
	int st = 0;
	waitpid(pid, &st, 0);
	printf("pressure: child %s; parent's locked %d of %d resident\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : "failed", resident(l, LOCKED_PAGES), LOCKED_PAGES);
	printf("pressure: munlock: %s\n", err(munlock(l, (size_t)(LOCKED_PAGES * page))));
}

/* A line of a /proc file starting with `key`, from the smaps entry of
 * `at` when at is given; "" when none. */
static const char *proc_line(const char *file, const char *key, const void *at)
{
	static char lines[4][256];
	static int turn;
	char *line = lines[turn++ & 3];   /* several may be printed at once */
	FILE *f = fopen(file, "r");
	if (!f)
		return "";
	int in = at == NULL;
	const char *found = "";
	while (fgets(line, sizeof lines[0], f)) {
		unsigned long lo, hi;
		if (at && sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = (uintptr_t)at >= lo && (uintptr_t)at < hi;
		if (in && strncmp(line, key, strlen(key)) == 0) {
			line[strcspn(line, "\n")] = 0;
			found = line;
			break;
		}
	}
	fclose(f);
	return found;
}

static int has_lo(const void *at)
{
	const char *l = proc_line("/proc/self/smaps", "VmFlags:", at);
	return strstr(l, " lo") != NULL;
}

static unsigned long proc_value(const char *file, const char *key)
{
	unsigned long v = 0;
	const char *l = proc_line(file, key, NULL);
	if (*l)
		sscanf(l + strlen(key), "%lu", &v);
	return v;
}

/* What /proc says of locked memory (under qemu-user, of qemu's own
 * process, which locks the same pages). */
static void proc(void)
{
	char *l = anon(LOCKED_PAGES, PROT_READ | PROT_WRITE);
	mlock(l, (size_t)(LOCKED_PAGES * page));
	printf("%s\n", proc_line("/proc/self/status", "VmLck:", NULL));
	printf("smaps %s; VmFlags lo: %d\n", proc_line("/proc/self/smaps", "Locked:", l), has_lo(l));
	printf("meminfo Mlocked at least 1 MiB: %d\n", proc_value("/proc/meminfo", "Mlocked:") >= 1024);
	printf("meminfo Unevictable at least 1 MiB: %d\n", proc_value("/proc/meminfo", "Unevictable:") >= 1024);
	printf("vmstat nr_mlock at least 256: %d\n", proc_value("/proc/vmstat", "nr_mlock ") >= 256);
	/* The middle quarter unlocked: the VMA splits in three. */
	munlock(l + LOCKED_PAGES / 4 * page, (size_t)(LOCKED_PAGES / 4 * page));
	printf("middle unlocked: %s; there lo: %d, before lo: %d\n", proc_line("/proc/self/status", "VmLck:", NULL),
	       has_lo(l + LOCKED_PAGES / 4 * page), has_lo(l));
	mlock(l, (size_t)(LOCKED_PAGES * page));
	printf("locked again: smaps %s\n", proc_line("/proc/self/smaps", "Locked:", l));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child: %s; lo: %d\n", proc_line("/proc/self/status", "VmLck:", NULL), has_lo(l));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	munlock(l, (size_t)(LOCKED_PAGES * page));
	printf("munlock: %s; smaps %s\n", proc_line("/proc/self/status", "VmLck:", NULL),
	       proc_line("/proc/self/smaps", "Locked:", l));
	/* MCL_FUTURE: the heap grown by brk and new mappings are locked. */
	mlockall(MCL_FUTURE);
	char *b = sbrk(0);
	sbrk(LOCKED_PAGES * page);
	printf("brk after MCL_FUTURE: %s; lo: %d\n", proc_line("/proc/self/status", "VmLck:", NULL),
	       has_lo(b + page));
	char *m = anon(PAGES, PROT_READ | PROT_WRITE);
	printf("mmap after MCL_FUTURE: %s; smaps %s\n", proc_line("/proc/self/status", "VmLck:", NULL),
	       proc_line("/proc/self/smaps", "Locked:", m));
	munlockall();
	printf("munlockall: %s\n", proc_line("/proc/self/status", "VmLck:", NULL));
	/* A locked read-only private mapping holds the zero page (Linux);
	 * made writable, it is faulted in for writing at once (mprotect_fixup):
	 * anonymous pages of its own, none left to copy on a write. */
	char *r = anon(PAGES, PROT_READ);
	mlock(r, (size_t)(PAGES * page));
	mprotect(r, (size_t)(PAGES * page), PROT_READ | PROT_WRITE);
	printf("made writable: smaps %s\n", proc_line("/proc/self/smaps", "Anonymous:", r));
	munmap(r, (size_t)(PAGES * page));
}

int main(int argc, char **argv)
{
	page = sysconf(_SC_PAGESIZE);
	if (page != 4096) {
		printf("page size %ld: this test counts 4 KiB pages\n", page);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	(void)argc, (void)argv;
	errors();
	populate();
	proc();
	pressure();
	return 0;
}
