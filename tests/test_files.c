/* Files, the page cache and memory pressure through the OS model's API:
 * the file fault paths on both architectures and every personality,
 * writeback checked in the host file, page-cache sharing, reclaim, swap and
 * the OOM outcome, and the sandbox confining paths to its root. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/testkernel.h"
#include "os/os.h"
#include "presets/preset.h"

static char root[256];

static struct kernel *make_kernel(const char *preset, const char *pers, uint64_t mem, uint64_t swap)
{
	struct os_config oc = test_os_config(pers);
	oc.swap_bytes = swap;
	struct kernel *k = test_kernel(preset, mem, &oc);
	char err[512];
	if (os_set_root(k, root, err, sizeof err)) {
		fprintf(stderr, "%s/%s: %s\n", preset, pers, err);
		exit(2);
	}
	CHECK_EQ(proc_exec(kernel_current(k), 0x7ffff0000000ull, 0x600000), 0);
	return k;
}

/* A host file whose every 8-byte word holds its own offset. */
static void make_file(const char *name, uint64_t size)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", root, name);
	FILE *f = fopen(path, "wb");
	for (uint64_t off = 0; f && off < size; off += 8)
		fwrite(&off, 8, 1, f);
	if (f)
		fclose(f);
}

static uint64_t host_word(const char *name, uint64_t off)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", root, name);
	int fd = open(path, O_RDONLY);
	uint64_t v = 0;
	if (fd < 0 || pread(fd, &v, 8, (off_t)off) != 8)
		v = ~0ull;
	if (fd >= 0)
		close(fd);
	return v;
}

static struct fault_record last;

static enum fault_outcome touch(struct kernel *k, uint64_t va, enum mmu_access acc)
{
	struct mmu_xlate x;
	memset(&last, 0, sizeof last);
	return os_access(k, va, acc, &x, &last);
}

/* Reads or writes the 8-byte word at va through the MMU, as a store would. */
static uint64_t load(struct kernel *k, uint64_t va)
{
	struct mmu_xlate x;
	if (os_access(k, va, ACC_READ, &x, NULL) != OUT_RESOLVED)
		return ~0ull;
	uint64_t v;
	memcpy(&v, physmem_ptr(mmu_physmem(kernel_mmu(k)), x.pa, 8), 8);
	return v;
}

static bool store(struct kernel *k, uint64_t va, uint64_t v)
{
	struct mmu_xlate x;
	if (os_access(k, va, ACC_WRITE, &x, NULL) != OUT_RESOLVED)
		return false;
	memcpy(physmem_ptr(mmu_physmem(kernel_mmu(k)), x.pa, 8), &v, 8);
	return true;
}

static bool took(enum fault_step s)
{
	for (int i = 0; i < last.nsteps; i++)
		if (last.steps[i] == s)
			return true;
	return false;
}

static const char *chain_end(void) { return last.nchain ? last.chain[last.nchain - 1] : ""; }

static const struct { const char *preset, *pers; } configs[] = {
	{"skylake", "linux"}, {"cortex-a76", "linux"}, {"apple16k", "linux"},
	{"skylake", "xnu"},   {"apple16k", "xnu"},     {"cortex-a76", "liteos"},
};

