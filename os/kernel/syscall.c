/* The Linux system calls, with each architecture's numbers (x86-64:
 * arch/x86/entry/syscalls/syscall_64.tbl; arm64: the generic table,
 * include/uapi/asm-generic/unistd.h). Arguments that are guest pointers go
 * through copy_from_user / copy_to_user: a bad pointer is -EFAULT, never a
 * host crash. Time is simulated, from cycles, so runs are deterministic. */
#include "os/kernel/syscall.h"

#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static const char *const sys_names[S_COUNT] = {
	"?", "read", "write", "readv", "writev", "pread64", "pwrite64", "openat", "open", "close", "lseek",
	"fstat", "newfstatat", "stat", "lstat", "ioctl", "brk", "mmap", "munmap", "mprotect", "madvise", "msync",
	"exit", "exit_group", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "readlink", "readlinkat",
	"getrandom", "uname", "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid",
	"clock_gettime", "gettimeofday", "time", "nanosleep", "rt_sigaction", "rt_sigprocmask", "sigaltstack",
	"futex", "sched_yield", "getrusage", "arch_prctl", "getcwd", "chdir", "fcntl", "dup", "dup2", "dup3",
	"fsync", "fadvise64", "access", "faccessat", "tgkill", "kill", "clone", "clone3", "fork", "vfork",
	"execve", "wait4", "pipe", "pipe2", "getdents64", "unlink", "unlinkat", "rmdir", "mkdir", "mkdirat",
	"rename", "renameat", "renameat2", "statx", "fchdir", "faccessat2", "umask", "setpgid", "getpgid",
	"getpgrp", "setsid", "getsid", "times", "getrlimit", "setrlimit", "ftruncate", "symlink", "symlinkat",
	"link", "linkat", "chmod", "fchmod", "fchmodat", "chown", "lchown", "fchown", "fchownat", "utimensat",
	"getgroups", "clock_nanosleep", "prctl", "sysinfo", "rt_sigpending", "rt_sigsuspend", "pause",
	"rt_sigtimedwait", "rt_sigreturn", "tkill", "poll", "ppoll", "flock",
	"fdatasync", "sync", "syncfs", "sync_file_range", "close_range", "sched_getaffinity", "sched_setaffinity", "setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr", "mremap",
	"statfs", "fstatfs",
	"mlock", "mlock2", "munlock", "mlockall", "munlockall", "mincore", "get_robust_list",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "creat",
	"getsockname", "getpeername", "getsockopt", "setsockopt", "shutdown",
	"waitid", "sendfile", "copy_file_range",
};

struct sysno {
	uint16_t nr;
	uint8_t sys;
};

