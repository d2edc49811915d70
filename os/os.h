/* os/ — the kernel model: frames, address spaces, VMAs, the page-fault
 * handler, fork and exit, and the event bus everything reports on.
 *
 * It edits page tables only through mmu/'s format functions and invalidates
 * the TLB (by VA and ASID) whenever it removes or downgrades a translation. */
#ifndef MMUSIM_OS_H
#define MMUSIM_OS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "mmu/mmu.h"

/* ---- Configuration ------------------------------------------------------ */
enum personality { PERS_LINUX, PERS_XNU, PERS_LITEOS };
const char *personality_name(enum personality p);
int personality_by_name(const char *name);   /* -1 when unknown */

struct os_config {
	enum personality personality;
	uint64_t stack_limit;      /* RLIMIT_STACK (8 MiB) */
	uint64_t stack_guard_gap;  /* Linux stack_guard_gap (256 pages of 4 KiB) */
	uint64_t fault_around_bytes; /* Linux fault_around_bytes (64 KiB), where the personality has it */
	uint64_t swap_bytes;       /* size of the swap area (0: none) */
	uint32_t max_procs;        /* RLIMIT_NPROC: processes, zombies included; fork beyond is -EAGAIN */
	enum { THP_NEVER, THP_MADVISE, THP_ALWAYS } thp;   /* transparent huge pages (Linux) */
	uint64_t disk_limit;       /* host disk the guest's files may take, net (1 GiB; DISK_UNLIMITED) */
};
#define DISK_UNLIMITED UINT64_MAX
void os_config_default(struct os_config *c);

/* ---- VMAs --------------------------------------------------------------- */
#define VM_READ      0x01u
#define VM_WRITE     0x02u
#define VM_EXEC      0x04u
#define VM_SHARED    0x08u
#define VM_GROWSDOWN 0x10u
#define VM_HUGEPAGE   0x20u  /* madvise(MADV_HUGEPAGE) */
#define VM_NOHUGEPAGE 0x40u
#define VM_LOCKED     0x80u   /* mlock: faulted in, never reclaimed (os/mm/mlock.c) */
#define VM_LOCKONFAULT 0x100u /* mlock2(MLOCK_ONFAULT): locked as pages fault in, none populated */
#define VM_LOCKED_MASK (VM_LOCKED | VM_LOCKONFAULT)

struct inode;

struct vma {
	uint64_t start, end;   /* [start, end), page-aligned */
	uint32_t flags;        /* VM_* */
	struct inode *file;    /* NULL for anonymous memory */
	uint64_t offset;       /* file offset of `start`, in bytes (page-aligned); anonymous:
				* how far its pages moved from the address their index
				* names (mremap of pages shared since fork), mod 2^64 */
};
/* The path a file was first opened by (as the guest named it). */
const char *inode_name(const struct inode *ino);

/* ---- Fault records ------------------------------------------------------ */
/* The generic steps a fault can take, in the order they can happen. */
enum fault_step {
	STEP_ENTRY,          /* trap taken, syndrome decoded */
	STEP_FIND_VMA,
	STEP_EXPAND_STACK,   /* below a grows-down VMA: the stack grows */
	STEP_BAD_AREA,       /* no VMA covers the address: SEGV_MAPERR */
	STEP_ACCESS_ERROR,   /* the VMA does not allow the access: SEGV_ACCERR */
	STEP_ALLOC_P4D,      /* missing intermediate tables, as Linux names them */
	STEP_ALLOC_PUD,
	STEP_ALLOC_PMD,
	STEP_ALLOC_PTE,
	STEP_ZERO_PAGE,      /* read of fresh anonymous memory: the shared zero page, read-only */
	STEP_ANON_PAGE,      /* a zeroed frame of its own */
	STEP_WP_COPY,        /* write to a shared page: copy it */
	STEP_WP_REUSE,       /* write to a page nobody else maps: make it writable in place */
	STEP_SET_YOUNG,      /* AArch64 access-flag fault: set AF */
	STEP_SET_DIRTY,      /* AArch64 write to a clean DBM page without hardware DBM */
	STEP_SPURIOUS,       /* the entry already allows the access */
	STEP_OOM,            /* no frame to be had */
	STEP_BAD_ENTRY,      /* a reserved bit or an unreachable frame in the tables */
	STEP_PKEY,           /* protection-key violation */
	STEP_FAULT_AROUND,   /* neighbouring cached pages mapped too (do_fault_around) */
	STEP_READ_FAULT,     /* a file page mapped read-only (do_read_fault) */
	STEP_COW_FAULT,      /* a private copy of a file page (do_cow_fault) */
	STEP_SHARED_FAULT,   /* a file page mapped writable and dirtied (do_shared_fault) */
	STEP_WP_SHARED,      /* a write to a clean shared file page (wp_page_shared) */
	STEP_PAGECACHE_MISS, /* the page read from the file: a major fault */
	STEP_BEYOND_EOF,     /* past the end of the file: SIGBUS */
	STEP_SWAP_IN,        /* a swap entry: the page read back (do_swap_page) */
	STEP_RECLAIM,        /* memory was short: reclaim ran first (direct reclaim) */
	STEP_HUGE_PAGE,      /* a transparent huge page: one block entry (do_huge_pmd_anonymous_page) */
	STEP_HUGE_FALLBACK,  /* no free block: base pages instead */
	STEP_SPLIT_HUGE,     /* copy-on-write hit a huge page: split it first */
	STEP_COUNT
};
const char *fault_step_name(enum fault_step s);

