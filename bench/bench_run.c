/* bench_run: how fast `mmusim run` executes guest code, against Unicorn on
 * its own. A figure, not a test: nothing here asserts a speed, and it is
 * not part of ctest.
 *
 * What runs. The same static ELF (guests/compute.c, built for x86-64 and
 * AArch64) is run as a whole process — start-up, work, exit — in the same
 * process of this program, by each of:
 *   raw        Unicorn 2.0.1 alone: the ELF's PT_LOAD segments copied into
 *              plain uc_mem_map'ed memory at their own addresses (one
 *              region for image and brk heap, one for anonymous mmaps, one
 *              for the stack; no MMU model, no shadow, no host
 *              reservations), a Linux-like initial stack (argv, an empty
 *              environment, auxv with AT_PHDR/PHENT/PHNUM, AT_PAGESZ,
 *              AT_ENTRY, AT_RANDOM ...), and a system-call hook that does
 *              the minimum static glibc needs: brk and anonymous mmap from
 *              the pre-mapped areas, arch_prctl(SET_FS), prlimit64,
 *              getrandom, sysinfo (the preset's memory, as mmusim answers:
 *              glibc's qsort picks its algorithm by it), write into a
 *              buffer, exit_group, and for the real programs files: read
 *              anywhere, created and written (pread, pwrite, ftruncate,
 *              fcntl locks, unlink) only in the scratch directory;
 *              everything else returns -ENOSYS (said once on standard
 *              error, unless known harmless) or a harmless constant. The
 *              x87 and SSE control words start as Linux's. Instructions are
 *              counted as cpu/hooks.c counts them (a UC_HOOK_BLOCK hook;
 *              on AArch64 size / 4, on x86-64 each block decoded once by
 *              capstone and cached by address: see raw_block_hook), so the
 *              reference carries the same small counting cost as mmusim and
 *              the counts can be compared. It is the reference for the ratios. Same engine
 *              set-up as cpu/run.c: uc_open, UC_CPU_ARM64_MAX on AArch64,
 *              and the same libunicorn: 2.0.1 with cpu/uc_overrides.c's
 *              store path and region memo.
 *   raw-stock  raw on 2.0.1 as Debian ships it (the overrides off).
 *   raw-nohook the same without the block hook: what counting costs. The
 *              count shown is raw's.
 *   raw-memhk  raw plus UC_HOOK_MEM_READ|UC_HOOK_MEM_WRITE hooks that
 *              return at once. With any such hook, Unicorn sends every load
 *              and store through its C helpers (no inline fast path) and
 *              calls out: the floor for any design that sees data accesses
 *              through memory hooks, before it does any work of its own.
 *   functional mmusim, cpu_create(CPU_FUNCTIONAL) + cpu_run: only what the
 *              shadow cannot serve goes to the MMU.
 *   timing     mmusim, CPU_TIMING: every access through the TLB model.
 * mmusim runs with the skylake preset for x86-64 and cortex-a76 for
 * AArch64, with no event subscribers (no fault printer, no event log): what
 * `mmusim run` does without --faults/--events.
 *
 * Why a whole program rather than one loop pasted into both: the question
 * is how fast mmusim runs a guest, and a guest is a program — its glibc
 * start-up, system calls, page faults and library code (qsort, memcpy) are
 * part of what mmusim carries, and raw Unicorn running the same ELF
 * executes the same instructions (the counts agree to within start-up
 * differences of a few hundred, which the table shows). The work
 * dominates: by default 170 to 240 million instructions against a start-up
 * of about 7,000. The guest's output is captured in every mode and must be
 * the same, so each mode demonstrably did the same work.
 *
 * Each figure is a whole run — engine creation, loading, execution,
 * teardown — the best of --repeat runs (default 3), in CPU time of this
 * process (user + system: the shadow's mmap calls and the SIGSEGV handler
 * are system time), which other jobs on the machine disturb less than
 * wall time (also shown). "model cycles" is the cost model's total
 * (mmu_total_cycles): the same in every run of a mode, so it shows at once
 * whether a change to the simulator's speed changed its results.
 *
 * usage: bench_run [--rounds N] [--kernel all|alu|matmul|sort|chase|copy|each]
 *                  [--repeat R] [--arch x86_64|aarch64|both] [--guest NAME]
 *                  [--guest-dir DIR] [--only raw,raw-nohook,...]
 * --rounds (default 5) and --kernel (default all) are compute's arguments;
 * `--kernel each` gives one table per kernel. --guest runs another guest
 * from the build (without arguments), e.g. hello for the fixed costs. */
#include <capstone/capstone.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unicorn/unicorn.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "os/os.h"
#include "presets/preset.h"
#include "bench/scratch.h"

#ifndef MMUSIM_GUEST_DIR
#define MMUSIM_GUEST_DIR "build/guests"
#endif

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* What one run produced. */
struct result {
	bool ok;
	int status;
	uint64_t insns;
	double cpu, wall;
	char out[512];            /* the guest's standard output (truncated) */
	uint64_t mmu_accesses;    /* mmusim: accesses the MMU model saw */
	uint64_t faults;          /* mmusim: page faults */
	uint64_t cycles;          /* mmusim: the cost model's total */
	uint64_t out_bytes, out_hash; /* all of standard output: length and FNV-1a */
};

#define FNV_START 0xcbf29ce484222325ull
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	for (const uint8_t *b = p; n--; b++)
		h = (h ^ *b) * 0x100000001b3ull;
	return h;
}

/* ---- raw Unicorn ----------------------------------------------------------------- */
/* Guest layout (the same on both architectures). The image and the brk heap
 * are one region; anonymous mmaps are carved top-down from one area; the
 * stack is another. Unicorn's RAM is anonymous host memory, touched lazily. */
#define ALIGN 0x10000ull                 /* covers AArch64's 64 KiB segment alignment */
#define BRK_MAX (256ull << 20)
#define STACK_TOP 0x7ffff0000000ull
#define STACK_SIZE (8ull << 20)
#define MMAP_TOP (STACK_TOP - STACK_SIZE - (64ull << 20))
#define MMAP_SIZE (512ull << 20)

#define RAW_FDS 64
struct block_count {
	uint64_t addr;
	uint32_t size, insns;
};

struct raw {
	uc_engine *uc;
	csh cs;
	bool x86;
	uint64_t insns;
	uint64_t brk_start, brk_cur, brk_end;
	uint64_t mmap_low;
	uint64_t phys;           /* the preset's memory, for sysinfo */
	bool exited;
	int status;
	char out[512];
	size_t outlen;
	uint64_t out_bytes, out_hash;   /* all of standard output: its length and FNV-1a */
	int fds[RAW_FDS];                /* guest descriptor -> host descriptor + 1 (0: closed) */
	bool noted[512];                 /* system calls already reported as not implemented */
	struct block_count *blocks;   /* open addressing, grown at 70% load, as cpu/hooks.c's */
	size_t cap, used;
};

/* As cpu/hooks.c's block_insns: AArch64 instructions are 4 bytes; x86
 * blocks are decoded once and remembered by (address, size) in an
 * open-addressed table that grows: a fixed direct-mapped cache thrashes on
 * real programs (an interpreter has tens of thousands of hot blocks) and
 * would make the reference pay a capstone decode per block. The slot is
 * picked from every bit of the address: blocks 3 bytes apart must spread. */
static struct block_count *raw_block_slot(struct raw *r, uint64_t addr, uint32_t size)
{
	uint64_t h = (addr ^ ((uint64_t)size << 48)) * 0x9E3779B97F4A7C15ull;
	for (size_t s = (size_t)(h >> 32) & (r->cap - 1);; s = (s + 1) & (r->cap - 1))
		if (!r->blocks[s].insns || (r->blocks[s].addr == addr && r->blocks[s].size == size))
			return &r->blocks[s];
}