static void file_paths(void)
{
	for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
		make_file("paths.bin", 1 << 20);
		struct kernel *k = make_kernel(configs[c].preset, configs[c].pers, 0, 0);
		struct proc *p = kernel_current(k);
		bool linux = !strcmp(configs[c].pers, "linux"), liteos = !strcmp(configs[c].pers, "liteos");
		uint64_t pg = 1ull << kernel_format(k)->page_shift;
		int fd = os_open(p, "paths.bin", OPEN_READ | OPEN_WRITE, 0);
		CHECK_EQ(fd, 0);
		uint64_t priv = 0x20000000, shared = 0x30000000;
		CHECK_EQ(os_mmap(p, priv, 1 << 20, 3, MAPF_PRIVATE | MAPF_FIXED, fd, 0), (int64_t)priv);
		CHECK_EQ(os_mmap(p, shared, 2 << 20, 3, MAPF_SHARED | MAPF_FIXED, fd, 0), (int64_t)shared);

		/* A read of a writable private mapping maps the cached page read-only: major the first time. */
		CHECK_EQ(touch(k, priv + 8, ACC_READ), OUT_RESOLVED);
		CHECK(took(STEP_READ_FAULT) && took(STEP_PAGECACHE_MISS) && last.major);
		CHECK_EQ(last.pte[last.npte - 1].level, PT_LEVEL_LEAF);
		CHECK(!pte_decode(kernel_format(k), 3, last.pte[last.npte - 1].new).write);
		CHECK_STR(chain_end(), linux ? "finish_fault" : liteos ? "LOS_ArchMmuMap" : "pmap_expand");
		CHECK_EQ(load(k, priv + 8), 8);
		/* The write that follows copies the page (do_wp_page on a cached page). */
		CHECK_EQ(touch(k, priv + 16, ACC_WRITE), OUT_RESOLVED);
		CHECK(took(STEP_WP_COPY));
		CHECK_EQ(last.frames_copied, 1);
		CHECK_EQ(load(k, priv + 16), 16);   /* the copy has the file's data */
		CHECK(store(k, priv + 16, 0xdead));
		CHECK_EQ(host_word("paths.bin", 16), 16);   /* a private write never reaches the file */

		/* A first write to a private page: do_cow_fault. */
		CHECK_EQ(touch(k, priv + 2 * pg, ACC_WRITE), OUT_RESOLVED);
		CHECK(took(STEP_COW_FAULT));
		CHECK_EQ(last.frames_copied, 1);
		CHECK_EQ(load(k, priv + 2 * pg), 2 * pg);

		/* The same page through the shared mapping: a page-cache hit, minor. */
		CHECK_EQ(touch(k, shared, ACC_READ), OUT_RESOLVED);
		CHECK(!last.major);
		CHECK(took(linux ? STEP_FAULT_AROUND : STEP_READ_FAULT));
		/* A shared write: do_shared_fault, writable and dirty. */
		CHECK_EQ(touch(k, shared + 3 * pg, ACC_WRITE), OUT_RESOLVED);
		CHECK(took(STEP_SHARED_FAULT));
		CHECK(pte_decode(kernel_format(k), 3, last.pte[last.npte - 1].new).write);
		CHECK(store(k, shared + 3 * pg, 0x5151));
		/* A write to the shared page mapped read-only by the read: wp_page_shared. */
		CHECK_EQ(touch(k, shared, ACC_WRITE), OUT_RESOLVED);
		CHECK(took(STEP_WP_SHARED));

		/* Past the end of the file, inside the mapping: SIGBUS. */
		CHECK_EQ(touch(k, shared + (1 << 20) + 64, ACC_READ), OUT_SIGBUS);
		CHECK(took(STEP_BEYOND_EOF));
		CHECK_EQ(last.si_code, BUS_ADRERR);
		kernel_destroy(k);
		/* Teardown wrote the shared page back. */
		CHECK_EQ(host_word("paths.bin", 3 * pg), 0x5151);
	}
}

/* Reading every page of a file whose pages are cached: fault-around maps 16
 * of them a fault on Linux; LiteOS-A and XNU take a fault a page. */
static void fault_around(void)
{
	make_file("around.bin", 1 << 20);
	for (int pers = 0; pers < 2; pers++) {
		struct kernel *k = make_kernel("cortex-a76", pers ? "liteos" : "linux", 0, 0);
		struct proc *p = kernel_current(k);
		int fd = os_open(p, "around.bin", OPEN_READ, 0);
		CHECK_EQ(os_madvise(p, 0, 0, ADV_NORMAL), 0);
		CHECK_EQ(os_mmap(p, 0x20000000, 1 << 20, 1, MAPF_PRIVATE | MAPF_FIXED, fd, 0), 0x20000000);
		CHECK_EQ(os_madvise(p, 0x20000000, 1 << 20, ADV_WILLNEED), 0);  /* cache it all */
		struct os_stats before, after;
		kernel_stats(k, &before);
		for (uint64_t off = 0; off < (1 << 20); off += 4096)
			CHECK_EQ(touch(k, 0x20000000 + off, ACC_READ), OUT_RESOLVED);
		kernel_stats(k, &after);
		CHECK_EQ(after.faults - before.faults, pers ? 256 : 16);
		CHECK_EQ(after.major, before.major);
		kernel_destroy(k);
	}
}