static const struct sysno x86_64_table[] = {
	{0, S_READ}, {1, S_WRITE}, {2, S_OPEN}, {3, S_CLOSE}, {4, S_STAT}, {5, S_FSTAT}, {6, S_LSTAT},
	{8, S_LSEEK}, {9, S_MMAP}, {10, S_MPROTECT}, {11, S_MUNMAP}, {12, S_BRK}, {13, S_RT_SIGACTION},
	{14, S_RT_SIGPROCMASK}, {16, S_IOCTL}, {17, S_PREAD64}, {18, S_PWRITE64}, {19, S_READV}, {20, S_WRITEV},
	{21, S_ACCESS}, {24, S_SCHED_YIELD}, {26, S_MSYNC}, {28, S_MADVISE}, {32, S_DUP}, {33, S_DUP2},
	{35, S_NANOSLEEP}, {39, S_GETPID}, {60, S_EXIT}, {62, S_KILL}, {63, S_UNAME}, {72, S_FCNTL}, {74, S_FSYNC},
	{79, S_GETCWD}, {80, S_CHDIR}, {89, S_READLINK}, {96, S_GETTIMEOFDAY}, {98, S_GETRUSAGE}, {102, S_GETUID},
	{104, S_GETGID}, {107, S_GETEUID}, {108, S_GETEGID}, {110, S_GETPPID}, {131, S_SIGALTSTACK},
	{158, S_ARCH_PRCTL}, {186, S_GETTID}, {201, S_TIME}, {202, S_FUTEX}, {218, S_SET_TID_ADDRESS},
	{221, S_FADVISE64}, {228, S_CLOCK_GETTIME}, {231, S_EXIT_GROUP}, {234, S_TGKILL}, {257, S_OPENAT},
	{262, S_NEWFSTATAT}, {267, S_READLINKAT}, {269, S_FACCESSAT}, {273, S_SET_ROBUST_LIST}, {292, S_DUP3},
	{302, S_PRLIMIT64}, {318, S_GETRANDOM}, {334, S_RSEQ}, {56, S_CLONE}, {57, S_FORK}, {58, S_VFORK},
	{59, S_EXECVE}, {61, S_WAIT4}, {22, S_PIPE}, {293, S_PIPE2}, {435, S_CLONE3}, {217, S_GETDENTS64},
	{87, S_UNLINK}, {263, S_UNLINKAT}, {84, S_RMDIR}, {83, S_MKDIR}, {258, S_MKDIRAT}, {82, S_RENAME},
	{264, S_RENAMEAT}, {316, S_RENAMEAT2}, {332, S_STATX}, {81, S_FCHDIR}, {439, S_FACCESSAT2}, {95, S_UMASK},
	{109, S_SETPGID}, {121, S_GETPGID}, {111, S_GETPGRP}, {112, S_SETSID}, {124, S_GETSID}, {100, S_TIMES},
	{97, S_GETRLIMIT}, {160, S_SETRLIMIT}, {77, S_FTRUNCATE}, {88, S_SYMLINK}, {266, S_SYMLINKAT},
	{86, S_LINK}, {265, S_LINKAT}, {90, S_CHMOD}, {91, S_FCHMOD}, {268, S_FCHMODAT}, {92, S_CHOWN},
	{94, S_LCHOWN}, {93, S_FCHOWN}, {260, S_FCHOWNAT}, {280, S_UTIMENSAT}, {115, S_GETGROUPS},
	{230, S_CLOCK_NANOSLEEP}, {157, S_PRCTL}, {99, S_SYSINFO}, {127, S_RT_SIGPENDING}, {130, S_RT_SIGSUSPEND},
	{34, S_PAUSE}, {128, S_RT_SIGTIMEDWAIT}, {15, S_RT_SIGRETURN}, {200, S_TKILL}, {7, S_POLL}, {271, S_PPOLL},
	{73, S_FLOCK}, {75, S_FDATASYNC}, {162, S_SYNC}, {306, S_SYNCFS}, {277, S_SYNC_FILE_RANGE}, {436, S_CLOSE_RANGE}, {204, S_SCHED_GETAFFINITY}, {203, S_SCHED_SETAFFINITY}, {188, S_SETXATTR}, {189, S_LSETXATTR}, {190, S_FSETXATTR}, {191, S_GETXATTR}, {192, S_LGETXATTR}, {193, S_FGETXATTR}, {194, S_LISTXATTR}, {195, S_LLISTXATTR}, {196, S_FLISTXATTR}, {197, S_REMOVEXATTR}, {198, S_LREMOVEXATTR}, {199, S_FREMOVEXATTR}, {25, S_MREMAP},
	{137, S_STATFS}, {138, S_FSTATFS},
	{149, S_MLOCK}, {325, S_MLOCK2}, {150, S_MUNLOCK}, {151, S_MLOCKALL}, {152, S_MUNLOCKALL}, {27, S_MINCORE}, {274, S_GET_ROBUST_LIST},
	{213, S_EPOLL_CREATE}, {291, S_EPOLL_CREATE1}, {233, S_EPOLL_CTL}, {232, S_EPOLL_WAIT}, {281, S_EPOLL_PWAIT}, {441, S_EPOLL_PWAIT2},
	{85, S_CREAT},
	{51, S_GETSOCKNAME}, {52, S_GETPEERNAME}, {55, S_GETSOCKOPT}, {54, S_SETSOCKOPT}, {48, S_SHUTDOWN},
	{247, S_WAITID}, {40, S_SENDFILE}, {326, S_COPY_FILE_RANGE},
};