static void raw_block_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct raw *r = ud;
	if (!r->x86) {
		r->insns += size / 4;
		return;
	}
	if ((r->used + 1) * 10 > r->cap * 7) {   /* grow: real programs have tens of thousands of blocks */
		size_t ocap = r->cap, cap = ocap ? 2 * ocap : 4096;
		struct block_count *old = r->blocks, *n = calloc(cap, sizeof *n);
		if (!n)
			abort();
		r->blocks = n;
		r->cap = cap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].insns)
				*raw_block_slot(r, old[i].addr, old[i].size) = old[i];
		free(old);
	}
	struct block_count *b = raw_block_slot(r, addr, size);
	if (b->insns) {
		r->insns += b->insns;
		return;
	}
	uint8_t code[4096];
	uint32_t n = size < sizeof code ? size : sizeof code, count = 0;
	if (uc_mem_read(uc, addr, code, n) == UC_ERR_OK) {
		cs_insn *insn;
		count = (uint32_t)cs_disasm(r->cs, code, n, addr, 0, &insn);
		if (count)
			cs_free(insn, count);
	}
	if (!count)
		count = 1;
	*b = (struct block_count){addr, size, count};
	r->used++;
	r->insns += count;
}

static void raw_mem_hook(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *ud)
{
	(void)uc;
	(void)type;
	(void)addr;
	(void)size;
	(void)value;
	(void)ud;
}

/* The system calls static glibc makes, by meaning. */
enum { R_OTHER, R_BRK, R_MMAP, R_MUNMAP, R_MPROTECT, R_MADVISE, R_WRITE, R_EXIT, R_ARCH_PRCTL, R_SET_TID,
       R_PRLIMIT, R_GETRANDOM, R_IOCTL, R_SYSINFO, R_OPEN, R_OPENAT, R_READ, R_CLOSE, R_FSTAT, R_NEWFSTATAT,
       R_LSEEK, R_WRITEV, R_ZERO, R_DUP, R_DUP2, R_DUP3, R_FCNTL, R_GETPEERNAME, R_GETCWD, R_PREAD, R_PWRITE,
       R_FSYNC, R_FTRUNCATE, R_UNLINK, R_UNLINKAT, R_ACCESS, R_FACCESSAT, R_MREMAP, R_CLOCK_GETTIME,
       R_GETTIMEOFDAY, R_NOSYS, R_TIME };

static int raw_sys_kind(bool x86, uint64_t nr)
{
	static const struct { uint16_t x86, a64; int kind; } map[] = {
		{12, 214, R_BRK},      {9, 222, R_MMAP},      {11, 215, R_MUNMAP},     {10, 226, R_MPROTECT},
		{28, 233, R_MADVISE},  {1, 64, R_WRITE},      {60, 93, R_EXIT},        {231, 94, R_EXIT},
		{158, 0xffff, R_ARCH_PRCTL}, {218, 96, R_SET_TID}, {302, 261, R_PRLIMIT}, {318, 278, R_GETRANDOM},
		{16, 29, R_IOCTL},     {99, 179, R_SYSINFO},
		{2, 0xffff, R_OPEN},   {257, 56, R_OPENAT},   {0, 63, R_READ},         {3, 57, R_CLOSE},
		{5, 80, R_FSTAT},      {262, 79, R_NEWFSTATAT}, {8, 62, R_LSEEK},      {20, 66, R_WRITEV},
		{13, 134, R_ZERO},     {14, 135, R_ZERO},     {39, 172, R_ZERO},       {110, 173, R_ZERO},
		{102, 174, R_ZERO},    {104, 176, R_ZERO},    {107, 175, R_ZERO},      {108, 177, R_ZERO},
		{32, 23, R_DUP},       {33, 0xffff, R_DUP2},  {292, 24, R_DUP3},       {72, 25, R_FCNTL},
		{52, 205, R_GETPEERNAME}, {79, 17, R_GETCWD}, {111, 0xffff, R_ZERO}, {121, 155, R_ZERO},
		{17, 67, R_PREAD},     {18, 68, R_PWRITE},    {74, 82, R_FSYNC},       {75, 83, R_FSYNC},
		{77, 46, R_FTRUNCATE}, {87, 0xffff, R_UNLINK}, {263, 35, R_UNLINKAT},  {21, 0xffff, R_ACCESS},
		{269, 48, R_FACCESSAT}, {439, 439, R_FACCESSAT}, {25, 216, R_MREMAP},  {228, 113, R_CLOCK_GETTIME},
		{96, 169, R_GETTIMEOFDAY}, {93, 55, R_ZERO},  {91, 52, R_ZERO},    {273, 99, R_ZERO},
		{334, 293, R_NOSYS},   {89, 0xffff, R_NOSYS}, {267, 78, R_NOSYS},    {201, 0xffff, R_TIME},
		{157, 167, R_NOSYS},   {63, 160, R_NOSYS},    {41, 198, R_NOSYS},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (nr == (x86 ? map[i].x86 : map[i].a64))
			return map[i].kind;
	return R_OTHER;
}

/* Files, done simply for the real programs (busybox, bash, sqlite, the
 * compressors): guest paths are host paths; a path the guest may create or
 * write must be in the working directory (the scratch directory), without
 * "..".
 * The guest's descriptors 0-2 are an empty standard input, the captured
 * standard output and standard error. */
static int raw_host_fd(struct raw *r, uint64_t fd)
{
	return fd < RAW_FDS && r->fds[fd] ? r->fds[fd] - 1 : -1;
}

static void raw_path(struct raw *r, uint64_t va, char path[4096])
{
	if (uc_mem_read(r->uc, va, path, 4095) != UC_ERR_OK)   /* may run past the end: try shorter */
		for (size_t n = 0; n < 4095; n++)
			if (uc_mem_read(r->uc, va + n, path + n, 1) != UC_ERR_OK || !path[n])
				break;
	path[4095] = 0;
}

static bool raw_scratch_path(const char *path)
{
	char cwd[4096];
	size_t n = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
	if (path[0] == '/' && !(n && !strncmp(path, cwd, n) && path[n] == '/'))
		return false;   /* absolute, and not in the working directory */
	return path[0] && !strstr(path, "..");
}

/* O_CREAT, O_EXCL, O_TRUNC and O_APPEND have the same values on both
 * architectures; O_DIRECTORY does not. */
static int64_t raw_open(struct raw *r, uint64_t path_va, uint64_t flags, uint64_t mode)
{
	char path[4096];
	raw_path(r, path_va, path);
	int host = (int)(flags & (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND));
	if (flags & (r->x86 ? 0x10000u : 0x4000u))
		host |= O_DIRECTORY;
	if (((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC))) && !raw_scratch_path(path))
		return -EACCES;
	uint64_t g = 3;
	while (g < RAW_FDS && r->fds[g])
		g++;
	if (g == RAW_FDS)
		return -EMFILE;
	int fd = open(path, host | O_CLOEXEC, (mode_t)(mode & 0777));
	if (fd < 0)
		return -errno;
	r->fds[g] = fd + 1;
	return (int64_t)g;
}

static int64_t raw_unlink(struct raw *r, uint64_t path_va, uint64_t flags)
{
	char path[4096];
	raw_path(r, path_va, path);
	if (!raw_scratch_path(path))
		return -EACCES;
	return (flags & 0x200 ? rmdir(path) : unlink(path)) ? -errno : 0;   /* AT_REMOVEDIR */
}

static int64_t raw_access(struct raw *r, uint64_t path_va, uint64_t mode)
{
	char path[4096];
	raw_path(r, path_va, path);
	return access(path, (int)mode) ? -errno : 0;
}

/* struct stat as each architecture's kernel writes it. */
static int64_t raw_stat_out(struct raw *r, const struct stat *st, uint64_t va)
{
	uint8_t b[144] = {0};
	uint64_t v;
#define PUT(off, val, n) (v = (uint64_t)(val), memcpy(b + (off), &v, (n)))
	PUT(0, st->st_dev, 8);
	PUT(8, st->st_ino, 8);
	if (r->x86) {
		PUT(16, st->st_nlink, 8), PUT(24, st->st_mode, 4), PUT(28, st->st_uid, 4), PUT(32, st->st_gid, 4);
		PUT(40, st->st_rdev, 8), PUT(48, st->st_size, 8), PUT(56, st->st_blksize, 8), PUT(64, st->st_blocks, 8);
		PUT(72, st->st_atime, 8), PUT(88, st->st_mtime, 8), PUT(104, st->st_ctime, 8);
	} else {
		PUT(16, st->st_mode, 4), PUT(20, st->st_nlink, 4), PUT(24, st->st_uid, 4), PUT(28, st->st_gid, 4);
		PUT(32, st->st_rdev, 8), PUT(48, st->st_size, 8), PUT(56, st->st_blksize, 4), PUT(64, st->st_blocks, 8);
		PUT(72, st->st_atime, 8), PUT(88, st->st_mtime, 8), PUT(104, st->st_ctime, 8);
	}
#undef PUT
	return uc_mem_write(r->uc, va, b, r->x86 ? 144 : 128) == UC_ERR_OK ? 0 : -EFAULT;
}