struct counter {
	int writebacks;
};

static void count_writebacks(void *ctx, const struct os_event *ev)
{
	if (ev->kind == EV_WRITEBACK)
		((struct counter *)ctx)->writebacks++;
}

/* Nothing written through a shared mapping is lost: msync, munmap and exit
 * each put it in the host file. */
static void writeback(void)
{
	const char *presets[] = {"skylake", "cortex-a76"};
	for (int i = 0; i < 2; i++) {
		make_file("wb.bin", 64 << 10);
		struct kernel *k = make_kernel(presets[i], "linux", 0, 0);
		struct counter n = {0};
		kernel_subscribe(k, count_writebacks, &n);
		struct proc *p = kernel_current(k);
		int fd = os_open(p, "wb.bin", OPEN_READ | OPEN_WRITE, 0);
		uint64_t a = 0x20000000;
		CHECK_EQ(os_mmap(p, a, 64 << 10, 3, MAPF_SHARED | MAPF_FIXED, fd, 0), (int64_t)a);
		CHECK(store(k, a + 0x1000, 0x1111));
		CHECK_EQ(host_word("wb.bin", 0x1000), 0x1000);        /* not yet */
		CHECK_EQ(os_msync(p, a, 64 << 10, MSF_SYNC), 0);
		CHECK_EQ(host_word("wb.bin", 0x1000), 0x1111);
		CHECK_EQ(n.writebacks, 1);
		/* Written back, the page is write-protected again: the next write
		 * faults and dirties it anew, so it is not lost either. */
		CHECK(store(k, a + 0x1000, 0x2222));
		CHECK_EQ(last.outcome, OUT_RESOLVED);
		CHECK(store(k, a + 0x2000, 0x3333));
		CHECK_EQ(os_munmap(p, a, 0x2000), 0);                  /* unmaps 0x1000 */
		CHECK_EQ(host_word("wb.bin", 0x1000), 0x2222);
		CHECK_EQ(host_word("wb.bin", 0x2000), 0x2000);        /* still mapped, not yet */
		CHECK_EQ(os_msync(p, a, 0x1000, MSF_SYNC), -ENOMEM);   /* unmapped range */
		CHECK_EQ(os_msync(p, a, 0x1000, MSF_SYNC | MSF_ASYNC), -EINVAL);
		proc_exit(p, 0);
		CHECK_EQ(host_word("wb.bin", 0x2000), 0x3333);        /* exit wrote it */
		kernel_destroy(k);
	}
}

/* Two processes map the same file: one frame, two mappings. */
static void pagecache_sharing(void)
{
	make_file("share.bin", 64 << 10);
	struct kernel *k = make_kernel("skylake", "linux", 0, 0);
	struct proc *a = kernel_current(k);
	int err;
	struct proc *b = proc_fork(a, 2, &err);
	int fa = os_open(a, "share.bin", OPEN_READ | OPEN_WRITE, 0);
	int fb = os_open(b, "./share.bin", OPEN_READ, 0);
	CHECK(fa >= 0 && fb >= 0);
	CHECK_EQ(os_mmap(a, 0x20000000, 64 << 10, 3, MAPF_SHARED | MAPF_FIXED, fa, 0), 0x20000000);
	CHECK_EQ(os_mmap(b, 0x40000000, 64 << 10, 1, MAPF_PRIVATE | MAPF_FIXED, fb, 0), 0x40000000);
	CHECK(store(k, 0x20005000, 0xabc));
	kernel_switch(k, b);
	CHECK_EQ(load(k, 0x40005000), 0xabc);   /* the page cache is the same page */
	uint64_t pa, pb;
	CHECK(proc_translate(a, 0x20005000, &pa) && proc_translate(b, 0x40005000, &pb));
	CHECK_EQ(pa, pb);
	struct frame_info fi;
	CHECK(kernel_frame(k, pa, &fi));
	CHECK_EQ(fi.use, USE_PAGECACHE);
	CHECK_EQ(fi.mapcount, 2);
	CHECK_EQ(fi.refcount, 3);               /* the cache and two mappings */
	/* A descriptor opened read-only cannot back a shared writable mapping. */
	CHECK_EQ(os_mmap(b, 0x50000000, 4096, 3, MAPF_SHARED | MAPF_FIXED, fb, 0), -EACCES);
	CHECK_EQ(os_mmap(b, 0x50000000, 4096, 3, MAPF_SHARED | MAPF_FIXED, 9, 0), -EBADF);
	CHECK_EQ(os_mmap(b, 0x50000000, 4096, 1, MAPF_SHARED | MAPF_FIXED, fb, 100), -EINVAL);
	kernel_destroy(k);
}