static const struct sysno arm64_table[] = {
	{17, S_GETCWD}, {23, S_DUP}, {24, S_DUP3}, {25, S_FCNTL}, {29, S_IOCTL}, {48, S_FACCESSAT}, {49, S_CHDIR},
	{56, S_OPENAT}, {57, S_CLOSE}, {62, S_LSEEK}, {63, S_READ}, {64, S_WRITE}, {65, S_READV}, {66, S_WRITEV},
	{67, S_PREAD64}, {68, S_PWRITE64}, {78, S_READLINKAT}, {79, S_NEWFSTATAT}, {80, S_FSTAT}, {82, S_FSYNC},
	{93, S_EXIT}, {94, S_EXIT_GROUP}, {96, S_SET_TID_ADDRESS}, {98, S_FUTEX}, {99, S_SET_ROBUST_LIST},
	{101, S_NANOSLEEP}, {113, S_CLOCK_GETTIME}, {124, S_SCHED_YIELD}, {129, S_KILL}, {131, S_TGKILL},
	{132, S_SIGALTSTACK}, {134, S_RT_SIGACTION}, {135, S_RT_SIGPROCMASK}, {160, S_UNAME}, {165, S_GETRUSAGE},
	{169, S_GETTIMEOFDAY}, {172, S_GETPID}, {173, S_GETPPID}, {174, S_GETUID}, {175, S_GETEUID},
	{176, S_GETGID}, {177, S_GETEGID}, {178, S_GETTID}, {214, S_BRK}, {215, S_MUNMAP}, {222, S_MMAP},
	{223, S_FADVISE64}, {226, S_MPROTECT}, {227, S_MSYNC}, {233, S_MADVISE}, {261, S_PRLIMIT64},
	{278, S_GETRANDOM}, {293, S_RSEQ}, {220, S_CLONE}, {221, S_EXECVE}, {260, S_WAIT4}, {59, S_PIPE2},
	{435, S_CLONE3}, {61, S_GETDENTS64}, {35, S_UNLINKAT}, {34, S_MKDIRAT}, {38, S_RENAMEAT},
	{276, S_RENAMEAT2}, {291, S_STATX}, {50, S_FCHDIR}, {439, S_FACCESSAT2}, {166, S_UMASK}, {154, S_SETPGID},
	{155, S_GETPGID}, {157, S_SETSID}, {156, S_GETSID}, {153, S_TIMES}, {163, S_GETRLIMIT}, {164, S_SETRLIMIT},
	{46, S_FTRUNCATE}, {36, S_SYMLINKAT},
	{37, S_LINKAT}, {52, S_FCHMOD}, {53, S_FCHMODAT}, {55, S_FCHOWN}, {54, S_FCHOWNAT}, {88, S_UTIMENSAT},
	{158, S_GETGROUPS}, {115, S_CLOCK_NANOSLEEP}, {167, S_PRCTL}, {179, S_SYSINFO}, {136, S_RT_SIGPENDING},
	{133, S_RT_SIGSUSPEND}, {137, S_RT_SIGTIMEDWAIT}, {139, S_RT_SIGRETURN}, {130, S_TKILL}, {73, S_PPOLL},
	{32, S_FLOCK}, {83, S_FDATASYNC}, {81, S_SYNC}, {267, S_SYNCFS}, {84, S_SYNC_FILE_RANGE}, {436, S_CLOSE_RANGE}, {123, S_SCHED_GETAFFINITY}, {122, S_SCHED_SETAFFINITY}, {5, S_SETXATTR}, {6, S_LSETXATTR}, {7, S_FSETXATTR}, {8, S_GETXATTR}, {9, S_LGETXATTR}, {10, S_FGETXATTR}, {11, S_LISTXATTR}, {12, S_LLISTXATTR}, {13, S_FLISTXATTR}, {14, S_REMOVEXATTR}, {15, S_LREMOVEXATTR}, {16, S_FREMOVEXATTR}, {216, S_MREMAP},
	{43, S_STATFS}, {44, S_FSTATFS},
	{228, S_MLOCK}, {284, S_MLOCK2}, {229, S_MUNLOCK}, {230, S_MLOCKALL}, {231, S_MUNLOCKALL}, {232, S_MINCORE}, {100, S_GET_ROBUST_LIST},
	{20, S_EPOLL_CREATE1}, {21, S_EPOLL_CTL}, {22, S_EPOLL_PWAIT}, {441, S_EPOLL_PWAIT2},
	{204, S_GETSOCKNAME}, {205, S_GETPEERNAME}, {209, S_GETSOCKOPT}, {208, S_SETSOCKOPT}, {210, S_SHUTDOWN},
	{95, S_WAITID}, {71, S_SENDFILE}, {285, S_COPY_FILE_RANGE},
};

static enum sys sys_of(const struct kernel *k, uint64_t nr)
{
	bool x86 = k->fmt->arch == ARCH_X86_64;
	const struct sysno *t = x86 ? x86_64_table : arm64_table;
	size_t n = x86 ? sizeof x86_64_table / sizeof *t : sizeof arm64_table / sizeof *t;
	for (size_t i = 0; i < n; i++)
		if (t[i].nr == nr)
			return (enum sys)t[i].sys;
	return S_NONE;
}

/* ---- helpers ---------------------------------------------------------------- */

/* Simulated time: a fixed epoch plus the cycles run (and slept), at 3 GHz. */

uint64_t os_clock_ticks(const struct kernel *k)
{
	return mmu_total_cycles(k->mmu) + k->svc->sleep_cycles;
}

uint64_t now_ns(const struct kernel *k)
{
	return os_clock_ticks(k) / 3;
}

int64_t put_user(struct kernel *k, uint64_t va, const void *src, uint64_t len)
{
	return os_copy_to_user(k, va, src, len) ? -EFAULT : 0;
}

int64_t get_path(struct kernel *k, uint64_t va, char *buf)
{
	int64_t n = os_strncpy_from_user(k, buf, va, PATH_MAX_GUEST);
	return n < 0 ? n : 0;
}




void report_enosys(struct kernel *k, uint64_t nr, enum sys s)
{
	uint64_t bit = nr < 512 ? nr : 511;
	if (k->svc->enosys_reported[bit / 64] & (1ull << (bit % 64)))
		return;
	k->svc->enosys_reported[bit / 64] |= 1ull << (bit % 64);
	char name[64];
	fprintf(stderr, "mmusim: system call %s (%llu) is not implemented: -ENOSYS\n",
		s ? sys_names[s] : os_syscall_name(k, nr, name, sizeof name), (unsigned long long)nr);
}



static int64_t sys_uname(struct kernel *k, uint64_t va)
{
	char u[6][65];
	memset(u, 0, sizeof u);
	strcpy(u[0], "Linux");
	strcpy(u[1], "mmusim");
	strcpy(u[2], "6.1.0-mmusim");
	strcpy(u[3], "#1 SMP PREEMPT_DYNAMIC");
	strcpy(u[4], k->fmt->arch == ARCH_X86_64 ? "x86_64" : "aarch64");
	strcpy(u[5], "(none)");
	return put_user(k, va, u, sizeof u);
}