static int64_t raw_fstat(struct raw *r, uint64_t fd, uint64_t va)
{
	struct stat st = {0};
	if (raw_host_fd(r, fd) >= 0) {
		if (fstat(raw_host_fd(r, fd), &st))
			return -errno;
	} else if (fd <= 2) {
		st.st_mode = S_IFCHR | 0620;   /* a terminal-like character device */
		st.st_blksize = 1024;
	} else {
		return -EBADF;
	}
	return raw_stat_out(r, &st, va);
}

/* Up to 64 KiB between guest memory and host descriptor h, at offset off
 * (pread, pwrite) or, when it is negative, where the file is (read, write). */
static int64_t raw_host_io(struct raw *r, int h, bool write_it, uint64_t va, uint64_t len, int64_t off)
{
	char buf[65536];
	size_t n = len < sizeof buf ? (size_t)len : sizeof buf;
	ssize_t done;
	if (write_it) {
		if (uc_mem_read(r->uc, va, buf, n) != UC_ERR_OK)
			return -EFAULT;
		done = off < 0 ? write(h, buf, n) : pwrite(h, buf, n, (off_t)off);
		return done < 0 ? -errno : done;
	}
	done = off < 0 ? read(h, buf, n) : pread(h, buf, n, (off_t)off);
	if (done < 0)
		return -errno;
	return uc_mem_write(r->uc, va, buf, (size_t)done) == UC_ERR_OK ? done : -EFAULT;
}

static int64_t raw_read(struct raw *r, uint64_t fd, uint64_t va, uint64_t len)
{
	int h = raw_host_fd(r, fd);
	if (h < 0)
		return fd == 0 ? 0 : -EBADF;   /* the standard input, unless replaced: empty */
	return raw_host_io(r, h, false, va, len, -1);
}

static int64_t raw_write(struct raw *r, uint64_t fd, uint64_t va, uint64_t len)
{
	uint64_t done = 0;
	char buf[4096];
	int h = raw_host_fd(r, fd);
	if (h >= 0)
		return raw_host_io(r, h, true, va, len, -1);
	if (fd != 1 && fd != 2)
		return -EBADF;
	while (done < len) {
		size_t n = len - done < sizeof buf ? (size_t)(len - done) : sizeof buf;
		if (uc_mem_read(r->uc, va + done, buf, n) != UC_ERR_OK)
			return done ? (int64_t)done : -EFAULT;
		if (fd == 1) {
			size_t room = sizeof r->out - 1 - r->outlen, k = n < room ? n : room;
			memcpy(r->out + r->outlen, buf, k);
			r->outlen += k;
			r->out[r->outlen] = 0;
			r->out_bytes += n;
			r->out_hash = fnv(r->out_hash, buf, n);
		} else {
			fwrite(buf, 1, n, stderr);
		}
		done += n;
	}
	return (int64_t)done;
}

static int64_t raw_writev(struct raw *r, uint64_t fd, uint64_t iov, uint64_t cnt)
{
	int64_t total = 0;
	for (uint64_t i = 0; i < cnt && i < 1024; i++) {
		uint64_t v[2];
		if (uc_mem_read(r->uc, iov + 16 * i, v, sizeof v) != UC_ERR_OK)
			return -EFAULT;
		int64_t n = raw_write(r, fd, v[0], v[1]);
		if (n < 0)
			return total ? total : n;
		total += n;
	}
	return total;
}

/* dup and friends, for host files only (busybox moves its input onto 0). */
static int64_t raw_dup(struct raw *r, uint64_t old, uint64_t want, bool exact)
{
	int h = raw_host_fd(r, old);
	if (h < 0)
		return -EBADF;
	if (want >= RAW_FDS)
		return -EMFILE;
	if (!exact)
		while (want < RAW_FDS && r->fds[want])
			want++;
	if (want >= RAW_FDS)
		return -EMFILE;
	if (want == old)
		return (int64_t)want;
	int n = fcntl(h, F_DUPFD_CLOEXEC, 3);
	if (n < 0)
		return -errno;
	if (r->fds[want])
		close(r->fds[want] - 1);
	r->fds[want] = n + 1;
	return (int64_t)want;
}