enum fault_outcome { OUT_RESOLVED, OUT_SIGSEGV, OUT_SIGBUS, OUT_SIGKILL, OUT_OOM };
const char *fault_outcome_name(enum fault_outcome o);

/* Signals and si_code values are Linux's, which glibc's <signal.h> gives
 * on both architectures: SIGSEGV with SEGV_MAPERR / SEGV_ACCERR /
 * SEGV_PKUERR, SIGBUS with BUS_ADRERR / BUS_OBJERR. */

struct pte_change {
	int8_t level;
	uint16_t index;
	uint64_t va, table_pa, old, new;
};

#define FAULT_MAX_STEPS 16
#define FAULT_MAX_CHAIN 24
#define FAULT_MAX_PTES 24

struct fault_record {
	uint64_t seq;                /* 1 for the run's first fault */
	int pid;
	uint64_t va;
	enum mmu_access access;
	struct mmu_fault hw;         /* kind, level and the architecture's syndrome */
	uint64_t pc;                 /* faulting instruction, when a CPU is involved */
	char insn[64];               /* ... and its disassembly */
	bool pc_block;               /* pc is only the start of the translated block
	                                that made the access (functional mode) */
	bool have_vma;
	struct vma vma;              /* the VMA after any stack growth */
	uint8_t nsteps;
	uint8_t steps[FAULT_MAX_STEPS];
	uint8_t nchain;
	const char *chain[FAULT_MAX_CHAIN];   /* the personality's kernel functions */
	uint8_t npte;
	struct pte_change pte[FAULT_MAX_PTES];
	uint16_t tables_allocated, frames_allocated, frames_copied;
	uint16_t pages_around;       /* mapped by fault-around besides the faulting page */
	bool major;
	bool huge;                   /* resolved at a block (huge page) entry */
	uint64_t cycles;             /* trap, handler and the work it did */
	enum fault_outcome outcome;
	int signo, si_code;
};

/* ---- Events ------------------------------------------------------------- */
enum os_event_kind {
	EV_FAULT, EV_PTE, EV_TABLE_ALLOC, EV_TABLE_FREE, EV_FRAME_ALLOC, EV_FRAME_FREE, EV_COW_COPY,
	EV_TLB_FILL, EV_TLB_FLUSH, EV_PROC_CREATE, EV_PROC_EXIT, EV_SWITCH,
	EV_MMAP, EV_MUNMAP, EV_MPROTECT, EV_BRK, EV_EXEC,
	EV_PAGECACHE_HIT, EV_PAGECACHE_MISS, EV_WRITEBACK, EV_MSYNC, EV_MADVISE,
	EV_EVICT, EV_SWAP_OUT, EV_SWAP_IN, EV_MEMLIMIT, EV_PAGECACHE_SHARE, EV_MREMAP, EV_SHOOTDOWN,
	EV_COUNT
};
const char *os_event_name(enum os_event_kind k);

/* What a frame is used for. */
enum frame_use { USE_FREE, USE_ANON, USE_PAGETABLE, USE_ZERO, USE_PAGECACHE, USE_COUNT };
const char *frame_use_name(enum frame_use u);

/* A TLB shootdown: the kernel invalidating an address space's translations
 * on every CPU that may cache them, as the personality's kernel does. */
enum shootdown_method {
	SD_IPI_INVLPG,    /* x86-64: INVLPG per page here, IPIs to the others */
	SD_IPI_FULL,      /* x86-64: the PCID flushed (past the 33-page ceiling), IPIs */
	SD_TLBI_VA,       /* arm64: TLBI VALE1IS per page, DSB ISH; no IPIs */
	SD_TLBI_ASID,     /* arm64: TLBI ASIDE1IS, DSB ISH */
	SD_METHODS
};
const char *shootdown_method_name(enum shootdown_method m);
struct shootdown {
	unsigned initiator;
	uint64_t targets;        /* CPUs invalidated besides the initiator (bit per CPU) */
	uint64_t lazy;           /* x86: CPUs in the mm's cpumask skipped as lazy */
	uint64_t start, end;     /* the range [start, end) */
	uint32_t pages;          /* base pages in it that changed */
	uint16_t asid;
	enum shootdown_method method;
	uint64_t cycles;         /* the initiator's */
	uint64_t target_cycles;  /* each target's */
};
struct smp_stats {
	uint64_t shootdowns, by_method[SD_METHODS];
	uint64_t ipis, lazy_skips, entries_invalidated;
	uint64_t switch_flushes; /* a CPU flushing an mm it was behind on as it ran it again */
	uint64_t migrations;
	uint64_t stale_hits;     /* --check-tlb */
};