void random_bytes(struct kernel *k, uint8_t *b, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {   /* deterministic: xorshift from a fixed seed */
		k->svc->rng ^= k->svc->rng << 13;
		k->svc->rng ^= k->svc->rng >> 7;
		k->svc->rng ^= k->svc->rng << 17;
		b[i] = (uint8_t)k->svc->rng;
	}
}

static int64_t sys_getrandom(struct kernel *k, uint64_t va, uint64_t len)
{
	uint8_t b[256];
	uint64_t done = 0;
	while (done < len) {
		uint64_t n = len - done < sizeof b ? len - done : sizeof b;
		random_bytes(k, b, n);
		if (put_user(k, va + done, b, n))
			return done ? (int64_t)done : -EFAULT;
		done += n;
	}
	return (int64_t)done;
}

static int64_t sys_clock_gettime(struct kernel *k, uint64_t clk, uint64_t va)
{
	/* posix_clock ids 0..11 less 10 (unused); negative ids name another
	 * process's or thread's CPU clock, which the model does not have. */
	if (clk > 11 || clk == 10)
		return -EINVAL;
	uint64_t ns = now_ns(k);
	if (clk == 0 || clk == 5 || clk == 8 || clk == 11)   /* REALTIME, *_COARSE, TAI... */
		ns += EPOCH_SECONDS * 1000000000ull;
	uint64_t ts[2] = {ns / 1000000000ull, ns % 1000000000ull};
	return put_user(k, va, ts, 16);
}

/* struct sysinfo (64-bit): the simulated machine's memory and uptime. */
static int64_t sys_sysinfo(struct kernel *k, uint64_t va)
{
	struct os_stats st;
	kernel_stats(k, &st);
	uint64_t q[14] = {0};
	q[0] = now_ns(k) / 1000000000ull;                           /* uptime */
	q[4] = st.frames_total * k->page;                           /* totalram */
	q[5] = st.frames_free * k->page;                            /* freeram */
	q[8] = k->swap_slots * k->page;                             /* totalswap */
	q[9] = k->swap_free * k->page;                              /* freeswap */
	uint16_t procs = 0;
	for (size_t i = 0; i < k->svc->nprocs; i++)
		procs += k->svc->procs[i]->alive;
	memcpy(&q[10], &procs, 2);
	uint32_t unit = 1;                                          /* mem_unit */
	memcpy(&q[13], &unit, 4);
	return put_user(k, va, q, 112);
}

static int64_t sys_prctl(struct proc *p, uint64_t opt, uint64_t arg)
{
	switch (opt) {
	case 15: { /* PR_SET_NAME: the calling thread's, its first 15 bytes */
		char comm[16] = {0};
		if (os_strncpy_from_user(p->k, comm, arg, sizeof comm - 1) == -EFAULT)
			return -EFAULT;   /* no NUL in 15 bytes: those 15 are the name */
		thread_set_comm(p->thread, comm);
		return 0;
	}
	case 16:   /* PR_GET_NAME: the calling thread's, 16 bytes */
		return put_user(p->k, arg, p->thread->comm, sizeof p->thread->comm);
	case 23:   /* PR_CAPBSET_READ: root holds every capability Linux 6.1 knows */
		return arg <= 40 ? 1 : -EINVAL;
	case 3:    /* PR_GET_DUMPABLE */
		return 1;
	case 4:    /* PR_SET_DUMPABLE: SUID_DUMP_DISABLE or SUID_DUMP_USER */
		return arg <= 1 ? 0 : -EINVAL;
	default:
		return report_command(p->k, "prctl", opt, -EINVAL);
	}
}

/* What a process starts with: Linux's defaults for a root login (no
 * limit but the stack's 8 MiB, core files off, 1024 descriptors of 4096,
 * 8 MiB locked; RLIMIT_NPROC, RLIMIT_SIGPENDING: the process limit). */
void rlimits_default(const struct kernel *k, uint64_t rlim[RLIMITS][2])
{
	for (int r = 0; r < RLIMITS; r++)
		rlim[r][0] = rlim[r][1] = UINT64_MAX;
	rlim[RLIM_STACK][0] = k->cfg.stack_limit;
	rlim[4][0] = 0;                                   /* RLIMIT_CORE */
	rlim[RLIM_NPROC][0] = rlim[RLIM_NPROC][1] = k->cfg.max_procs;
	rlim[RLIM_NOFILE][0] = 1024;
	rlim[RLIM_NOFILE][1] = 4096;
	rlim[8][0] = rlim[8][1] = 8ull << 20;             /* RLIMIT_MEMLOCK */
	rlim[11][0] = rlim[11][1] = k->cfg.max_procs;     /* RLIMIT_SIGPENDING */
	rlim[12][0] = rlim[12][1] = 819200;               /* RLIMIT_MSGQUEUE */
	rlim[13][0] = rlim[13][1] = 0;                    /* RLIMIT_NICE */
	rlim[14][0] = rlim[14][1] = 0;                    /* RLIMIT_RTPRIO */
}