static int64_t raw_syscall(struct raw *r, uint64_t nr, const uint64_t a[6])
{
	int kind = raw_sys_kind(r->x86, nr);
	switch (kind) {
	case R_BRK:
		if (a[0] >= r->brk_start && a[0] <= r->brk_end) {
			if (a[0] < r->brk_cur) {   /* shrunk: what grows back must read as zero, as in Linux */
				static const uint8_t zero[4096];
				for (uint64_t at = a[0]; at < r->brk_cur; at += sizeof zero) {
					uint64_t n = r->brk_cur - at < sizeof zero ? r->brk_cur - at : sizeof zero;
					uc_mem_write(r->uc, at, zero, n);
				}
			}
			r->brk_cur = a[0];
		}
		return (int64_t)r->brk_cur;
	case R_MMAP: {
		uint64_t len = (a[1] + 4095) & ~4095ull;
		if (!(a[3] & 0x20) || (a[3] & 0x10))   /* only MAP_ANONYMOUS, never MAP_FIXED */
			return -ENODEV;
		if (!len || len > r->mmap_low - (MMAP_TOP - MMAP_SIZE))
			return -ENOMEM;
		r->mmap_low -= len;   /* never reused: fresh memory is zero */
		return (int64_t)r->mmap_low;
	}
	case R_MUNMAP:
	case R_MPROTECT:
	case R_MADVISE:
		return 0;
	case R_WRITE:
		return raw_write(r, a[0], a[1], a[2]);
	case R_WRITEV:
		return raw_writev(r, a[0], a[1], a[2]);
	case R_OPEN:
		return raw_open(r, a[0], a[1], a[2]);
	case R_OPENAT:
		return (int32_t)a[0] == -100 ? raw_open(r, a[1], a[2], a[3]) : -ENOSYS;   /* AT_FDCWD only */
	case R_PREAD:
	case R_PWRITE: {
		int h = raw_host_fd(r, a[0]);
		if (h < 0)
			return a[0] <= 2 ? -ESPIPE : -EBADF;
		if ((int64_t)a[3] < 0)
			return -EINVAL;   /* as pread and pwrite say of a negative offset */
		return raw_host_io(r, h, kind == R_PWRITE, a[1], a[2], (int64_t)a[3]);
	}
	case R_FSYNC:   /* the scratch file is thrown away: durability costs only time here */
		return raw_host_fd(r, a[0]) >= 0 ? 0 : -EBADF;
	case R_FTRUNCATE: {
		int h = raw_host_fd(r, a[0]);
		if (h < 0)
			return -EBADF;
		return ftruncate(h, (off_t)a[1]) ? -errno : 0;
	}
	case R_UNLINK:
		return raw_unlink(r, a[0], 0);
	case R_UNLINKAT:
		return (int32_t)a[0] == -100 ? raw_unlink(r, a[1], a[2]) : -ENOSYS;
	case R_ACCESS:
		return raw_access(r, a[0], a[1]);
	case R_FACCESSAT:
		return (int32_t)a[0] == -100 ? raw_access(r, a[1], a[2]) : -ENOSYS;
	case R_MREMAP:   /* mmaps are never moved here: glibc's realloc then copies */
		return -ENOMEM;
	case R_CLOCK_GETTIME:
	case R_GETTIMEOFDAY: {   /* timespec or timeval: two 64-bit words */
		bool ns = kind == R_CLOCK_GETTIME;
		struct timespec ts;
		if (clock_gettime(ns ? (clockid_t)a[0] : CLOCK_REALTIME, &ts))
			return -errno;
		uint64_t v[2] = {(uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec / (ns ? 1 : 1000)};
		uint64_t va = ns ? a[1] : a[0];
		return !va || uc_mem_write(r->uc, va, v, sizeof v) == UC_ERR_OK ? 0 : -EFAULT;
	}
	case R_READ:
		return raw_read(r, a[0], a[1], a[2]);
	case R_CLOSE:
		if (raw_host_fd(r, a[0]) >= 0) {
			close(raw_host_fd(r, a[0]));
			r->fds[a[0]] = 0;
			return 0;
		}
		return a[0] <= 2 ? 0 : -EBADF;
	case R_FSTAT:
		return raw_fstat(r, a[0], a[1]);
	case R_NEWFSTATAT:
		if ((a[3] & 0x1000) && uc_mem_read(r->uc, a[1], (char[1]){0}, 1) == UC_ERR_OK) {   /* AT_EMPTY_PATH */
			char c = 1;
			uc_mem_read(r->uc, a[1], &c, 1);
			if (!c)
				return raw_fstat(r, a[0], a[2]);
		}
		{
			int64_t fd = (int32_t)a[0] == -100 ? raw_open(r, a[1], O_RDONLY, 0) : -ENOSYS;
			if (fd < 0)
				return fd;
			int64_t ret = raw_fstat(r, (uint64_t)fd, a[2]);
			close(raw_host_fd(r, (uint64_t)fd));
			r->fds[fd] = 0;
			return ret;
		}
	case R_LSEEK: {
		int h = raw_host_fd(r, a[0]);
		if (h < 0)
			return a[0] <= 2 ? -ESPIPE : -EBADF;
		off_t o = lseek(h, (off_t)a[1], (int)a[2]);
		return o < 0 ? -errno : (int64_t)o;
	}
	case R_DUP:
		return raw_dup(r, a[0], 0, false);
	case R_DUP2:
	case R_DUP3:
		return raw_dup(r, a[0], a[1], true);
	case R_FCNTL:
		if (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC)
			return raw_dup(r, a[0], a[2], false);
		if (a[1] == F_GETLK || a[1] == F_SETLK || a[1] == F_SETLKW) {   /* struct flock: one layout on both */
			struct flock fl;
			int h = raw_host_fd(r, a[0]);
			if (h < 0)
				return -EBADF;
			if (uc_mem_read(r->uc, a[2], &fl, sizeof fl) != UC_ERR_OK)
				return -EFAULT;
			if (fcntl(h, (int)a[1], &fl))
				return -errno;
			return uc_mem_write(r->uc, a[2], &fl, sizeof fl) == UC_ERR_OK ? 0 : -EFAULT;
		}
		return 0;   /* F_GETFD, F_SETFD, F_GETFL, F_SETFL: nothing kept */
	case R_GETPEERNAME:   /* bash asks whether its input is a socket (run by sshd) */
		return -ENOTSOCK;
	case R_GETCWD: {
		char cwd[4096];
		if (!getcwd(cwd, sizeof cwd))
			return -errno;
		size_t n = strlen(cwd) + 1;
		if (n > a[1])
			return -ERANGE;
		return uc_mem_write(r->uc, a[0], cwd, n) == UC_ERR_OK ? (int64_t)n : -EFAULT;
	}
	case R_TIME: {
		uint64_t t = (uint64_t)time(NULL);
		return !a[0] || uc_mem_write(r->uc, a[0], &t, sizeof t) == UC_ERR_OK ? (int64_t)t : -EFAULT;
	}
	case R_NOSYS:   /* rseq, readlink, prctl, uname, socket: glibc and busybox do without */
		return -ENOSYS;
	case R_ZERO:   /* set_robust_list, fchown, rt_sigaction, getpid, getuid ...: nothing to do */
		return 0;
	case R_EXIT:
		r->exited = true;
		r->status = (int)(a[0] & 0xff);
		uc_emu_stop(r->uc);
		return 0;
	case R_ARCH_PRCTL:
		if (a[0] != 0x1002)   /* ARCH_SET_FS */
			return -EINVAL;
		uc_reg_write(r->uc, UC_X86_REG_FS_BASE, &a[1]);
		return 0;
	case R_SET_TID:
		return 1;
	case R_PRLIMIT:
		if (a[3]) {
			uint64_t lim[2] = {STACK_SIZE, ~0ull};
			uc_mem_write(r->uc, a[3], lim, sizeof lim);
		}
		return 0;
	case R_GETRANDOM: {
		uint8_t buf[256];
		memset(buf, 0x5a, sizeof buf);
		uint64_t n = a[1] < sizeof buf ? a[1] : sizeof buf;
		uc_mem_write(r->uc, a[0], buf, n);
		return (int64_t)n;
	}
	case R_IOCTL:
		return -ENOTTY;
	case R_SYSINFO: {   /* glibc's qsort sizes its buffer by the memory: answer as mmusim does */
		uint64_t q[14] = {0};
		q[4] = q[5] = r->phys;   /* totalram, freeram */
		q[13] = 1;               /* mem_unit */
		return uc_mem_write(r->uc, a[0], q, 112) == UC_ERR_OK ? 0 : -EFAULT;
	}
	default:
		if (nr < 512 && !r->noted[nr]) {
			r->noted[nr] = true;
			fprintf(stderr, "bench_run: raw run: system call %" PRIu64 " not implemented here (-ENOSYS)\n", nr);
		}
		return -ENOSYS;
	}
}

/* RAW_STRACE=1 in the environment: each of the raw run's system calls on
 * standard error, to see what a new program needs of this runner. */
static int64_t raw_syscall_logged(struct raw *r, uint64_t nr, const uint64_t a[6])
{
	static int trace = -1;
	if (trace < 0)
		trace = getenv("RAW_STRACE") != NULL;
	int64_t ret = raw_syscall(r, nr, a);
	if (trace)
		fprintf(stderr, "raw: %" PRIu64 "(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ") = %" PRId64 "\n",
			nr, a[0], a[1], a[2], a[3], ret);
	return ret;
}

static void raw_x86_syscall(uc_engine *uc, void *ud)
{
	static const int regs[7] = {UC_X86_REG_RAX, UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX,
				    UC_X86_REG_R10, UC_X86_REG_R8,  UC_X86_REG_R9};
	uint64_t v[7];
	for (int i = 0; i < 7; i++)
		uc_reg_read(uc, regs[i], &v[i]);
	int64_t ret = raw_syscall_logged(ud, v[0], v + 1);
	uc_reg_write(uc, UC_X86_REG_RAX, &ret);
}

static void raw_intr(uc_engine *uc, uint32_t intno, void *ud)
{
	struct raw *r = ud;
	if (r->x86 || intno != 2) {   /* not a system call: the run fails */
		fprintf(stderr, "bench_run: raw run: unexpected interrupt %u\n", intno);
		r->exited = true;
		r->status = 128 + 4;
		uc_emu_stop(uc);
		return;
	}
	uint64_t v[7];
	uc_reg_read(uc, UC_ARM64_REG_X8, &v[0]);
	for (int i = 0; i < 6; i++)
		uc_reg_read(uc, UC_ARM64_REG_X0 + i, &v[1 + i]);
	int64_t ret = raw_syscall_logged(r, v[0], v + 1);
	uc_reg_write(uc, UC_ARM64_REG_X0, &ret);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	uint8_t *buf = malloc((size_t)st.st_size + 1);
	ssize_t n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

/* The initial stack as Linux builds it: argc, argv, envp (empty), auxv,
 * then the strings and AT_RANDOM's bytes above. Returns the stack pointer. */
static uint64_t raw_stack(struct raw *r, const Elf64_Ehdr *eh, uint64_t phdr, int argc, char *const argv[])
{
	uint8_t area[4096] = {0};
	uint64_t base = STACK_TOP - sizeof area;   /* the strings live in the top 4 KiB */
	size_t top = sizeof area;
	uint64_t strs[16];
	if (argc > 16)
		argc = 16;
	for (int i = argc - 1; i >= 0; i--) {
		size_t n = strlen(argv[i]) + 1;
		top -= n;
		memcpy(area + top, argv[i], n);
		strs[i] = base + top;
	}
	const char *platform = r->x86 ? "x86_64" : "aarch64";
	top -= strlen(platform) + 1;
	memcpy(area + top, platform, strlen(platform) + 1);
	uint64_t platform_va = base + top;
	top = (top - 16) & ~15ul;
	for (int i = 0; i < 16; i++)
		area[top + (size_t)i] = (uint8_t)(0xA5 ^ (i * 37));
	uint64_t random_va = base + top;
	uc_mem_write(r->uc, base, area, sizeof area);

	uint64_t words[96];
	size_t n = 0;
	words[n++] = (uint64_t)argc;
	for (int i = 0; i < argc; i++)
		words[n++] = strs[i];
	words[n++] = 0;   /* end of argv */
	words[n++] = 0;   /* end of envp */
#define AUX(t, v) (words[n++] = (t), words[n++] = (v))
	AUX(AT_HWCAP, 0);
	AUX(AT_PAGESZ, 4096);
	AUX(AT_CLKTCK, 100);
	AUX(AT_PHDR, phdr);
	AUX(AT_PHENT, sizeof(Elf64_Phdr));
	AUX(AT_PHNUM, eh->e_phnum);
	AUX(AT_BASE, 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, eh->e_entry);
	AUX(AT_UID, 0);
	AUX(AT_EUID, 0);
	AUX(AT_GID, 0);
	AUX(AT_EGID, 0);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, random_va);
	AUX(AT_HWCAP2, 0);
	AUX(AT_EXECFN, strs[0]);
	AUX(AT_PLATFORM, platform_va);
	AUX(AT_NULL, 0);
#undef AUX
	uint64_t sp = (base - n * 8) & ~15ull;
	uc_mem_write(r->uc, sp, words, n * 8);
	return sp;
}