/* Memory pressure: with swap, anonymous pages go out and come back with
 * their contents; a page shared by copy-on-write stays one page. */
static void swap_round_trip(void)
{
	const char *presets[] = {"skylake", "cortex-a76", "apple16k"};
	for (int i = 0; i < 3; i++) {
		struct kernel *k = make_kernel(presets[i], "linux", 0, 8 << 20);
		struct proc *p = kernel_current(k);
		uint64_t pg = 1ull << kernel_format(k)->page_shift, n = 64;
		uint64_t a = 0x20000000;
		CHECK_EQ(os_mmap(p, a, n * pg, 3, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0), (int64_t)a);
		for (uint64_t j = 0; j < n; j++)
			CHECK(store(k, a + j * pg, 0x1000 + j));
		int err;
		struct proc *c = proc_fork(p, 2, &err);
		uint64_t shared_pa;
		CHECK(proc_translate(c, a, &shared_pa));
		/* Page everything out. */
		CHECK_EQ(os_madvise(p, a, n * pg, ADV_PAGEOUT), 0);
		struct os_stats st;
		kernel_stats(k, &st);
		CHECK_EQ(st.swapouts, 0);   /* shared with the child: MADV_PAGEOUT leaves them */
		uint64_t used = st.frames_total - st.frames_free;
		os_set_memlimit(k, (used - 40) * pg);   /* pressure: the LRU gives up 40 frames */
		kernel_stats(k, &st);
		CHECK(st.swapouts >= 40);
		CHECK(st.scanned >= st.swapouts);
		os_set_memlimit(k, 0);
		/* The parent's first touch of a swapped-out page is a write: it must
		 * not write into the page its child's swap entry still names. */
		uint64_t probe = 0;
		for (uint64_t j = 1; j < n && !probe; j++) {
			uint64_t e;
			if (!proc_translate(p, a + j * pg, &e))
				probe = a + j * pg;
		}
		CHECK(probe != 0);
		CHECK(store(k, probe, 0x9999));
		/* The child reads them back: major faults, the right data. */
		kernel_switch(k, c);
		uint64_t majors = st.major;
		for (uint64_t j = 0; j < n; j++)
			CHECK_EQ(load(k, a + j * pg), 0x1000 + j);
		kernel_stats(k, &st);
		CHECK(st.major > majors);
		CHECK(st.swapins >= 1);
		/* The parent's first page and the child's are still one frame. */
		kernel_switch(k, p);
		CHECK_EQ(load(k, a), 0x1000);
		uint64_t ppa, cpa;
		CHECK(proc_translate(p, a, &ppa) && proc_translate(c, a, &cpa));
		CHECK_EQ(ppa, cpa);
		struct frame_info fi;
		CHECK(kernel_frame(k, ppa, &fi));
		CHECK_EQ(fi.mapcount, 2);
		/* A write still copies it. */
		CHECK(store(k, a, 0x7777));
		CHECK(proc_translate(p, a, &ppa));
		CHECK(ppa != cpa);
		kernel_switch(k, c);
		CHECK_EQ(load(k, a), 0x1000);
		proc_exit(c, 0);
		proc_exit(p, 0);
		kernel_stats(k, &st);
		CHECK_EQ(st.frames_by_use[USE_ANON], 0);
		kernel_destroy(k);
	}
}