/* prlimit64 (and getrlimit/setrlimit: pid 0). The caller is root, so it
 * may raise a hard limit (CAP_SYS_RESOURCE), but not RLIMIT_NOFILE's past
 * fs.nr_open. As on Linux, root's RLIMIT_NPROC limits nothing; the
 * kernel's own process limit (threads-max) does. */
static int64_t sys_prlimit(struct kernel *k, uint64_t pid, uint64_t res, uint64_t new_va, uint64_t old_va)
{
	uint64_t lim[2];
	if (new_va && os_copy_from_user(k, lim, new_va, sizeof lim))
		return -EFAULT;
	if (res >= RLIMITS)
		return -EINVAL;
	struct proc *p = pid ? proc_find(k, (int)pid) : k->svc->current;
	if (!p || !p->alive)
		return -ESRCH;
	if (new_va && lim[0] > lim[1])
		return -EINVAL;
	if (new_va && res == RLIM_NOFILE && lim[1] > RLIM_NOFILE_MAX)
		return -EPERM;
	uint64_t old[2] = {p->rlim[res][0], p->rlim[res][1]};
	if (new_va) {
		p->rlim[res][0] = lim[0];
		p->rlim[res][1] = lim[1];
	}
	return old_va && put_user(k, old_va, old, sizeof old) ? -EFAULT : 0;
}

/* struct rusage of process p: user time `us`, its minor and major faults. */





static int64_t sys_mmap(struct proc *p, uint64_t a[6])
{
	uint32_t flags = 0;
	flags |= a[3] & 0x01 ? MAPF_SHARED : 0;
	flags |= a[3] & 0x02 ? MAPF_PRIVATE : 0;
	flags |= a[3] & 0x20 ? MAPF_ANONYMOUS : 0;   /* MAP_ANONYMOUS is 0x20 on both */
	flags |= a[3] & 0x10 ? MAPF_FIXED : 0;
	flags |= a[3] & 0x100 ? MAPF_GROWSDOWN : 0;
	flags |= a[3] & 0x2000 ? MAPF_LOCKED : 0;
	flags |= (a[3] & 0x18000) == 0x8000 ? MAPF_POPULATE : 0;   /* MAP_POPULATE without MAP_NONBLOCK */
	if ((flags & MAPF_LOCKED) && !mlock_allowed(p))
		return -EPERM;
	return os_mmap(p, a[0], a[1], (uint32_t)a[2] & 7, flags, (int)a[4], a[5]);
}

/* madvise's advice (madvise_behavior_valid in Linux 6.1): -1 for a value
 * Linux refuses. Hints the model has nothing for (RANDOM, SEQUENTIAL, FREE
 * without memory pressure, DONTDUMP, ...) are ADV_NORMAL; the few that
 * would change more than timing get a note. */
static int advice_of(struct kernel *k, uint64_t a)
{
	switch (a) {
	case 3: return ADV_WILLNEED;
	case 4:
	case 24: return ADV_DONTNEED;   /* DONTNEED_LOCKED */
	case 14: return ADV_HUGEPAGE;
	case 15: return ADV_NOHUGEPAGE;
	case 20: return ADV_COLD;
	case 21: return ADV_PAGEOUT;
	case 0: case 1: case 2: case 8: case 12: case 13: case 16: case 17: case 19:
		return ADV_NORMAL;
	case 9: case 10: case 11: case 18: case 22: case 23: case 25: case 100: case 101:
		report_command(k, "madvise", a, 0);
		return ADV_NORMAL;
	default: return -1;
	}
}


/* ---- processes ------------------------------------------------------------------- */
#define CLONE_VM             0x00000100ull
#define CLONE_SIGHAND        0x00000800ull
#define CLONE_VFORK          0x00004000ull
#define CLONE_THREAD         0x00010000ull
#define CLONE_SETTLS         0x00080000ull
#define CLONE_PARENT_SETTID  0x00100000ull
#define CLONE_CHILD_SETTID   0x01000000ull

/* The processes RLIMIT_NPROC counts: the living, and the zombies their
 * parents have not waited for yet (they hold their slot, as in Linux). An
 * orphan is marked reaped while it still runs: nobody will wait for it. */
static uint32_t procs_counted(const struct kernel *k)
{
	uint32_t n = 0;
	for (size_t i = 0; i < k->svc->nprocs; i++)
		n += k->svc->procs[i]->alive || !k->svc->procs[i]->reaped;
	return n;
}

/* fork semantics: a copy of the address space (copy-on-write) and of the
 * descriptor table. CLONE_VM without CLONE_VFORK would be a thread, which
 * the model does not have; vfork is a fork (the child gets its own copy:
 * what a correct vfork child does cannot tell the difference). */