/* Each PT_LOAD's pages with its own permissions (a page two segments share
 * keeps all), the rest of the image region read-write. */
static void raw_protect_segments(struct raw *r, const Elf64_Ehdr *eh, const Elf64_Phdr *ph)
{
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		uint64_t lo = ph[i].p_vaddr & ~4095ull, hi = (ph[i].p_vaddr + ph[i].p_memsz + 4095) & ~4095ull;
		for (int j = 0; j < eh->e_phnum; j++) {   /* shrink away from pages another segment shares */
			if (j == i || ph[j].p_type != PT_LOAD)
				continue;
			uint64_t jlo = ph[j].p_vaddr & ~4095ull, jhi = (ph[j].p_vaddr + ph[j].p_memsz + 4095) & ~4095ull;
			if (jlo < hi && jhi > lo) {
				if (jlo <= lo)
					lo = jhi;
				else
					hi = jlo;
			}
		}
		uint32_t prot = ((ph[i].p_flags & PF_R) ? UC_PROT_READ : 0) | ((ph[i].p_flags & PF_W) ? UC_PROT_WRITE : 0) |
				((ph[i].p_flags & PF_X) ? UC_PROT_EXEC : 0);
		if (lo < hi)
			uc_mem_protect(r->uc, lo, hi - lo, prot);
	}
}

/* Loads and runs the ELF; `hooks`: 0 none but system calls, 1 the block
 * hook, 2 the block hook and empty memory hooks. */
static const char *bench_preset(bool x86) { return x86 ? "skylake" : "cortex-a76"; }

static bool raw_run(const char *path, bool x86, int hooks, int argc, char *const argv[], struct result *res)
{
	size_t len;
	uint8_t *elf = read_file(path, &len);
	if (!elf) {
		fprintf(stderr, "bench_run: %s: %s\n", path, strerror(errno));
		return false;
	}
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
	if (len < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_type != ET_EXEC ||
	    eh->e_machine != (x86 ? EM_X86_64 : EM_AARCH64) || eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr) > len) {
		fprintf(stderr, "bench_run: %s: not a static %s executable\n", path, x86 ? "x86-64" : "AArch64");
		free(elf);
		return false;
	}
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + eh->e_phoff);
	uint64_t lo = UINT64_MAX, hi = 0, phdr = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_vaddr < lo)
			lo = ph[i].p_vaddr;
		if (ph[i].p_vaddr + ph[i].p_memsz > hi)
			hi = ph[i].p_vaddr + ph[i].p_memsz;
		if (eh->e_phoff >= ph[i].p_offset && eh->e_phoff < ph[i].p_offset + ph[i].p_filesz)
			phdr = ph[i].p_vaddr + (eh->e_phoff - ph[i].p_offset);
	}
	struct raw *r = calloc(1, sizeof *r);
	if (!r || lo >= hi) {
		free(r);
		free(elf);
		return false;
	}
	r->x86 = x86;
	r->out_hash = FNV_START;
	struct preset p;
	char perr[256];
	if (preset_load(bench_preset(x86), &p, perr, sizeof perr)) {
		fprintf(stderr, "bench_run: %s\n", perr);
		free(r);
		free(elf);
		return false;
	}
	r->phys = p.mmu.phys_size;
	double c0 = cpu_seconds(), w0 = wall_seconds();
	uc_err e = x86 ? uc_open(UC_ARCH_X86, UC_MODE_64, &r->uc) : uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &r->uc);
	if (e != UC_ERR_OK) {
		fprintf(stderr, "bench_run: unicorn: %s\n", uc_strerror(e));
		free(r);
		free(elf);
		return false;
	}
	if (!x86)   /* as cpu/run.c: LSE atomics need more than the default A72 */
		uc_ctl_set_cpu_model(r->uc, UC_CPU_ARM64_MAX);
	cs_open(x86 ? CS_ARCH_X86 : CS_ARCH_ARM64, x86 ? CS_MODE_64 : CS_MODE_ARM, &r->cs);
	uint64_t img_lo = lo & ~(ALIGN - 1), img_hi = (hi + ALIGN - 1) & ~(ALIGN - 1);
	r->brk_start = r->brk_cur = (hi + 4095) & ~4095ull;
	r->brk_end = img_hi + BRK_MAX;
	r->mmap_low = MMAP_TOP;
	uint32_t all = UC_PROT_READ | UC_PROT_WRITE | UC_PROT_EXEC;
	bool ok = uc_mem_map(r->uc, img_lo, r->brk_end - img_lo, all) == UC_ERR_OK &&
		  uc_mem_map(r->uc, MMAP_TOP - MMAP_SIZE, MMAP_SIZE, UC_PROT_READ | UC_PROT_WRITE) == UC_ERR_OK &&
		  uc_mem_map(r->uc, STACK_TOP - STACK_SIZE, STACK_SIZE, UC_PROT_READ | UC_PROT_WRITE) == UC_ERR_OK;
	for (int i = 0; ok && i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_filesz)
			ok = ph[i].p_offset + ph[i].p_filesz <= len &&
			     uc_mem_write(r->uc, ph[i].p_vaddr, elf + ph[i].p_offset, ph[i].p_filesz) == UC_ERR_OK;
	if (ok && getenv("RAW_SPLIT"))
		raw_protect_segments(r, eh, ph);
	uint64_t sp = ok ? raw_stack(r, eh, phdr, argc, argv) : 0;
	uc_hook h;
	if (hooks >= 1)
		uc_hook_add(r->uc, &h, UC_HOOK_BLOCK, (void *)raw_block_hook, r, 1, 0);
	if (hooks >= 2)
		uc_hook_add(r->uc, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, (void *)raw_mem_hook, r, 1, 0);
	uc_hook_add(r->uc, &h, UC_HOOK_INTR, (void *)raw_intr, r, 1, 0);
	if (x86) {
		uc_hook_add(r->uc, &h, UC_HOOK_INSN, (void *)raw_x86_syscall, r, 1, 0, UC_X86_INS_SYSCALL);
		uint64_t zero = 0;
		uc_reg_write(r->uc, UC_X86_REG_RDX, &zero);
		uc_reg_write(r->uc, UC_X86_REG_RSP, &sp);
		/* Linux starts a process with the x87 at extended precision (not
		 * Unicorn's reset value): sqlite's long doubles print otherwise. */
		uint32_t fcw = 0x37f, mxcsr = 0x1f80;
		uc_reg_write(r->uc, UC_X86_REG_FPCW, &fcw);
		uc_reg_write(r->uc, UC_X86_REG_MXCSR, &mxcsr);
	} else {
		uc_reg_write(r->uc, UC_ARM64_REG_SP, &sp);
	}
	if (ok) {
		e = uc_emu_start(r->uc, eh->e_entry, UINT64_MAX, 0, 0);
		if (e != UC_ERR_OK && !r->exited) {
			uint64_t pc = 0;
			uc_reg_read(r->uc, x86 ? UC_X86_REG_RIP : UC_ARM64_REG_PC, &pc);
			fprintf(stderr, "bench_run: raw run stopped at %#" PRIx64 ": %s\n", pc, uc_strerror(e));
		}
	}
	cs_close(&r->cs);
	uc_close(r->uc);
	free(r->blocks);
	res->cpu = cpu_seconds() - c0;
	res->wall = wall_seconds() - w0;
	res->ok = ok && r->exited;
	res->status = r->status;
	res->insns = r->insns;
	snprintf(res->out, sizeof res->out, "%s", r->out);
	res->out_bytes = r->out_bytes;
	res->out_hash = r->out_hash;
	for (int fd = 0; fd < RAW_FDS; fd++)
		if (r->fds[fd])
			close(r->fds[fd] - 1);
	free(r);
	free(elf);
	return res->ok;
}