struct kernel;
/* NULL with one CPU. */
const struct smp_stats *kernel_smp_stats(const struct kernel *k);
/* --check-tlb: every TLB hit is compared with the page tables; the first
 * stale one is reported on stderr (one line), all are counted. False: no
 * host memory. */
bool kernel_check_tlb(struct kernel *k);
/* Whether the check is on: then os_access_tlb must not be used (its TLB
 * hits go unchecked); cpu/ decides once, at cpu_create. */
bool kernel_tlb_checked(const struct kernel *k);
uint64_t kernel_stale_tlb_hits(const struct kernel *k);
/* The host's stop request (SIGINT, SIGTERM, SIGHUP, --max-seconds): set,
 * a kernel operation whose work follows a length the guest names (faulting
 * in MAP_POPULATE or mlock ranges) gives up at once, -EINTR. */
void kernel_set_stop(struct kernel *k, const volatile sig_atomic_t *stop);

struct os_event {
	enum os_event_kind kind;
	uint64_t seq;              /* assigned by the bus: 1, 2, 3 ... */
	int pid;
	uint8_t cpu;               /* set by the bus: the CPU it happened on */
	union {
		const struct fault_record *fault;                     /* EV_FAULT */
		struct pte_change pte;                                /* EV_PTE */
		struct { uint64_t pa; int8_t level; } table;          /* EV_TABLE_ALLOC / FREE */
		struct { uint64_t pa; enum frame_use use; uint32_t refcount; } frame; /* EV_FRAME_* */
		struct { uint64_t va, from, to; } cow;                /* EV_COW_COPY */
		const struct mmu_event *tlb;                          /* EV_TLB_* */
		struct { int parent; uint64_t root; uint16_t asid; int code; } proc; /* EV_PROC_*, EV_SWITCH, EV_EXEC */
		/* EV_MMAP ... EV_BRK, EV_MSYNC, EV_MADVISE, EV_MREMAP (its new length and address too) */
		struct { uint64_t addr, len; uint32_t prot, flags; int64_t result; uint64_t new_len, new_addr; } as;
		const struct shootdown *shootdown;                    /* EV_SHOOTDOWN */
		struct { uint64_t pa, index; const char *file; } cache;    /* EV_PAGECACHE_*, EV_WRITEBACK, EV_EVICT,
									       EV_SWAP_* (index: the slot) */
		/* EV_PAGECACHE_SHARE: a fault mapped a page-cache frame that other
		 * entries map already (a library in several processes) */
		struct { uint64_t pa, va, offset; const char *file; uint32_t mapcount; } share;
	} u;
};
typedef void (*os_event_fn)(void *ctx, const struct os_event *ev);

/* ---- The kernel ---------------------------------------------------------- */
struct kernel;
struct proc;

/* Builds physical memory and the MMU from `mc`. Errors are one line. */
struct kernel *kernel_create(const struct mmu_config *mc, const struct os_config *oc, char *err, size_t errlen);
void kernel_destroy(struct kernel *k);
struct mmu *kernel_mmu(const struct kernel *k);
const struct pt_format *kernel_format(const struct kernel *k);
enum personality kernel_personality(const struct kernel *k);
/* Subscribers see every event in order; with none, nothing is built. */
void kernel_subscribe(struct kernel *k, os_event_fn fn, void *ctx);

/* Told whenever a leaf entry is removed or downgraded (or points at another
 * frame) in process `pid`'s tables, for [va, va + len): whoever caches
 * translations outside the MMU model (the CPU's shadow of guest memory)
 * must drop them, as a TLB must. */
typedef void (*os_unmap_fn)(void *ctx, int pid, uint64_t va, uint64_t len);
void kernel_set_unmap_hook(struct kernel *k, os_unmap_fn fn, void *ctx);
/* Asked, when a fault is recorded, to fill in r->pc, r->insn and
 * r->pc_block: the faulting instruction's address and disassembly (the CPU
 * knows them; a trace does not). r->pc comes in as the fault address for
 * an instruction fetch (the instruction is there), 0 otherwise (the CPU's
 * program counter names it). */
typedef void (*os_pc_fn)(void *ctx, struct fault_record *r);
void kernel_set_pc_hook(struct kernel *k, os_pc_fn fn, void *ctx);