/* Reclaim drops clean file pages and writes dirty ones back first. */
static void reclaim_files(void)
{
	make_file("big.bin", 4 << 20);
	struct kernel *k = make_kernel("skylake", "linux", 4 << 20, 0);   /* 1024 frames */
	struct proc *p = kernel_current(k);
	int fd = os_open(p, "big.bin", OPEN_READ | OPEN_WRITE, 0);
	CHECK_EQ(os_mmap(p, 0x20000000, 4 << 20, 3, MAPF_SHARED | MAPF_FIXED, fd, 0), 0x20000000);
	for (uint64_t off = 0; off < (4 << 20); off += 4096) {
		if (off % 0x10000 == 0)
			CHECK(store(k, 0x20000000 + off, off ^ 0xff));
		else
			CHECK_EQ(load(k, 0x20000000 + off), off);
	}
	struct os_stats st;
	kernel_stats(k, &st);
	CHECK(st.evicted > 0);
	CHECK(st.writebacks > 0);
	CHECK_EQ(st.by_outcome[OUT_OOM], 0);
	/* Everything written is in the file or the cache: read it all back. */
	for (uint64_t off = 0; off < (4 << 20); off += 0x10000)
		CHECK_EQ(load(k, 0x20000000 + off), off ^ 0xff);
	kernel_destroy(k);
	for (uint64_t off = 0; off < (4 << 20); off += 0x10000)
		CHECK_EQ(host_word("big.bin", off), off ^ 0xff);
}

/* No swap, nothing to reclaim: the OOM outcome, and the simulator goes on. */
static void oom_without_swap(void)
{
	struct kernel *k = make_kernel("cortex-a76", "linux", 1 << 20, 0);
	struct proc *p = kernel_current(k);
	CHECK_EQ(os_mmap(p, 0x20000000, 2 << 20, 3, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0), 0x20000000);
	enum fault_outcome o = OUT_RESOLVED;
	uint64_t off = 0;
	for (; off < (2 << 20) && o == OUT_RESOLVED; off += 4096)
		o = touch(k, 0x20000000 + off, ACC_WRITE);
	CHECK_EQ(o, OUT_OOM);
	CHECK(took(STEP_OOM));
	proc_kill(p, 9);
	struct os_stats st;
	kernel_stats(k, &st);
	CHECK_EQ(st.frames_by_use[USE_ANON], 0);
	kernel_destroy(k);
}

/* Transparent huge pages: a fault maps a whole block; COW, a partial
 * munmap and a partial mprotect split it back into pages. */
static struct kernel *make_thp_kernel(const char *preset, uint64_t mem, int thp)
{
	struct os_config oc = test_os_config("linux");
	oc.thp = thp;
	struct kernel *k = test_kernel(preset, mem, &oc);
	CHECK_EQ(proc_exec(kernel_current(k), 0x7ffff0000000ull, 0x600000), 0);
	return k;
}