/* ---- mmusim -------------------------------------------------------------------------- */
static bool sim_run(const char *path, const char *preset_name, enum cpu_mode mode, int argc, char *const argv[],
		    struct result *res)
{
	char err[512];
	struct preset p;
	if (preset_load(preset_name, &p, err, sizeof err)) {
		fprintf(stderr, "bench_run: %s\n", err);
		return false;
	}
	/* The guest's standard output goes to a memfd while it runs. */
	fflush(stdout);
	int saved = dup(STDOUT_FILENO), out = memfd_create("guest-stdout", MFD_CLOEXEC);
	if (saved < 0 || out < 0 || dup2(out, STDOUT_FILENO) < 0) {
		fprintf(stderr, "bench_run: cannot redirect the guest's output: %s\n", strerror(errno));
		return false;
	}
	double c0 = cpu_seconds(), w0 = wall_seconds();
	struct os_config oc;
	os_config_default(&oc);
	oc.thp = p.thp;
	struct kernel *k = kernel_create(&p.mmu, &oc, err, sizeof err);
	struct cpu_options co = {.mode = mode, .quiet = true};
	struct cpu *c = k ? cpu_create(k, &co, err, sizeof err) : NULL;
	char *const envp[] = {NULL};
	int status = c ? cpu_run(c, path, argc, argv, envp, err, sizeof err) : -1;
	if (c) {
		res->insns = cpu_instructions(c);
		const struct mmu_stats *st = mmu_stats(kernel_mmu(k));
		res->mmu_accesses = st->accesses[0] + st->accesses[1] + st->accesses[2];
		struct os_stats os;
		kernel_stats(k, &os);
		res->faults = os.faults;
		res->cycles = mmu_total_cycles(kernel_mmu(k));
	}
	cpu_destroy(c);
	kernel_destroy(k);
	res->cpu = cpu_seconds() - c0;
	res->wall = wall_seconds() - w0;
	dup2(saved, STDOUT_FILENO);
	close(saved);
	if (status < 0)
		fprintf(stderr, "bench_run: mmusim: %s\n", err);
	ssize_t n = pread(out, res->out, sizeof res->out - 1, 0);
	res->out[n > 0 ? n : 0] = 0;
	res->out_hash = FNV_START;
	char buf[65536];
	for (off_t at = 0; (n = pread(out, buf, sizeof buf, at)) > 0; at += n) {
		res->out_hash = fnv(res->out_hash, buf, (size_t)n);
		res->out_bytes += (uint64_t)n;
	}
	close(out);
	res->ok = status >= 0;
	res->status = status;
	return res->ok;
}

/* ---- the table --------------------------------------------------------------------- */
enum mode { M_RAW, M_RAW_STOCK, M_RAW_NOHOOK, M_RAW_MEMHOOK, M_FUNCTIONAL, M_TIMING, M_CACHEGRIND, M_LACKEY,
	    M_LACKEY_MEM, M_NATIVE, M_QEMU, M_COUNT };
static const char *const mode_names[M_COUNT] = {"raw",	      "raw-stock", "raw-nohook", "raw-memhk",
						"functional", "timing",	   "cachegrind", "lackey",
						"lackey-mem", "native",	   "qemu-user"};
static const char *const mode_notes[M_COUNT] = {
	"Unicorn alone, the ELF loaded by this program, block hook counting as cpu/ does (the reference)",
	"raw on Unicorn 2.0.1 as Debian ships it: without cpu/uc_overrides.c's store path",
	"the same without the block hook (instructions: raw's count)",
	"raw plus UC_HOOK_MEM_READ|WRITE hooks that do nothing (instructions: raw's count)",
	"mmusim, cpu_create(CPU_FUNCTIONAL) + cpu_run",
	"mmusim, cpu_create(CPU_TIMING) + cpu_run",
	"valgrind --tool=cachegrind --cache-sim=yes, the x86-64 binary run natively (a full cache simulator)",
	"valgrind --tool=lackey (its default: counting), the x86-64 binary run natively",
	"valgrind --tool=lackey --trace-mem=yes (every access, as timing mode sees them) to /dev/null",
	"the x86-64 binary run natively on this machine (CPU time of the child)",
	"qemu-x86_64 / qemu-aarch64 (Debian's qemu-user) running the binary (CPU time of the child)",
};

/* A child process: CPU time of the whole child (wait4), its standard
 * output through a pipe (the first bytes kept, all of it hashed). */
static bool child_run(char *const args[], struct result *res)
{
	int fds[2];
	if (pipe(fds))
		return false;
	double w0 = wall_seconds();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, STDIN_FILENO);   /* as the raw runner: an empty standard input */
		execvp(args[0], args);
		_exit(127);
	}
	close(fds[1]);
	size_t len = 0;
	ssize_t got;
	char buf[65536];
	res->out_hash = FNV_START;
	while ((got = read(fds[0], buf, sizeof buf)) > 0) {
		size_t k = (size_t)got < sizeof res->out - 1 - len ? (size_t)got : sizeof res->out - 1 - len;
		memcpy(res->out + len, buf, k);
		len += k;
		res->out_hash = fnv(res->out_hash, buf, (size_t)got);
		res->out_bytes += (uint64_t)got;
	}
	res->out[len] = 0;
	close(fds[0]);
	int status = 0;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
		return false;
	res->wall = wall_seconds() - w0;
	res->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
		   (double)ru.ru_stime.tv_usec * 1e-6;
	res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	res->ok = res->status == 0;
	if (res->status == 127)
		fprintf(stderr, "bench_run: %s not found\n", args[0]);
	return res->ok;
}