static struct sys_result sys_clone(struct proc *p, uint64_t flags, uint64_t sp, uint64_t ptid, uint64_t tls,
				   uint64_t ctid)
{
	struct sys_result r = {.action = SYSA_NONE};
	if (((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND)) || ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))) {
		r.ret = -EINVAL;   /* copy_process refuses these */
		return r;
	}
	if (flags & CLONE_THREAD)
		return thread_clone(p, flags, sp, ptid, tls, ctid);
	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) {
		r.ret = -ENOSYS;
		report_enosys(p->k, 56, S_CLONE);
		return r;
	}
	struct kernel *k = p->k;
	if (procs_counted(k) >= k->cfg.max_procs) {   /* copy_process: RLIMIT_NPROC */
		r.ret = -EAGAIN;
		return r;
	}
	int err = 0, nr = pid_next(k);
	struct proc *c = nr < 0 ? NULL : proc_fork(p, nr, &err);
	if (!c) {
		r.ret = nr < 0 || err == -EEXIST ? -EAGAIN : err;
		return r;
	}
	proc_exe_copy(c, p);
	proc_cwd_copy(c, p);
	uint32_t pid = (uint32_t)c->pid;
	if ((flags & CLONE_PARENT_SETTID) && put_user(k, ptid, &pid, 4)) {
		c->reaped = true;   /* nobody is told: it never ran */
		proc_exit(c, 0);
		r.ret = -EFAULT;
		return r;
	}
	r.ret = c->pid;
	r.action = SYSA_FORK;
	r.value = (uint64_t)c->pid;
	r.child.sp = sp;
	r.child.tls = tls;
	r.child.set_tls = flags & CLONE_SETTLS;
	r.child.set_tid = flags & CLONE_CHILD_SETTID ? ctid : 0;
	return r;
}

/* clone3 (glibc's pthread_create tries it first): struct clone_args, of
 * 64 bytes or more (later fields zero unless known); the child's stack
 * pointer is stack + stack_size. pidfds, set_tid and cgroups are not
 * modelled. */
static struct sys_result sys_clone3(struct proc *p, uint64_t va, uint64_t size)
{
	struct sys_result r = {.action = SYSA_NONE};
	uint64_t ca[11] = {0};   /* flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
				  * set_tid, set_tid_size, cgroup */
	if (size < 64 || size > p->k->page) {
		r.ret = size < 64 ? -EINVAL : -E2BIG;
		return r;
	}
	if (os_copy_from_user(p->k, ca, va, size < sizeof ca ? size : sizeof ca)) {
		r.ret = -EFAULT;
		return r;
	}
	for (uint64_t off = sizeof ca; off < size; off++) {   /* copy_struct_from_user */
		uint8_t b;
		if (os_copy_from_user(p->k, &b, va + off, 1)) {
			r.ret = -EFAULT;
			return r;
		}
		if (b) {
			r.ret = -E2BIG;
			return r;
		}
	}
	uint64_t flags = ca[0];
	if ((flags & 0xffffffff00000000ull & ~0x300000000ull) || (flags & 0xff) || (ca[4] & ~0xffull) ||
	    !ca[5] != !ca[6] || (flags & 0x400000)) {   /* clone3_args_valid: CSIGNAL bits, CLONE_DETACHED */
		r.ret = -EINVAL;
		return r;
	}
	if ((flags & 0x300001000ull) || ca[8] || ca[9]) {   /* CLEAR_SIGHAND, INTO_CGROUP, PIDFD, set_tid */
		r.ret = -ENOSYS;
		report_enosys(p->k, 435, S_CLONE3);
		return r;
	}
	return sys_clone(p, flags | ca[4], ca[5] ? ca[5] + ca[6] : 0, ca[3], ca[7], ca[2]);
}