/* ---- Operations, for recording (traces/record.c) -------------------------- */
/* The operation hook is told of every operation that changes the simulated
 * machine's state (frames, page tables, TLBs, the page cache, processes),
 * in the order they are made, with what a replay needs to make it again
 * with no CPU: the accesses (the CPU's, and those of copy_to_user & co),
 * address-space calls, processes, and page-cache I/O by read(2), write(2)
 * and the ELF loader. Running the same operations from the same start
 * gives the same faults. Nothing else (descriptors, pipes, paths) changes
 * that state. The CPU's instructions are not operations: the MMU counts
 * them (mmu_stats). An access and an address-space call are told after
 * they are made (with their result); file operations before (with the
 * file's size as it was). The hook sits where the state changes (os_access,
 * kernel_switch, proc_fork/exec/exit, os_mmap ..., file_rw, os_truncate,
 * os_fsync), so a system call built on those is recorded as it is; one
 * that changes frames, tables or the page cache any other way must tell
 * the hook (or `mmusim run --record` no longer replays exactly). */
enum os_op_kind {
	OP_ACCESS,      /* os_access: va, access, outcome; `uaccess` when copy_to_user & co made it;
			 * `caught` when the fault's signal goes to a handler (the process lives on) */
	OP_SWITCH,      /* kernel_switch: `pid` is the current process now (even if it was before) */
	OP_FORK,        /* proc_fork: `pid` forked `child` (the parent stays current), or ran out of memory */
	OP_EXEC,        /* proc_exec: a fresh address space, or the old one gone and no memory for a new one */
	OP_EXIT,        /* proc_exit (or proc_kill) of a live process */
	OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_BRK, OP_MSYNC, OP_MADVISE,   /* the calls, as made */
	OP_PREAD, OP_PWRITE,   /* file I/O through the page cache: file.offset, file.len */
	OP_TRUNCATE,    /* a file's size set to file.len (O_TRUNC, ftruncate): cached pages past it go */
	OP_FSYNC,       /* a file's dirty pages written back (fsync) */
	OP_MREMAP,      /* as made: addr, len (the old length), new_len, flags (MREMAP_*), new_addr */
	OP_PLACE,       /* several CPUs: `pid`'s thread takes a turn on place.cpu, with the other
			 * CPUs in place.lazy idle (lazy TLB); place.migrated: it moved there */
};
struct os_op {
	enum os_op_kind kind;
	int pid;                      /* the process it concerns (the current one but for OP_EXIT) */
	union {
		struct { uint64_t va; enum mmu_access access; bool uaccess, caught; enum fault_outcome outcome; } access;
		struct { int child, result; } fork;        /* result 0 or -ENOMEM */
		struct { uint64_t stack_top, brk; int result; } exec;   /* result 0 or -ENOMEM */
		struct { int code; } exit;                /* exit status, 128 + signal when killed */
		/* OP_MMAP ... OP_MADVISE: the arguments (mmap: MAPF_* flags; msync:
		 * MSF_*; madvise: prot holds the enum os_advice) and the result. */
		struct { uint64_t addr, len; uint32_t prot, flags; int64_t result; uint64_t new_len, new_addr; } as;
		struct { unsigned cpu; uint64_t lazy; bool migrated; } place;
	} u;
	/* OP_MMAP of a file, OP_PREAD ... OP_FSYNC: the file (NULL for an
	 * anonymous mapping, or a descriptor with no file behind it). */
	struct {
		const struct inode *inode;
		uint64_t size;            /* its size before the operation */
		uint32_t open_flags;      /* OPEN_* of the descriptor used (mmap, pread, pwrite) */
		uint64_t offset, len;     /* mmap: offset; pread, pwrite: offset, len; truncate: len */
	} file;
};
typedef void (*os_op_fn)(void *ctx, const struct os_op *op);
/* One hook (NULL removes it); kernel_destroy removes it first. */
void kernel_set_op_hook(struct kernel *k, os_op_fn fn, void *ctx);

/* Processes. pid 1 is created by kernel_create, empty and current. */
struct proc *proc_find(const struct kernel *k, int pid);
struct proc *kernel_current(const struct kernel *k);
int proc_pid(const struct proc *p);
bool proc_alive(const struct proc *p);
int proc_exit_status(const struct proc *p);   /* exit code, or 128 + signal */
void kernel_switch(struct kernel *k, struct proc *p);
/* A fresh address space: a stack ending at stack_top (grows down where the
 * personality grows stacks) and an empty heap at brk. */
int proc_exec(struct proc *p, uint64_t stack_top, uint64_t brk);
/* Returns the child, or NULL with errno-style *err (-EAGAIN, -ENOMEM, -EEXIST). */
struct proc *proc_fork(struct proc *parent, int child_pid, int *err);
void proc_exit(struct proc *p, int code);
void proc_kill(struct proc *p, int signo);
/* release_task: every process that has exited and whose parent collected
 * its status (or never will) is freed; its pointers go with it. Called by
 * whoever runs the processes where it holds none of those (cpu/: between
 * turns). */