/* The binary under valgrind (x86-64), natively, or in qemu-user. */
static bool exec_run(const char *path, enum mode m, bool x86, int argc, char *const argv[], struct result *res)
{
	const char *pre[6] = {NULL};
	if (m == M_CACHEGRIND) {
		const char *t[] = {"valgrind", "--log-file=/dev/null", "--tool=cachegrind", "--cache-sim=yes",
				   "--cachegrind-out-file=/dev/null", NULL};
		memcpy(pre, t, sizeof t);
	} else if (m == M_LACKEY) {
		const char *t[] = {"valgrind", "--log-file=/dev/null", "--tool=lackey", NULL};
		memcpy(pre, t, sizeof t);
	} else if (m == M_LACKEY_MEM) {
		const char *t[] = {"valgrind", "--log-file=/dev/null", "--tool=lackey", "--trace-mem=yes", NULL};
		memcpy(pre, t, sizeof t);
	} else if (m == M_QEMU) {
		pre[0] = x86 ? "qemu-x86_64" : "qemu-aarch64";
	}
	char *args[40];
	int n = 0;
	for (int i = 0; pre[i]; i++)
		args[n++] = (char *)pre[i];
	args[n++] = (char *)path;
	for (int i = 1; i < argc && n < 39; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	return child_run(args, res);
}

static bool run_mode(enum mode m, const char *path, bool x86, int argc, char *const argv[], struct result *r)
{
	switch (m) {
	case M_RAW:
		return raw_run(path, x86, 1, argc, argv, r);
	case M_RAW_STOCK: {
		cpu_unicorn_overrides(false);
		bool ok = raw_run(path, x86, 1, argc, argv, r);
		cpu_unicorn_overrides(true);
		return ok;
	}
	case M_RAW_NOHOOK:
		return raw_run(path, x86, 0, argc, argv, r);
	case M_RAW_MEMHOOK:
		return raw_run(path, x86, 2, argc, argv, r);
	case M_FUNCTIONAL:
		return sim_run(path, bench_preset(x86), CPU_FUNCTIONAL, argc, argv, r);
	case M_TIMING:
		return sim_run(path, bench_preset(x86), CPU_TIMING, argc, argv, r);
	case M_CACHEGRIND:
	case M_LACKEY:
	case M_LACKEY_MEM:
	case M_NATIVE:
	case M_QEMU:
		return exec_run(path, m, x86, argc, argv, r);
	default:
		return false;
	}
}

/* One program on one architecture in every wanted mode; the best results
 * go to `best` (when given) for a summary. `targets`: print the kernels'
 * targets. */
static int bench_program(bool x86, int argc, char *const argv[], int repeat, const bool want[M_COUNT], bool targets,
			 struct result best[M_COUNT])
{
	const char *path = argv[0];
	printf("\n%s:", x86 ? "x86-64" : "AArch64");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("   (preset %s; best of %d, CPU seconds of the whole run)\n", x86 ? "skylake" : "cortex-a76", repeat);
	printf("  %-11s %13s %8s %8s %7s %7s %12s %7s %13s\n", "mode", "instructions", "seconds", "wall", "MIPS",
	       "vs raw", "MMU accesses", "faults", "model cycles");
	double ratios[M_COUNT] = {0};
	int bad = 0;
	double ref = 0;
	uint64_t raw_insns = 0;
	const char *ref_out = NULL;
	uint64_t ref_hash = 0, ref_bytes = 0;
	bool same = true;
	for (int m = 0; m < M_COUNT; m++) {
		if (!want[m] || (m >= M_CACHEGRIND && m <= M_NATIVE && !x86))   /* valgrind and native: x86-64 only */
			continue;
		/* lackey's trace of every access is 10 to 50 times slower than
		 * anything else here: once is enough to see where it stands. */
		for (int i = 0; i < (m == M_LACKEY_MEM ? 1 : repeat); i++) {
			struct result r = {0};
			if (!run_mode((enum mode)m, path, x86, argc, argv, &r) || r.status != 0) {
				fprintf(stderr, "bench_run: %s run failed (status %d)\n", mode_names[m], r.status);
				bad = 1;
				break;
			}
			if (i == 0 || r.cpu < best[m].cpu)
				best[m] = r;
		}
		struct result *b = &best[m];
		if (!b->ok)
			continue;
		if (m == M_RAW) {
			ref = b->cpu;
			raw_insns = b->insns;
		}
		if (m == M_RAW_NOHOOK || m == M_RAW_MEMHOOK || m >= M_CACHEGRIND)
			b->insns = raw_insns;   /* the same program: the counted run's figure */
		char ratio[16] = "-", acc[24] = "-", flt[24] = "-", cyc[24] = "-";
		if (ref > 0 && want[M_RAW]) {
			snprintf(ratio, sizeof ratio, "%.3f", ref / b->cpu);
			ratios[m] = ref / b->cpu;
		}
		if (m == M_FUNCTIONAL || m == M_TIMING) {
			snprintf(acc, sizeof acc, "%" PRIu64, b->mmu_accesses);
			snprintf(flt, sizeof flt, "%" PRIu64, b->faults);
			snprintf(cyc, sizeof cyc, "%" PRIu64, b->cycles);
		}
		printf("  %-11s %13" PRIu64 " %8.3f %8.3f %7.1f %7s %12s %7s %13s\n", mode_names[m], b->insns, b->cpu,
		       b->wall, b->insns ? (double)b->insns / b->cpu / 1e6 : 0.0, ratio, acc, flt, cyc);
		fflush(stdout);
		if (!ref_out) {
			ref_out = b->out;
			ref_hash = b->out_hash;
			ref_bytes = b->out_bytes;
		} else if (strcmp(ref_out, b->out) || ref_hash != b->out_hash || ref_bytes != b->out_bytes) {
			fprintf(stderr, "bench_run: %s printed something else:\n  %s  vs\n  %s", mode_names[m], b->out,
				ref_out);
			same = false;
			bad = 1;
		}
	}
	if (ref_out)
		printf("  guest output%s: %" PRIu64 " bytes, FNV-1a %016" PRIx64 ", beginning: %.60s\n",
		       same ? " (the same in every mode)" : " (NOT the same in every mode)", ref_bytes, ref_hash, ref_out);
	for (int m = M_FUNCTIONAL; m <= M_TIMING && targets; m++)   /* compute: long enough to judge */
		if (ratios[m] > 0) {
			double target = m == M_FUNCTIONAL ? 0.8 : 0.6;
			printf("  %s: %.2f x raw Unicorn (target %.1f: %s)", mode_names[m], ratios[m], target,
			       ratios[m] >= target ? "met" : "not met");
			if (best[M_RAW_STOCK].ok)
				printf("; %.2f x raw-stock", best[M_RAW_STOCK].cpu / best[m].cpu);
			printf("\n");
		}
	/* The issue's comparison with valgrind: timing's time within 1.5x
	 * cachegrind's, and below lackey's. */
	if (best[M_TIMING].ok) {
		for (int m = M_CACHEGRIND; m <= M_LACKEY_MEM; m++)
			if (best[m].ok)
				printf("  timing: %.2f x %s's time (target %s: %s)\n", best[M_TIMING].cpu / best[m].cpu,
				       mode_names[m], m == M_CACHEGRIND ? "<= 1.5" : "< 1",
				       best[M_TIMING].cpu / best[m].cpu <= (m == M_CACHEGRIND ? 1.5 : 1.0) ? "met" : "not met");
	}
	return bad;
}

static int bench_arch(const char *dir, const char *guest, bool x86, const char *rounds, const char *kernel,
		      int repeat, const bool want[M_COUNT])
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s/%s", dir, x86 ? "x86_64" : "aarch64", guest);
	char *argv[] = {path, (char *)rounds, (char *)kernel, NULL};
	int argc = strcmp(guest, "compute") ? 1 : 3;   /* another guest: no arguments */
	struct result best[M_COUNT] = {0};
	return bench_program(x86, argc, argv, repeat, want, argc > 1, best);
}

/* ---- real programs --------------------------------------------------------------- */
/* Debian 12's static busybox and bash (.ci/fetch-debian-utils DIR), on an
 * input file generated here. Each runs about a second natively or less:
 * a shell loop (an interpreter: busybox's ash), bash's own loop, two
 * compressors, awk (an interpreter) and sed over text. With --real-built,
 * also the programs .ci/fetch-real-programs builds from Debian's static
 * libraries: Lua 5.4 running a garbage-collecting script, zlib, xz, zstd
 * and bzip2 round trips through files, and sqlite3 inserting, indexing and
 * querying 20,000 rows in a database file with synchronous=FULL. */
struct real_program {
	const char *name, *bin;
	bool built;   /* from --real-built's directory, else --real's */
	const char *args[8];
};
static const struct real_program real_programs[] = {
	{"sh loop", "bin/busybox", false, {"sh", "-c", "i=0; while [ $i -lt 5000 ]; do i=$((i+1)); done; echo $i"}},
	{"bash loop", "bin/bash-static", false, {"-c", "s=0; for ((i=0; i<5000; i++)); do s=$((s+i%7)); done; echo $s"}},
	{"gzip -c", "bin/busybox", false, {"gzip", "-c", "data.txt"}},
	{"bzip2 -c", "bin/busybox", false, {"bzip2", "-c", "data.txt"}},
	{"awk sum", "bin/busybox", false, {"awk", "{s+=$1; n[$2]++} END {print s, length(n)}", "data.txt"}},
	{"sed", "bin/busybox", false, {"sed", "-e", "s/line \\([0-9]*\\)/\\1 enil/", "-e", "/^9/d", "data.txt"}},
	{"lua", "lua_run", true, {NULL}},
	{"zlib+xz+zstd+bzip2", "compress_trip", true, {NULL}},
	{"sqlite", "sqlite_work", true, {NULL}},
};