static void huge_pages(void)
{
	const struct { const char *preset; unsigned shift; } cfg[] = {{"skylake", 21}, {"cortex-a76", 21}, {"apple16k", 25}};
	for (int i = 0; i < 3; i++) {
		struct kernel *k = make_thp_kernel(cfg[i].preset, 0, THP_MADVISE);
		struct proc *p = kernel_current(k);
		uint64_t H = 1ull << cfg[i].shift, pg = 1ull << kernel_format(k)->page_shift, a = 0x40000000;
		CHECK_EQ(os_mmap(p, a, 4 * H, 3, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0), (int64_t)a);
		/* madvise policy, no advice: base pages. */
		CHECK_EQ(touch(k, a + 8, ACC_WRITE), OUT_RESOLVED);
		CHECK(took(STEP_ANON_PAGE) && !took(STEP_HUGE_PAGE));
		/* With MADV_HUGEPAGE: one fault maps the whole block. */
		CHECK_EQ(os_madvise(p, a + H, 3 * H, ADV_HUGEPAGE), 0);
		CHECK_EQ(touch(k, a + H + 5 * pg + 8, ACC_WRITE), OUT_RESOLVED);
		CHECK(took(STEP_HUGE_PAGE) && last.huge);
		CHECK_EQ(last.pte[last.npte - 1].level, PT_LEVEL_LEAF - 1);
		CHECK_EQ(pte_decode(kernel_format(k), 2, last.pte[last.npte - 1].new).kind, PTE_BLOCK);
		CHECK_STR(chain_end(), "__do_huge_pmd_anonymous_page");
		struct mmu_xlate x;
		CHECK(mmu_access(kernel_mmu(k), a + H + H - 8, ACC_READ, true, &x));
		CHECK_EQ(x.page_shift, cfg[i].shift);       /* one huge TLB entry */
		struct os_stats st;
		kernel_stats(k, &st);
		uint64_t faults = st.faults;
		for (uint64_t off = 0; off < H; off += pg)
			CHECK(store(k, a + H + off, off));
		kernel_stats(k, &st);
		CHECK_EQ(st.faults, faults);                 /* the rest of the block needs no fault */
		CHECK_EQ(st.thp_allocs, 1);

		/* fork, then the child writes: the huge page is shared, so it is
		 * split and one page copied; the parent's other pages stay put. */
		int err;
		struct proc *c = proc_fork(p, 2, &err);
		kernel_switch(k, c);
		CHECK_EQ(touch(k, a + H + 3 * pg, ACC_WRITE), OUT_RESOLVED);
		CHECK(took(STEP_SPLIT_HUGE) && took(STEP_WP_COPY));
		CHECK_EQ(load(k, a + H + 3 * pg), 3 * pg);
		CHECK(store(k, a + H + 3 * pg, 0xc41d));
		kernel_switch(k, p);
		CHECK_EQ(load(k, a + H + 3 * pg), 3 * pg);
		CHECK_EQ(touch(k, a + H + 3 * pg, ACC_WRITE), OUT_RESOLVED);
		CHECK(took(STEP_WP_REUSE));                  /* the child has its own copy now */
		kernel_stats(k, &st);
		CHECK_EQ(st.thp_splits, 1);
		proc_exit(c, 0);

		/* A second huge page; munmap of one page in its middle splits it
		 * and keeps the others with their data. */
		CHECK_EQ(touch(k, a + 2 * H, ACC_WRITE), OUT_RESOLVED);
		CHECK(took(STEP_HUGE_PAGE));
		for (uint64_t off = 0; off < H; off += 16 * pg)
			CHECK(store(k, a + 2 * H + off, 0xbeef + off));
		CHECK_EQ(os_munmap(p, a + 2 * H + 16 * pg, pg), 0);
		kernel_stats(k, &st);
		CHECK_EQ(st.thp_splits, 2);
		CHECK_EQ(load(k, a + 2 * H), 0xbeef);
		CHECK_EQ(load(k, a + 2 * H + 32 * pg), 0xbeef + 32 * pg);
		CHECK_EQ(touch(k, a + 2 * H + 16 * pg, ACC_READ), OUT_SIGSEGV);   /* the hole */
		CHECK(mmu_access(kernel_mmu(k), a + 2 * H + 48 * pg, ACC_READ, true, &x));
		CHECK_EQ(x.page_shift, kernel_format(k)->page_shift);             /* base pages now */

		/* A third; mprotect of one page read-only splits it too. */
		CHECK_EQ(touch(k, a + 3 * H, ACC_WRITE), OUT_RESOLVED);
		CHECK_EQ(os_mprotect(p, a + 3 * H + pg, pg, 1), 0);
		CHECK_EQ(touch(k, a + 3 * H + pg, ACC_WRITE), OUT_SIGSEGV);
		CHECK_EQ(last.si_code, SEGV_ACCERR);
		CHECK_EQ(touch(k, a + 3 * H + 2 * pg, ACC_WRITE), OUT_RESOLVED);
		proc_exit(p, 0);
		kernel_stats(k, &st);
		CHECK_EQ(st.frames_by_use[USE_ANON], 0);
		CHECK_EQ(st.frames_by_use[USE_PAGETABLE], 0);
		kernel_destroy(k);
	}

	/* "always" needs no advice; "never" never; no free block: base pages. */
	int policies[] = {THP_ALWAYS, THP_NEVER};
	for (int j = 0; j < 2; j++) {
		struct kernel *k = make_thp_kernel("skylake", 0, policies[j]);
		struct proc *p = kernel_current(k);
		CHECK_EQ(os_mmap(p, 0x40000000, 4 << 20, 3, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0), 0x40000000);
		CHECK_EQ(os_madvise(p, 0x40000000, 4 << 20, policies[j] == THP_NEVER ? ADV_HUGEPAGE : ADV_NORMAL), 0);
		CHECK_EQ(touch(k, 0x40000000, ACC_WRITE), OUT_RESOLVED);
		CHECK_EQ(took(STEP_HUGE_PAGE), policies[j] == THP_ALWAYS);
		kernel_destroy(k);
	}
	struct kernel *k = make_thp_kernel("skylake", 2 << 20, THP_ALWAYS);   /* no 2 MiB block free */
	struct proc *p = kernel_current(k);
	CHECK_EQ(os_mmap(p, 0x40000000, 2 << 20, 3, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0), 0x40000000);
	CHECK_EQ(touch(k, 0x40000000, ACC_WRITE), OUT_RESOLVED);
	CHECK(took(STEP_HUGE_FALLBACK) && took(STEP_ANON_PAGE));
	kernel_destroy(k);
}