void os_release_reaped(struct kernel *k);

/* Address-space operations, as the system calls: a result >= 0 or -errno. */
#define MAPF_SHARED    1u
#define MAPF_PRIVATE   2u
#define MAPF_ANONYMOUS 4u
#define MAPF_FIXED     8u
#define MAPF_GROWSDOWN 16u
#define MAPF_LOCKED    32u   /* MAP_LOCKED: as mlock on the new mapping */
#define MAPF_POPULATE  64u   /* MAP_POPULATE: faulted in at once */
/* fd and offset matter for file mappings (flags without MAPF_ANONYMOUS). */
int64_t os_mmap(struct proc *p, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags, int fd,
		uint64_t offset);
int64_t os_munmap(struct proc *p, uint64_t addr, uint64_t len);
int64_t os_mprotect(struct proc *p, uint64_t addr, uint64_t len, uint32_t prot);
int64_t os_brk(struct proc *p, uint64_t addr);
#define MSF_SYNC       1u
#define MSF_ASYNC      2u
#define MSF_INVALIDATE 4u
int64_t os_msync(struct proc *p, uint64_t addr, uint64_t len, uint32_t flags);
enum os_advice { ADV_NORMAL, ADV_WILLNEED, ADV_DONTNEED, ADV_HUGEPAGE, ADV_NOHUGEPAGE, ADV_COLD, ADV_PAGEOUT };
int64_t os_madvise(struct proc *p, uint64_t addr, uint64_t len, enum os_advice advice);
/* mremap(2): MREMAP_MAYMOVE 1, MREMAP_FIXED 2, MREMAP_DONTUNMAP 4. */
int64_t os_mremap(struct proc *p, uint64_t addr, uint64_t old_len, uint64_t new_len, uint32_t flags,
		  uint64_t new_addr);

/* Files, below the sandbox root (the current directory unless set). */
int os_set_root(struct kernel *k, const char *root, char *err, size_t errlen);
/* The sysroot (NULL: none): a read-only lower layer under the root where
 * lookups that only read go when the root has no such name (shared
 * libraries, the interpreter). Never written: see os/kernel/sandbox.h. */
int os_set_sysroot(struct kernel *k, const char *dir, char *err, size_t errlen);
#define OPEN_READ   1u
#define OPEN_WRITE  2u
#define OPEN_CREATE 4u
#define OPEN_TRUNC  8u
#define OPEN_APPEND 16u
#define OPEN_EXCL   32u
#define OPEN_DIRECTORY 64u   /* fail unless it is a directory */
#define OPEN_NOFOLLOW  128u  /* fail on a symbolic link */
int os_open(struct proc *p, const char *path, uint32_t flags, unsigned mode);  /* a descriptor or -errno */
int os_close(struct proc *p, int fd);
/* Make guest descriptor guest_fd refer to a host stream (stdin, stdout ...). */
int os_attach_host_fd(struct proc *p, int guest_fd, int host_fd, uint32_t flags);
int64_t os_pread(struct proc *p, int fd, void *buf, uint64_t len, uint64_t off);
int64_t os_pwrite(struct proc *p, int fd, const void *buf, uint64_t len, uint64_t off);
/* A file as it is on disk before the run (not in the page cache); fill NULL:
 * zeros, as a sparse file. */
typedef void (*file_fill_fn)(void *ctx, uint64_t offset, uint8_t *buf, size_t len);
int os_put_file(struct kernel *k, const char *path, uint64_t size, file_fill_fn fill, void *ctx);
/* Write every dirty page-cache page back to its file. */
void os_sync(struct kernel *k);
/* ftruncate(2) and fsync(2) of descriptor fd of p: 0 or -errno. */
int64_t os_ftruncate(struct proc *p, int fd, uint64_t len);
int64_t os_fsync(struct proc *p, int fd);
/* The directories on the way to `path` below the sandbox root, created
 * where missing (mkdir -p of its parent): 0 or -errno. */
int os_mkdirs(struct kernel *k, const char *path);
/* The file open on fd of p is known by `name` from now on (what inode_name
 * says, events and fault records show), not by the path it was opened by:
 * a replay's stand-in for a file whose name was a path it cannot use. */
int os_name_file(struct proc *p, int fd, const char *name);
/* The VMAs of a process, in address order. */
size_t proc_vmas(const struct proc *p, const struct vma **out);
/* The index (in proc_vmas's array) of the first VMA ending past addr. */
size_t proc_vma_index(const struct proc *p, uint64_t addr);
/* Where p's VMAs changed (added, removed, moved, permissions) since the
 * last call: [*lo, *hi); false when nothing did. */
bool proc_vma_changes(struct proc *p, uint64_t *lo, uint64_t *hi);