/* The input: 20,000 lines of numbers and words, the same every run. */
static bool real_input(void)
{
	FILE *f = fopen("data.txt", "w");
	if (!f)
		return false;
	for (unsigned i = 1; i <= 20000; i++)
		fprintf(f, "%u line %u w%u\n", (i * 7919u) % 100003u, i, i % 97u);
	return fclose(f) == 0;
}

static int bench_real(const char *du, const char *built, const char *only, bool x86, bool a64, int repeat,
		      const bool want_in[M_COUNT])
{
	bool want[M_COUNT];
	memcpy(want, want_in, sizeof want);
	if (!real_input()) {
		fprintf(stderr, "bench_run: cannot write data.txt\n");
		return 1;
	}
	size_t np = sizeof real_programs / sizeof real_programs[0];
	struct result best[2][sizeof real_programs / sizeof real_programs[0]][M_COUNT];
	memset(best, 0, sizeof best);
	int bad = 0;
	for (int a = 0; a < 2; a++)
		for (size_t p = 0; p < np; p++) {
			const char *dir = real_programs[p].built ? built : du;
			if (!dir || !(a == 0 ? x86 : a64) || (only && !strstr(only, real_programs[p].name)))
				continue;
			char path[1024];
			snprintf(path, sizeof path, "%s/%s/%s", dir, a == 0 ? "amd64" : "arm64", real_programs[p].bin);
			char *argv[10] = {path};
			int argc = 1;
			for (int i = 0; real_programs[p].args[i]; i++)
				argv[argc++] = (char *)real_programs[p].args[i];
			argv[argc] = NULL;
			bad |= bench_program(a == 0, argc, argv, repeat, want, false, best[a][p]);
		}
	printf("\nreal programs: CPU seconds, best of %d. In brackets, speed against raw Unicorn (the same\n"
	       "engine as mmusim's: 2.0.1 with cpu/uc_overrides.c); for functional and timing also against\n"
	       "raw-stock (2.0.1 as Debian ships it). 'x qemu': functional's time / qemu-user's.\n\n",
	       repeat);
	printf("| program | arch | native | qemu-user | raw, stock 2.0.1 | raw Unicorn | functional | timing "
	       "| functional x qemu |\n");
	printf("|---|---|---|---|---|---|---|---|---|\n");
	for (int a = 0; a < 2; a++)
		for (size_t p = 0; p < np; p++) {
			struct result *b = best[a][p];
			if (!b[M_RAW].ok && !b[M_FUNCTIONAL].ok)
				continue;
			char cell[6][48];
			static const int cols[6] = {M_NATIVE, M_QEMU, M_RAW_STOCK, M_RAW, M_FUNCTIONAL, M_TIMING};
			for (int c = 0; c < 6; c++) {
				struct result *r = &b[cols[c]];
				int k = snprintf(cell[c], sizeof cell[c], r->ok ? "%.2f" : "-", r->cpu);
				if (!r->ok || cols[c] == M_RAW || !b[M_RAW].ok)
					continue;
				if ((cols[c] == M_FUNCTIONAL || cols[c] == M_TIMING) && b[M_RAW_STOCK].ok)
					snprintf(cell[c] + k, sizeof cell[c] - (size_t)k, " (%.2f, %.2f)", b[M_RAW].cpu / r->cpu,
						 b[M_RAW_STOCK].cpu / r->cpu);
				else
					snprintf(cell[c] + k, sizeof cell[c] - (size_t)k, " (%.2f)", b[M_RAW].cpu / r->cpu);
			}
			char vsq[24] = "-";
			if (b[M_QEMU].ok && b[M_FUNCTIONAL].ok)
				snprintf(vsq, sizeof vsq, "%.1f", b[M_FUNCTIONAL].cpu / b[M_QEMU].cpu);
			printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", real_programs[p].name,
			       a == 0 ? "x86-64" : "AArch64", cell[0], cell[1], cell[2], cell[3], cell[4], cell[5], vsq);
		}
	return bad;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_run [--rounds N] [--kernel all|alu|matmul|sort|chase|copy|each] [--repeat R]\n"
			"                 [--arch x86_64|aarch64|both] [--guest NAME] [--guest-dir DIR]\n"
			"                 [--only raw,raw-stock,raw-nohook,raw-memhk,functional,timing,cachegrind,lackey,\n"
			"                         lackey-mem,native,qemu-user]\n"
			"       bench_run [--real DIR] [--real-built DIR2] [--programs 'sh loop,gzip -c,lua,...']\n"
			"                 [--repeat R] [--only ...]\n"
			"                 (DIR: .ci/fetch-debian-utils's, DIR2: .ci/fetch-real-programs's; real programs\n"
			"                 in every mode, a summary table)\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *rounds = "5", *kernel = "all", *arch = "both", *dir = MMUSIM_GUEST_DIR, *guest = "compute";
	const char *real = NULL, *built = NULL, *programs = NULL;
	bool only_given = false;
	int repeat = 3;
	bool want[M_COUNT] = {true, true, true, true, true, true};   /* valgrind's modes when asked with --only */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 == argc)
			return usage();
		const char *v = argv[++i];
		if (!strcmp(a, "--rounds"))
			rounds = v;
		else if (!strcmp(a, "--kernel"))
			kernel = v;
		else if (!strcmp(a, "--arch"))
			arch = v;
		else if (!strcmp(a, "--guest"))
			guest = v;
		else if (!strcmp(a, "--guest-dir"))
			dir = v;
		else if (!strcmp(a, "--repeat"))
			repeat = atoi(v);
		else if (!strcmp(a, "--real"))
			real = v;
		else if (!strcmp(a, "--real-built"))
			built = v;
		else if (!strcmp(a, "--programs"))
			programs = v;
		else if (!strcmp(a, "--only")) {
			memset(want, 0, sizeof want);
			only_given = true;
			char list[256];
			snprintf(list, sizeof list, "%s", v);
			for (char *s = strtok(list, ","); s; s = strtok(NULL, ",")) {
				int m = 0;
				while (m < M_COUNT && strcmp(s, mode_names[m]))
					m++;
				if (m == M_COUNT)
					return usage();
				want[m] = true;
			}
		} else
			return usage();
	}
	bool x86 = !strcmp(arch, "x86_64") || !strcmp(arch, "both"),
	     a64 = !strcmp(arch, "aarch64") || !strcmp(arch, "both");
	if (repeat < 1 || (!x86 && !a64))
		return usage();
	dir = scratch_absolute(dir);
	if (real)
		real = scratch_absolute(real);
	if (built)
		built = scratch_absolute(built);
	if ((real || built) && !only_given) {
		want[M_NATIVE] = want[M_QEMU] = true;
		want[M_RAW_NOHOOK] = want[M_RAW_MEMHOOK] = false;
	}
	if (scratch_enter("bench_run"))
		return 1;
	cpu_unicorn_overrides(true);
	printf("bench_run: %s\n", cpu_engine_version());
	if (real || built)
		return bench_real(real, built, programs, x86, a64, repeat, want);
	static const char *const kernels[] = {"alu", "matmul", "sort", "chase", "copy"};
	bool each = !strcmp(kernel, "each");
	printf("bench_run: %s%s%s; ratios are raw CPU time / mode CPU time (higher is better)\n", guest,
	       strcmp(guest, "compute") ? "" : ", rounds ", strcmp(guest, "compute") ? "" : rounds);
	printf("modes:\n");
	for (int m = 0; m < M_COUNT; m++)
		if (want[m])
			printf("  %-11s %s\n", mode_names[m], mode_notes[m]);
	printf("targets (the issue's): functional >= 0.8 x raw, timing >= 0.6 x raw\n");
	int bad = 0;
	for (int pass = 0; pass < 2; pass++) {
		if (!(pass == 0 ? x86 : a64))
			continue;
		if (!each)
			bad |= bench_arch(dir, guest, pass == 0, rounds, kernel, repeat, want);
		else
			for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++)
				bad |= bench_arch(dir, guest, pass == 0, rounds, kernels[k], repeat, want);
	}
	return bad;
}