/* A NULL-terminated array of strings from user memory (argv, envp). */
static int64_t get_strings(struct kernel *k, uint64_t va, char ***out, int *count)
{
	size_t n = 0, cap = 16, total = 0;
	char **v = calloc(cap + 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	for (; va; n++) {
		uint64_t ptr;
		if (os_copy_from_user(k, &ptr, va + 8 * n, 8))
			goto fault;
		if (!ptr)
			break;
		if (n == 65536)
			goto big;
		if (n == cap) {
			char **nv = realloc(v, (2 * cap + 1) * sizeof *nv);
			if (!nv)
				goto nomem;
			v = nv;
			cap *= 2;
		}
		char buf[PATH_MAX_GUEST * 8];
		int64_t len = os_strncpy_from_user(k, buf, ptr, sizeof buf);
		if (len == -ENAMETOOLONG)
			goto big;
		if (len < 0)
			goto fault;
		total += (size_t)len + 1;
		if (total > (2u << 20))   /* Linux: a quarter of the 8 MiB stack limit */
			goto big;
		v[n] = strdup(buf);
		v[n + 1] = NULL;
		if (!v[n])
			goto nomem;
	}
	v[n] = NULL;
	*out = v;
	*count = (int)n;
	return 0;
	int64_t rc;
fault:
	rc = -EFAULT;
	goto fail;
big:
	rc = -E2BIG;
	goto fail;
nomem:
	rc = -ENOMEM;
fail:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return rc;
}

static void free_strings(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* execve: the path in the sandbox (or /proc/self/exe, the running
 * program), the strings copied out before the old image goes. */
static struct sys_result sys_execve(struct proc *p, uint64_t path_va, uint64_t argv_va, uint64_t envp_va)
{
	struct kernel *k = p->k;
	struct sys_result r = {.action = SYSA_NONE};
	char path[PATH_MAX_GUEST];
	char **argv = NULL, **envp = NULL;
	int argc = 0, envc = 0;
	if ((r.ret = get_path(k, path_va, path)) || (r.ret = get_strings(k, argv_va, &argv, &argc)) ||
	    (r.ret = get_strings(k, envp_va, &envp, &envc)))
		goto out;
	/* The program as a descriptor, opened once: /proc/self/exe is the one
	 * held since the last exec (exe.c), never its name looked up again. */
	bool self = !strcmp(path, "/proc/self/exe") && p->exe;
	int fd = self ? (p->exe_fd >= 0 ? fcntl(p->exe_fd, F_DUPFD_CLOEXEC, 0) : -ENOENT) : sandbox_open_exec(k, path);
	if (fd < 0) {
		r.ret = self && fd == -1 ? -errno : fd;
		goto out;
	}
	if (!self && (r.ret = exec_script(k, path, &fd, &argv, &argc))) {   /* #!: its interpreter instead */
		close(fd);
		goto out;
	}
	char host[64], err[256];
	snprintf(host, sizeof host, "/proc/self/fd/%d", fd);
	char *exe = self ? strdup(p->exe) : realpath(host, NULL);
	r.ret = os_exec_elf(p, host, argc, argv, envp, path, &r.exec, err, sizeof err);
	if (r.ret == 0) {
		r.action = SYSA_EXEC;
		threads_exec(p);
		thread_comm_from_path(p->thread, path);   /* begin_new_exec: the name it was run by */
		signal_exec(p);
		fd_close_on_exec(p);
		if (exe)
			proc_exe_set(p, exe, fd);
	} else if (!p->alive || k->svc->current != p) {
		r.action = SYSA_KILLED;   /* past the point of no return */
		r.value = SIGSEGV;
	}
	close(fd);
	free(exe);
out:
	free_strings(argv);
	free_strings(envp);
	return r;
}


static struct sys_result syscall_dispatch(struct kernel *k, uint64_t nr, uint64_t a[6])
{
	struct proc *p = k->svc->current;
	struct sys_result r = {.action = SYSA_NONE};
	enum sys s = sys_of(k, nr);
	k->st.syscalls++;
	if (fs_syscall(p, s, a, &r) || signal_syscall(p, s, a, &r) || poll_syscall(p, s, a, &r) ||
	    sleep_syscall(p, s, a, &r) || thread_syscall(p, s, a, &r) || extra_syscall(p, s, a, &r) || mlock_syscall(p, s, a, &r) ||
	    epoll_syscall(p, s, a, &r) || wait_syscall(p, s, a, &r) || copy_syscall(p, s, a, &r))
		return r;
	switch (s) {
	case S_BRK: r.ret = os_brk(p, a[0]); break;
	case S_MMAP: r.ret = sys_mmap(p, a); break;
	case S_MUNMAP: r.ret = os_munmap(p, a[0], a[1]); break;
	case S_MREMAP: r.ret = a[3] >> 32 ? -EINVAL : os_mremap(p, a[0], a[1], a[2], (uint32_t)a[3], a[4]); break;
	case S_MPROTECT: r.ret = os_mprotect(p, a[0], a[1], (uint32_t)a[2] & 7); break;
	case S_MADVISE: {
		int adv = advice_of(k, a[2]);
		/* MADV_DONTNEED refuses locked VMAs; MADV_DONTNEED_LOCKED (24) takes them. */
		r.ret = adv < 0 || (a[2] == 4 && mlock_range_locked(p, a[0], a[1])) ? -EINVAL
										    : os_madvise(p, a[0], a[1], (enum os_advice)adv);
		break;
	}
	case S_MSYNC: r.ret = os_msync(p, a[0], a[1], (a[2] & 4 ? MSF_SYNC : 0) | (a[2] & 1 ? MSF_ASYNC : 0) |
							 (a[2] & 2 ? MSF_INVALIDATE : 0)); break;
	case S_EXIT:
	case S_EXIT_GROUP:
		r.action = SYSA_EXIT;
		r.value = a[0] & 0xff;
		break;
	case S_RSEQ: r.ret = -ENOSYS; break;   /* glibc copes, as the notes measured */
	case S_PRLIMIT64: r.ret = sys_prlimit(k, a[0], a[1], a[2], a[3]); break;
	case S_GETRANDOM: r.ret = sys_getrandom(k, a[0], a[1]); break;
	case S_UNAME: r.ret = sys_uname(k, a[0]); break;
	case S_GETPID: r.ret = p->pid; break;
	case S_GETPPID: r.ret = p->ppid; break;
	case S_GETUID:
	case S_GETEUID:
	case S_GETGID:
	case S_GETEGID: r.ret = 0; break;
	case S_CLOCK_GETTIME: r.ret = sys_clock_gettime(k, a[0], a[1]); break;
	case S_GETTIMEOFDAY: {
		uint64_t us = now_ns(k) / 1000 + EPOCH_SECONDS * 1000000ull;
		uint64_t tv[2] = {us / 1000000, us % 1000000};
		r.ret = a[0] ? put_user(k, a[0], tv, 16) : 0;
		break;
	}
	case S_TIME: {
		uint64_t t = now_ns(k) / 1000000000ull + EPOCH_SECONDS;
		r.ret = a[0] && put_user(k, a[0], &t, 8) ? -EFAULT : (int64_t)t;
		break;
	}
	case S_GETGROUPS: r.ret = 0; break;   /* root, with no supplementary groups */
	case S_PRCTL: r.ret = sys_prctl(p, a[0], a[1]); break;
	case S_SYSINFO: r.ret = sys_sysinfo(k, a[0]); break;
	case S_GETRUSAGE: r.ret = put_rusage(p, (int)a[0], a[1]); break;
	case S_ARCH_PRCTL:
		if (a[0] == 0x1002 && a[1] >= k->user_top) {   /* ARCH_SET_FS: TASK_SIZE_MAX and up */
			r.ret = -EPERM;
		} else if (a[0] == 0x1002) {
			r.action = SYSA_SET_TLS;
			r.value = a[1];
			r.ret = 0;
		} else {
			r.ret = -EINVAL;
		}
		break;
	case S_CLONE:
		r = k->fmt->arch == ARCH_X86_64 ? sys_clone(p, a[0], a[1], a[2], a[4], a[3])
						: sys_clone(p, a[0], a[1], a[2], a[3], a[4]);
		break;
	case S_FORK: r = sys_clone(p, 17, 0, 0, 0, 0); break;
	case S_VFORK: r = sys_clone(p, CLONE_VM | CLONE_VFORK | 17, 0, 0, 0, 0); break;
	case S_CLONE3: r = sys_clone3(p, a[0], a[1]); break;
	case S_EXECVE: r = sys_execve(p, a[0], a[1], a[2]); break;
	case S_UMASK: {   /* kept, as the shell expects to read it back */
		r.ret = p->umask;
		p->umask = (unsigned)a[0] & 0777;
		break;
	}
	case S_GETSID: r.ret = p->pid == 1 || !p->ppid ? p->pid : 1; break;
	case S_TIMES: r.ret = sys_times(p, a[0]); break;
	case S_GETRLIMIT: r.ret = sys_prlimit(k, 0, a[0], 0, a[1]); break;
	case S_SETRLIMIT: r.ret = sys_prlimit(k, 0, a[0], a[1], 0); break;
	default:
		report_enosys(k, nr, s);
		r.ret = -ENOSYS;
		break;
	}
	return r;
}

void os_syscall_sp(struct kernel *k, uint64_t sp) { k->svc->syscall_sp = sp; }

/* A call that would sleep with a signal to deliver does not: it returns
 * the code it gives when interrupted (-ERESTARTSYS & co: delivery decides
 * between EINTR and a restart, -EINTR), and the signal is delivered on
 * the way back to user mode. */
struct sys_result os_syscall(struct kernel *k, uint64_t nr, uint64_t a[6])
{
	struct proc *p = k->svc->current;
	int pid = p->pid;
	uint64_t start = k->svc->syscall_hook ? mmu_total_cycles(k->mmu) : 0;
	uint64_t args[6];
	if (k->svc->syscall_hook)
		memcpy(args, a, sizeof args);   /* as called: the call may change a[] */
	uint64_t c0 = mmu_total_cycles(k->mmu), f0 = p->flt.fault_cycles;
	struct sys_result r = syscall_dispatch(k, nr, a);
	p->sys_cycles += mmu_total_cycles(k->mmu) - c0 - (p->flt.fault_cycles - f0);   /* faults count apart */
	p->voluntary = r.action == SYSA_BLOCK;
	if (r.action == SYSA_BLOCK && os_signal_pending(p))
		r.action = SYSA_NONE;
	if (r.action != SYSA_BLOCK) {
		p->timed_wait = false;   /* the wait, if any, is over */
		thread_wait_over(p);
		flock_wait_over(p);
	}
	sched_note_syscall(p, nr, a, &r);
	if (k->svc->syscall_hook)
		k->svc->syscall_hook(k->svc->syscall_ctx, pid, nr, args, &r, start);
	return r;
}

/* The names of calls the model does not have come from libseccomp's
 * tables, which know every architecture's numbers. */
const char *os_syscall_name(const struct kernel *k, uint64_t nr, char *buf, size_t len)
{
	enum sys s = sys_of(k, nr);
	if (s != S_NONE)
		return sys_names[s];
	char *name = nr < 4096 ? seccomp_syscall_resolve_num_arch(
					 k->fmt->arch == ARCH_X86_64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_AARCH64, (int)nr)
			       : NULL;
	snprintf(buf, len, "%s", name ? name : "?");
	free(name);
	return buf;
}

void proc_set_exe(struct proc *p, const char *host_path)
{
	int fd = open(host_path, O_PATH | O_CLOEXEC);
	proc_exe_set(p, host_path, fd);
	thread_comm_from_path(p->thread, host_path);
	if (fd >= 0)
		close(fd);
}

const char *proc_exe(const struct proc *p)
{
	return p->exe;
}