/* One user access by the current process: the MMU translates it; a fault
 * is handled and the access retried. Returns the outcome; `rec` (optional)
 * receives the last fault's record. */
enum fault_outcome os_access(struct kernel *k, uint64_t va, enum mmu_access acc, struct mmu_xlate *x,
			     struct fault_record *rec);
/* os_access's quick cases, accounted the same: the TLBs grant the access
 * (mmu_access_tlb), while nobody records accesses. False, with nothing
 * done, otherwise. */
bool os_access_tlb(struct kernel *k, uint64_t va, enum mmu_access acc);
/* What the current process's page tables say of an access, with no side
 * effect (no TLB, no A/D update, no cost): true when they allow it. */
bool os_probe_access(struct kernel *k, uint64_t va, enum mmu_access acc, struct mmu_xlate *x);

/* What a frame holds and who refers to it (for tests and viewers). */
struct frame_info {
	enum frame_use use;
	uint32_t refcount, mapcount;
};
bool kernel_frame(const struct kernel *k, uint64_t pa, struct frame_info *out);
/* The physical address `va` maps to in process p's tables, if present. */
bool proc_translate(const struct proc *p, uint64_t va, uint64_t *pa);

/* ---- System calls -------------------------------------------------------------- */
/* What the CPU must do after a system call besides returning `ret`. */
enum sys_action {
	SYSA_NONE,
	SYSA_EXIT,      /* the process exits with status `value` */
	SYSA_SET_TLS,   /* x86-64 arch_prctl(ARCH_SET_FS): FS base = value */
	SYSA_KILLED,    /* the process ends as signal `value` ends it (exec past its
			 * point of no return) */
	SYSA_BLOCK,     /* the call would sleep (wait4, an empty pipe): run another
			 * process; the scheduler makes the same call again on its
			 * next turn (sched_turn); `ret` is what it returns once a
			 * signal interrupts the sleep (-ERESTARTSYS & co), which
			 * os_syscall then does itself */
	SYSA_FORK,      /* a child (pid `value`) was created: give it a copy of the
			 * registers with the call returning 0, and `child` */
	SYSA_EXEC,      /* a new program was loaded: start it at `exec` */
	SYSA_YIELD,     /* a signal went to another process: it runs next (as Linux's
			 * wake-up preemption lets a woken process run at once) */
	SYSA_THREAD,    /* a thread (tid `value`) of the process was created: give it a
			 * copy of the registers with the call returning 0, and `child` */
	SYSA_THREAD_EXIT, /* the calling thread ended; its process goes on */
	SYSA_SIGRETURN, /* rt_sigreturn: the registers come from the signal frame
			 * (os_sigreturn), the return register included */
};
struct exec_image {
	uint64_t entry;       /* e_entry + load_bias */
	uint64_t sp;          /* 16-byte aligned, pointing at argc */
	uint64_t phdr;        /* AT_PHDR */
	uint64_t brk_start;   /* page-aligned end of the highest segment */
	uint64_t load_bias;   /* 0 for ET_EXEC; ELF_ET_DYN_BASE-based for PIE */
	uint64_t interp_base; /* AT_BASE: where the interpreter (ld.so) is, or 0 */
};
struct sys_result {
	int64_t ret;
	enum sys_action action;
	uint64_t value;
	struct {
		uint64_t sp;            /* a new stack (0: the parent's) */
		uint64_t tls;           /* CLONE_SETTLS */
		bool set_tls;
		uint64_t set_tid;       /* CLONE_CHILD_SETTID: the child writes its pid
					 * here when it first runs (schedule_tail) */
	} child;
	struct exec_image exec;
};
/* The stack pointer of the current process as it makes the next system
 * call (sigaltstack must know whether it runs on the alternate stack). */
void os_syscall_sp(struct kernel *k, uint64_t sp);
/* Every process is asleep: if one sleeps with a timeout (poll), simulated
 * time moves on to the earliest such deadline (its call, made again, times
 * out) and true is returned; false when nothing but another process could
 * wake them (a deadlock). */
bool os_wait_timeout(struct kernel *k);
/* The simulated clock clock_gettime reads, in ticks of its 3 GHz (an x86
 * time-stamp counter's RDTSC reads it). */
uint64_t os_clock_ticks(const struct kernel *k);
/* System call `nr` (the architecture's number) of the current process. */
struct sys_result os_syscall(struct kernel *k, uint64_t nr, uint64_t args[6]);
/* Told of every system call once os_syscall has made it: process `pid`,
 * the call and its arguments, what it returns (a call that would sleep
 * comes back SYSA_BLOCK, and is made again later), and the MMU's cycle
 * count when it began (the Chrome trace's slices). */
typedef void (*os_syscall_fn)(void *ctx, int pid, uint64_t nr, const uint64_t args[6], const struct sys_result *r,
			      uint64_t start_cycles);