/* Linux parity: the fault counts this machine's Linux gives for the same
 * patterns (bench/linux_parity measures both): 64 MiB of fresh anonymous
 * memory, 16,384 faults; every page of a cached 16 MiB file read, 256
 * (fault-around maps 64 KiB a fault); every page of it written privately,
 * 4,096. */
static void linux_parity(void)
{
	make_file("parity.bin", 16 << 20);
	const char *presets[] = {"skylake", "cortex-a76"};
	for (int i = 0; i < 2; i++) {
		struct kernel *k = make_kernel(presets[i], "linux", 0, 0);
		struct proc *p = kernel_current(k);
		struct os_stats st;
		uint64_t f0, pg = 4096;
		int64_t a = os_mmap(p, 0, 64 << 20, 3, MAPF_PRIVATE | MAPF_ANONYMOUS, -1, 0);
		kernel_stats(k, &st);
		f0 = st.faults;
		for (uint64_t off = 0; off < (64 << 20); off += pg)
			touch(k, (uint64_t)a + off, ACC_WRITE);
		kernel_stats(k, &st);
		CHECK_EQ(st.faults - f0, 16384);
		int fd = os_open(p, "parity.bin", OPEN_READ, 0);
		static char buf[1 << 16];
		for (uint64_t off = 0; os_pread(p, fd, buf, sizeof buf, off) > 0; off += sizeof buf)
			;
		int64_t r = os_mmap(p, 0, 16 << 20, 1, MAPF_PRIVATE, fd, 0);
		f0 = st.faults;
		for (uint64_t off = 0; off < (16 << 20); off += pg)
			touch(k, (uint64_t)r + off, ACC_READ);
		kernel_stats(k, &st);
		CHECK_EQ(st.faults - f0, 256);
		CHECK_EQ(st.major, 0);
		int64_t w = os_mmap(p, 0, 16 << 20, 3, MAPF_PRIVATE, fd, 0);
		f0 = st.faults;
		for (uint64_t off = 0; off < (16 << 20); off += pg)
			touch(k, (uint64_t)w + off, ACC_WRITE);
		kernel_stats(k, &st);
		CHECK_EQ(st.faults - f0, 4096);
		kernel_destroy(k);
	}
}

/* Paths that would leave the root stay at its top, as under chroot: the
 * host's /etc/passwd is never reached. */
static void sandbox_confines(void)
{
	struct kernel *k = make_kernel("skylake", "linux", 0, 0);
	struct proc *p = kernel_current(k);
	CHECK_EQ(os_open(p, "../outside.bin", OPEN_READ, 0), -ENOENT);
	CHECK_EQ(os_open(p, "/../../etc/passwd", OPEN_READ, 0), -ENOENT);
	char link[512];
	snprintf(link, sizeof link, "%s/escape", root);
	CHECK_EQ(symlink("/etc/passwd", link), 0);
	CHECK_EQ(os_open(p, "escape", OPEN_READ, 0), -ENOENT);
	unlink(link);
	CHECK_EQ(os_open(p, "missing.bin", OPEN_READ, 0), -ENOENT);
	kernel_destroy(k);
}

int main(void)
{
	snprintf(root, sizeof root, "/tmp/mmusim-files-XXXXXX");
	if (!mkdtemp(root))
		return 2;
	file_paths();
	fault_around();
	writeback();
	pagecache_sharing();
	swap_round_trip();
	reclaim_files();
	oom_without_swap();
	huge_pages();
	linux_parity();
	sandbox_confines();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return check_report("test_files");
}