void kernel_set_syscall_hook(struct kernel *k, os_syscall_fn fn, void *ctx);
/* Its name (in buf when the model does not know the call). */
const char *os_syscall_name(const struct kernel *k, uint64_t nr, char *buf, size_t len);
/* The host path readlink("/proc/self/exe") names. */
void proc_set_exe(struct proc *p, const char *host_path);
const char *proc_exe(const struct proc *p);

/* ---- Scheduling (os/sched.c) ---- */
/* Which thread runs next is the kernel's decision; the CPU runs the one it
 * is given. A thread is runnable, blocked in a system call (made again on
 * its turn), or dead; proc_sched_state tells it of the process's running
 * thread. One simulated CPU, one queue, for now. */
enum sched_state { SCHED_RUNNABLE, SCHED_BLOCKED, SCHED_DEAD };
enum sched_state proc_sched_state(const struct proc *p);
/* Round robin over the threads in the order they were created (a process's
 * first thread with it): thread 1 first, then the first live one after the
 * last picked (that one again when it is the only one left). NULL once
 * none is alive. sched_next makes the picked thread its process's running
 * one, without a context switch. */
struct proc *sched_next(struct kernel *k);
/* The same over threads: the process, and in *tid the thread of it to run
 * (made current by kernel_switch_thread). */
struct proc *sched_next_thread(struct kernel *k, int *tid);
void kernel_switch_thread(struct kernel *k, struct proc *p, int tid);
/* What sched_next_thread's placement did, done again from a trace
 * (OP_PLACE): p's address space enters `cpu`, the CPUs in `lazy` idle.
 * -EINVAL if the machine has no such CPU. */
int kernel_place(struct kernel *k, struct proc *p, unsigned cpu, uint64_t lazy, bool migrated);
/* The tid of p's thread that runs (or ran last), and its name (comm). */
int proc_tid(const struct proc *p);
const char *proc_thread_comm(const struct proc *p);
/* The turn of the process just picked (made current): */
enum sched_verdict {
	TURN_RUN,       /* it is runnable: run it */
	TURN_WOKEN,     /* its blocked call was made again and returned: nr, args, r */
	TURN_ASLEEP,    /* it still sleeps: pick the next one */
	TURN_DEADLOCK,  /* every process sleeps and nothing but another could wake
			 * them (no timeout: os_wait_timeout): end them all */
};
struct sched_turn {
	enum sched_verdict what;
	uint64_t nr, args[6];
	struct sys_result r;
};
struct sched_turn sched_turn(struct kernel *k);

/* ---- Signals (os/signal.c, os/sigframe.c) ------------------------------------ */
/* The user-mode registers a signal frame saves and rt_sigreturn restores,
 * as plain numbers: the CPU reads them out of its emulator and writes them
 * back, os/ lays them out as the architecture's struct sigcontext. x86-64
 * general registers are kept in sigcontext's order. */
enum { X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
       X86_RDI, X86_RSI, X86_RBP, X86_RBX, X86_RDX, X86_RAX, X86_RCX };
struct user_regs {
	uint64_t r[31];          /* x86-64: X86_*; arm64: x0..x30 */
	uint64_t sp, pc;
	uint64_t flags;          /* RFLAGS; PSTATE */
	uint8_t v[32][16];       /* xmm0..xmm15; v0..v31 */
	uint32_t fpsr, fpcr;     /* arm64 FPSR and FPCR; x86-64: fpcr is MXCSR */
	uint16_t fcw, fsw, ftw;  /* x86-64 x87 control, status and (full) tag words */
	uint8_t st[8][10];       /* x86-64 x87 registers */
};

/* The system call a return to user mode comes from, if any: its result
 * is in the return register, and a -ERESTART* result is turned into
 * -EINTR or a restart (the program counter back on the instruction, the
 * first argument register as it was: x86-64's rax holds the call number,
 * arm64's x0 the first argument, both overwritten by the result). */
struct syscall_exit {
	bool active;
	uint64_t orig;           /* x86-64 orig_rax; arm64 orig_x0 */
};

/* The registers a new program starts with (execve), as Linux's start_thread
 * and fpu__clear_user_states leave them: zero but for the stack pointer and
 * the entry point; x86-64: RFLAGS IF, the x87 control word 0x37f (64-bit
 * precision, round to nearest), MXCSR 0x1f80, every x87 register empty;
 * arm64: FPCR and FPSR 0. */
void os_start_regs(const struct kernel *k, const struct exec_image *img, struct user_regs *regs);

/* Is a signal pending that p does not block (the way back to user mode
 * must deliver it)? */
bool os_signal_pending(const struct proc *p);
/* On the way back to user mode of the current process: every pending
 * signal it does not block, as Linux's get_signal and handle_signal do.
 * Ignored ones are discarded; one with a handler gets a frame on the user
 * stack (or the alternate one) and regs enter the handler; one whose
 * default action ends the process stops there: returns its number
 * (nothing else is done). Returns 0 otherwise; regs may have changed
 * either way (a frame, a restarted call). */
int os_signal_deliver(struct kernel *k, struct user_regs *regs, const struct syscall_exit *sx);
/* rt_sigreturn of the current process: regs (the ones it made the call
 * with) become those its signal frame saved, and the blocked mask the
 * frame's. A frame that cannot be read or is not valid makes a SIGSEGV,
 * as Linux's badframe does (os_signal_deliver delivers it). */
void os_sigreturn(struct kernel *k, struct user_regs *regs);
/* A fault (or an undefined instruction, a breakpoint) the kernel answers
 * with signal `signo` (si_code `code`, si_addr `addr`, the architecture's
 * syndrome for the frame: x86-64 error code, arm64 ESR). Linux's force_sig:
 * if the current process has a handler for it and does not block it, the
 * signal is queued for the handler and true returned; otherwise false
 * (the process dies of it, as before). */
bool os_signal_fault(struct kernel *k, int signo, int code, uint64_t addr, uint64_t syndrome);
/* Has p a handler for SIGSEGV or SIGBUS (blocked or not)? Its faults may
 * then return to it, from the registers before the faulting instruction. */
bool proc_catches_faults(const struct proc *p);

/* ---- Statistics ---------------------------------------------------------- */
struct os_stats {
	uint64_t faults, minor, major;
	uint64_t by_step[STEP_COUNT];
	uint64_t by_outcome[OUT_OOM + 1];
	uint64_t frames_total, frames_free;
	uint64_t frames_by_use[USE_COUNT];
	uint64_t cow_copies, tables_allocated;
	uint64_t pagecache_misses, writebacks;
	uint64_t pagecache_shared;   /* page-cache frames mapped by two entries at once (two processes) */
	uint64_t scanned, evicted, swapouts, swapins;
	uint64_t thp_allocs, thp_fallbacks, thp_splits;
	uint64_t syscalls;
};
/* A limit on the memory in use, below physical memory (0: none). */
void os_set_memlimit(struct kernel *k, uint64_t bytes);
void kernel_stats(const struct kernel *k, struct os_stats *out);

/* ---- User memory and the ELF loader (os/uaccess.c, os/elf.c) ------------- */
/* copy_from_user / copy_to_user for the current process: 0 or -EFAULT. The
 * range must lie below the top of user space (access_ok); each page is
 * translated as a user-mode access (user permissions apply), faults are
 * handled as usual, and one the handler cannot resolve gives -EFAULT
 * without killing the process. Bytes before the failing page are copied. */
int os_copy_from_user(struct kernel *k, void *dst, uint64_t src_va, uint64_t len);
int os_copy_to_user(struct kernel *k, uint64_t dst_va, const void *src, uint64_t len);
/* The string at src_va into dst (room for max bytes): its length without
 * the NUL, -EFAULT, or -ENAMETOOLONG when no NUL is within max bytes. */
int64_t os_strncpy_from_user(struct kernel *k, char *dst, uint64_t src_va, uint64_t max);

/* The credentials the loader puts in AT_UID/AT_EUID/AT_GID/AT_EGID (root,
 * as getuid() and friends report). */
#define OS_GUEST_UID 0
#define OS_GUEST_GID 0

/* A host file (outside the sandbox: the program given to `mmusim run`)
 * opened read-only as an inode, on a new descriptor of p (the lowest free
 * one); `name` is the path events and the page cache show for it. Returns
 * the descriptor or -errno (-EISDIR, -EACCES for a file that is not regular). */
int os_open_host(struct proc *p, const char *host_path, const char *name);
/* After --warm's untraced first run (its CPU gone): the machine as a second
 * run finds it — the page cache and the sandbox's files as the first run
 * left them; no process, counter, simulated time, TLB entry or pid number
 * of it (os/kernel/warm.c); a new process 1 is current. 0, or -1 with a
 * reason in err. */
int os_warm_restart(struct kernel *k, char *err, size_t errlen);

/* Load the static ELF executable at host path `host_path` into p (made the
 * current process) as Linux's load_elf_binary does: a fresh address space,
 * file-backed segments through the page cache, the bss, brk, and the
 * initial stack (argv, envp, auxv). argv has argc strings (argc 0 gives
 * { "" }, as Linux since 5.18); envp is NULL-terminated (NULL: empty);
 * execfn is the path the program was run by (AT_EXECFN; NULL: host_path).
 * Returns 0, or -errno with a one-line reason in err. A failure before the
 * old address space is dropped leaves p as it was; one after it (out of
 * memory) kills p with SIGSEGV, as Linux does past the point of no return. */
int os_exec_elf(struct proc *p, const char *host_path, int argc, char *const argv[], char *const envp[],
		const char *execfn, struct exec_image *out, char *err, size_t errlen);

#endif
