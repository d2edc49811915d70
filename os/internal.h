/* os/ internals. Nothing outside os/ includes this. */
#ifndef MMUSIM_OS_INTERNAL_H
#define MMUSIM_OS_INTERNAL_H

#include <errno.h>

#include "os/os.h"

#define NO_PFN UINT64_MAX

/* Page flags, as Linux's PG_* for the states the model has. */
#define PG_UPTODATE  0x01
#define PG_DIRTY     0x02
#define PG_LOCKED    0x04   /* I/O in progress */
#define PG_WRITEBACK 0x08
#define PG_REFERENCED 0x10
#define PG_BUDDY     0x20   /* heads a free block in the buddy lists */

/* struct page: one per frame, as Linux keeps them. */
struct page {
	uint64_t index;       /* page index in its file; for anonymous pages va >> page_shift */
	uint32_t refcount;    /* references: mappings, the page cache, the kernel */
	uint32_t mapcount;    /* page-table entries mapping it */
	uint32_t next, prev;  /* buddy free-list links (frame numbers; UINT32_MAX = none) */
	union {
		uint32_t swap_slot;  /* anonymous: in the swap cache under this slot (0: not) */
		uint32_t mapping;    /* USE_PAGECACHE: the file's inode (page_inode) */
	};
	uint8_t use;          /* enum frame_use */
	uint8_t order;        /* buddy order of the block this frame heads */
	uint8_t flags;        /* PG_* */
	uint8_t lru;          /* LRU_* list it is on */
};   /* 32 bytes, one per frame in use: 4 GiB of 4 KiB frames cost 32 MiB */
#define LRU_NONE 0
#define LRU_INACTIVE 1
#define LRU_ACTIVE 2

/* A host file as the kernel knows it: one per (device, inode) however often
 * it is opened, so every mapping of a file shares one page cache. */
struct inode {
	uint64_t dev, ino;
	int host_fd;
	bool host_writable;
	uint64_t size;
	char name[256];         /* the guest path it was first opened by */
	uint32_t refcount;      /* open files and VMAs */
	uint32_t id;            /* its place in the kernel's inode table, from 1 (struct page's mapping) */
	/* The page cache: an open-addressing hash of page index -> frame. */
	uint64_t *pc_index;
	uint32_t *pc_pfn;
	uint64_t pc_cap, pc_count;
	struct inode *next;
};

/* An open file description (what a descriptor refers to). */
struct pipe;
struct open_file {
	struct inode *inode;    /* a file with pages, or NULL for a host stream or a pipe */
	struct pipe *pipe;      /* one end of a pipe (pipe.c) */
	bool dir;               /* a directory: dir_fd is its host descriptor (getdents64, *at) */
	int dir_fd;
	bool own_host_fd;       /* host_fd was opened for it (not mmusim's own stdin ...) */
	int host_fd;            /* a host stream (the terminal, a pipe): I/O passes through */
	uint32_t flags;         /* OPEN_* */
	uint32_t refcount;      /* descriptors referring to it */
	uint64_t pos;           /* the file position (read, write, lseek) */
};

#define BUDDY_MAX_ORDER 19
struct frames {
	struct page *page;
	uint64_t n;                              /* frames in physical memory */
	uint32_t free_head[BUDDY_MAX_ORDER + 1]; /* per order, UINT32_MAX when empty */
	uint64_t nfree;
	uint64_t by_use[USE_COUNT];
};

struct mm {
	int pid;                /* of the process it belongs to, for events */
	uint64_t root;          /* page-table root (CR3 / TTBR0_EL1) */
	uint16_t asid;
	struct vma *vma;        /* sorted by start, non-overlapping */
	size_t nvma, cap;
	uint64_t start_brk, brk;
	uint64_t mmap_base;     /* top-down allocations start below this */
	uint64_t stack_top;
	uint64_t rss_anon, rss_file, pt_pages, swap_entries;
};

/* A signal as it waits to be delivered: what its siginfo says. */
struct ksiginfo {
	int signo, code;
	int pid;                /* the sender (kill), the child (SIGCHLD) */
	int status;             /* SIGCHLD: the exit code or the signal */
	uint64_t addr;          /* faults: si_addr */
	uint64_t syndrome;      /* faults: the x86-64 error code, the arm64 ESR */
};
/* struct sigaction as the kernel keeps it (the ABI's layout on both
 * architectures: arm64 defines SA_RESTORER too). */
struct k_sigaction {
	uint64_t handler, flags, restorer, mask;
};
#define NSIG_GUEST 64
#define SIGQUEUE_MAX 128
/* A process's signals (kernel/signal.c's sighand, blocked, pending,
 * sas_ss_*): actions and the blocked mask are inherited by fork (and the
 * mask by exec), pending signals are not. Bit n-1 of a mask is signal n. */
struct signals {
	struct k_sigaction action[NSIG_GUEST];
	uint64_t blocked;
	uint64_t saved_mask;    /* rt_sigsuspend's: the mask to put back */
	bool restore_mask;      /* ... once a handler's frame holds it, or the call returns */
	uint64_t pending;
	struct ksiginfo queue[SIGQUEUE_MAX];   /* in the order sent */
	int nqueue;
	uint64_t ss_sp, ss_size;   /* sigaltstack (ss_size 0: none) */
	bool ss_autodisarm;
	uint64_t sigpage;       /* arm64: the page holding the return trampoline (0: none yet) */
};

/* Resource limits (getrlimit/setrlimit/prlimit64), per process, inherited
 * by fork and kept across exec: Linux's numbering. */
#define RLIMITS 16
#define RLIM_STACK 3
#define RLIM_NPROC 6
#define RLIM_NOFILE 7
#define RLIM_NOFILE_MAX (1u << 20)   /* fs.nr_open: no hard RLIMIT_NOFILE above it */

/* A system call that would sleep: made again on the process's turn (sched.c). */
struct blocked_call {
	bool active;
	uint64_t nr, args[6];
};

struct proc {
	struct kernel *k;
	int pid, ppid;
	bool alive;
	int status;             /* exit code or 128 + signal */
	int termsig;            /* the signal that ended it, 0 for an exit */
	bool reaped;            /* its parent collected the status (wait4) */
	unsigned umask;
	uint64_t rlim[RLIMITS][2]; /* soft, hard; UINT64_MAX: unlimited */
	struct mm mm;
	uint64_t minflt, majflt;
	struct open_file **fd;  /* the descriptor table */
	int nfd;
	char *exe;              /* host path of the program it runs */
	int pgid;               /* process group (kill(0, ...), kill(-pgid, ...)) */
	struct signals sig;
	bool timed_wait;        /* blocked in a call with a timeout (poll) ... */
	uint64_t wait_deadline; /* ... that ends at this simulated time (ns) */
	struct blocked_call blocked;
};

/* What differs between the kernels the handler can follow. */
struct personality_desc {
	const char *name;
	bool zero_page;         /* a read of fresh anonymous memory maps the shared zero page */
	bool stack_grows;       /* grows-down VMAs expand on a fault below them */
	bool prot_fault_sigbus; /* a permission violation is SIGBUS (XNU), not SIGSEGV */
	unsigned arm64_page_shift; /* the page size it uses on arm64 (0: any) */
	bool arm64_only;
	bool fork_mkold;        /* fork clears A/AF in the child's entries (Linux pte_mkold) */
	bool uses_dbm;          /* writable pages carry AArch64 DBM (Linux PTE_WRITE) */
	bool fault_around;      /* read faults map cached neighbours (do_fault_around) */
	bool thp;               /* transparent huge pages, as the preset's policy says */
};
const struct personality_desc *personality_desc(enum personality p);
/* Fill rec->chain with the personality's functions for the steps taken. */
void personality_chain(const struct kernel *k, struct fault_record *rec);

/* The round robin (sched.c): one queue, as there is one simulated CPU. */
struct runqueue {
	bool started;           /* a process has been picked */
	size_t last;            /* the k->procs slot picked last */
	size_t asleep;          /* turns in a row a blocked process slept on */
};

#define MAX_SUBSCRIBERS 8
struct kernel {
	struct os_config cfg;
	const struct personality_desc *pers;
	struct physmem *pm;
	struct mmu *mmu;
	const struct pt_format *fmt;
	uint64_t page;          /* base page size */
	uint64_t user_top;      /* first address above user space */
	struct frames frames;
	uint64_t zero_pfn;
	struct proc **procs;    /* indexed by slot; pids are looked up linearly */
	size_t nprocs, cap;
	struct proc *current;
	struct runqueue rq;
	uint16_t next_asid;
	os_event_fn sub[MAX_SUBSCRIBERS];
	void *sub_ctx[MAX_SUBSCRIBERS];
	int nsub;
	uint64_t event_seq, fault_seq;
	int last_pid;           /* the highest pid given out */
	struct fault_record *rec;   /* the fault being handled, if any */
	struct os_stats st;
	/* LRU lists (index 0 inactive, 1 active), by frame number. */
	uint32_t lru_head[2], lru_tail[2];
	uint64_t lru_count[2];
	uint64_t memlimit_frames;   /* 0: all of physical memory */
	/* Swap: slots of one page; slot 0 is the device's header. */
	int swap_fd;
	uint64_t swap_slots, swap_free, swap_next;
	uint16_t *swap_map;         /* entries naming each slot */
	uint32_t *swap_cache;       /* slot -> frame while in the swap cache */
	uint64_t sleep_cycles;      /* simulated time slept (nanosleep) */
	uint64_t syscall_sp;        /* the stack pointer the current system call was made with */
	uint64_t rng;               /* getrandom's deterministic generator */
	uint64_t enosys_reported[8];
	os_unmap_fn unmap_hook;
	void *unmap_ctx;
	os_pc_fn pc_hook;
	void *pc_ctx;
	os_syscall_fn syscall_hook;
	void *syscall_ctx;
	os_op_fn op_hook;           /* the operation hook (ops.c), for recording */
	void *op_ctx;
	bool in_uaccess;            /* os_access is copy_to_user's (and its kind's) */
	struct sandbox *sb;         /* the file namespace (created on first use) */
	char *root;                 /* its root directory */
	struct inode *inodes;
	struct inode **inode_table; /* by id - 1 */
	uint32_t ninodes, inode_cap;
};

/* kernel.c */
void emit(struct kernel *k, struct os_event *ev);
static inline bool observed(const struct kernel *k) { return k->nsub > 0; }

/* ops.c: the operation hook. op->pid is filled in from p (0 for none). */
static inline bool op_hooked(const struct kernel *k) { return k->op_hook != NULL; }
void op_emit(struct kernel *k, const struct proc *p, struct os_op *op);
/* A file operation (OP_PREAD, OP_PWRITE, OP_TRUNCATE, OP_FSYNC) on inode i
 * by p, told before it is made. */
void op_file(struct kernel *k, const struct proc *p, enum os_op_kind kind, const struct inode *i,
	     uint32_t open_flags, uint64_t offset, uint64_t len);
/* Note a step of the fault being handled (if one is). */
static inline void record_step(struct kernel *k, enum fault_step s)
{
	if (k->rec && k->rec->nsteps < FAULT_MAX_STEPS)
		k->rec->steps[k->rec->nsteps++] = (uint8_t)s;
}

/* frames.c */
bool frames_init(struct kernel *k);
void frames_free_all(struct kernel *k);
uint64_t frame_alloc(struct kernel *k, unsigned order, enum frame_use use);
void frame_get(struct kernel *k, uint64_t pfn);
void frame_put(struct kernel *k, uint64_t pfn);   /* frees at refcount 0 */
static inline struct page *pfn_page(struct kernel *k, uint64_t pfn) { return &k->frames.page[pfn]; }
/* The file a page-cache page belongs to. */
static inline struct inode *page_inode(const struct kernel *k, const struct page *pg)
{
	return pg->use == USE_PAGECACHE && pg->mapping ? k->inode_table[pg->mapping - 1] : NULL;
}
static inline uint64_t pfn_pa(const struct kernel *k, uint64_t pfn) { return pfn << k->fmt->page_shift; }
static inline uint64_t pa_pfn(const struct kernel *k, uint64_t pa) { return pa >> k->fmt->page_shift; }

/* vma.c */
struct vma *vma_find(struct mm *mm, uint64_t addr);     /* first VMA with end > addr */
struct vma *vma_prev(struct mm *mm, const struct vma *v);
bool vma_insert(struct mm *mm, struct vma v);           /* merges with equal neighbours */
bool vma_split(struct mm *mm, uint64_t addr);           /* so that no VMA straddles addr */
void vma_remove_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end);  /* drops file references */
void vma_merge_around(struct mm *mm, uint64_t addr);
uint64_t vma_gap_topdown(struct mm *mm, uint64_t len, uint64_t below, uint64_t floor);

/* pgtable.c */
uint64_t table_alloc(struct kernel *k, struct mm *mm, int level);   /* pa or PT_NO_MEMORY */
/* The leaf entry's address for va, allocating missing tables (counted in
 * the current fault record) when `alloc`; PT_NO_MEMORY if missing. */
uint64_t pte_lookup(struct kernel *k, struct mm *mm, uint64_t va, bool alloc);
/* The entry for va at `level` (building tables when `alloc`), and the leaf
 * entry mapping va whatever its level (*level: 3, or a block's level). */
uint64_t entry_lookup(struct kernel *k, struct mm *mm, uint64_t va, int level, bool alloc);
uint64_t leaf_lookup(struct kernel *k, struct mm *mm, uint64_t va, int *level);
unsigned block_order(const struct kernel *k, int level);   /* base pages in a block at level */
bool split_huge_page(struct kernel *k, uint64_t head);
/* Write an entry; a removal or downgrade of a present entry invalidates the
 * TLB for (va, asid) unless the caller batches (`flush` false). */
void pte_write(struct kernel *k, struct mm *mm, uint64_t va, int level, uint64_t entry_pa, uint64_t val,
	       bool flush);
/* The leaf a kernel would write for a page of `vma`. */
struct pte leaf_for_vma(const struct kernel *k, const struct vma *v, uint64_t pa, bool writable, bool dirty);
/* Calls fn for every leaf entry present in [start, end). */
typedef void (*leaf_fn)(struct kernel *k, struct mm *mm, uint64_t va, int level, uint64_t entry_pa,
			uint64_t raw, void *ctx);
void pt_for_each_leaf(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, leaf_fn fn, void *ctx);
/* Unmap [start, end): drop the pages, free tables no VMA needs any more. */
void zap_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end);
void free_all_tables(struct kernel *k, struct mm *mm);

/* filemap.c: files, the page cache, writeback, reverse mapping */
void inode_get(struct inode *i);
void inode_put(struct kernel *k, struct inode *i);
uint64_t inode_pages(const struct kernel *k, const struct inode *i);   /* pages that hold file data */
/* The page-cache frame for (inode, index), read from the host file on a
 * miss (*major set); NO_PFN when no frame can be had. The caller gets a
 * reference. */
uint64_t pagecache_get(struct kernel *k, struct inode *i, uint64_t index, bool *major);
uint64_t pagecache_lookup(const struct inode *i, uint64_t index);
void writeback_range(struct kernel *k, struct inode *i, uint64_t first, uint64_t last);
void release_file_pages(struct kernel *k);   /* kernel teardown: write back, drop caches */
struct open_file *fd_get(struct proc *p, int fd);
int fd_install(struct proc *p, struct open_file *of, int lowest);   /* the lowest free slot >= lowest */
void open_file_put(struct kernel *k, struct open_file *of);
int sandbox_open_exec(struct kernel *k, const char *path);   /* a host fd or -errno */
struct sandbox *sandbox_of(struct kernel *k, int *err);       /* opened on first use */
struct stat;
struct inode *inode_lookup(const struct kernel *k, const struct stat *st);   /* the kernel's, if it has it */
/* open in the sandbox relative to a host directory (SANDBOX_CWD: the current one). */
int os_openat(struct proc *p, int dirfd, const char *path, uint32_t flags, unsigned mode);
int os_truncate(struct kernel *k, struct inode *i, uint64_t len);
/* pipe.c */
int os_pipe(struct proc *p, int fds[2]);
#define ERESTARTSYS 512   /* the call would sleep (block, retry later); interrupted by a
			   * handler, it restarts under SA_RESTART, else fails with EINTR */
void pipe_release(struct open_file *of);
/* poll's bits (the ABI's, the same on both architectures). */
#define POLL_READABLE 0x041u   /* POLLIN | POLLRDNORM */
#define POLL_WRITABLE 0x104u   /* POLLOUT | POLLWRNORM */
#define POLL_ERROR    0x008u
#define POLL_HANGUP   0x010u
#define POLL_INVALID  0x020u
unsigned pipe_poll(const struct open_file *of);
int64_t pipe_io(struct open_file *of, void *buf, uint64_t len, bool write);
void fd_table_copy(struct proc *child, const struct proc *parent);
void fd_table_close(struct proc *p);
/* Calls fn for every page-table entry that maps frame pfn. */
typedef void (*rmap_fn)(struct kernel *k, struct proc *p, uint64_t va, int level, uint64_t entry, uint64_t raw,
			void *ctx);
void rmap_walk(struct kernel *k, uint64_t pfn, rmap_fn fn, void *ctx);
bool vma_is_file(const struct vma *v);

/* reclaim.c */
void lru_init(struct kernel *k);
void lru_add(struct kernel *k, uint64_t pfn);
void lru_del(struct kernel *k, uint64_t pfn);
bool swap_init(struct kernel *k, char *err, size_t errlen);
void swap_free_all(struct kernel *k);
void swap_slot_put(struct kernel *k, uint64_t slot);
uint64_t reclaim(struct kernel *k, uint64_t want);
bool over_limit(const struct kernel *k);
int64_t reclaim_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, bool pageout);
void do_swap_page(struct kernel *k, struct mm *mm, const struct vma *v, uint64_t va, uint64_t entry, uint64_t raw,
		  struct fault_record *r);
void pagecache_remove(struct kernel *k, struct inode *i, uint64_t index);

/* A PROT_NONE entry still holds its frame: seen as the present entry it
 * restores to. Every other entry as it is. */
static inline uint64_t pte_present_view(const struct pt_format *f, uint64_t raw)
{
	return raw && pte_is_protnone(f, raw) ? pte_from_protnone(f, raw) : raw;
}

/* signal.c */
#define ERESTARTNOINTR 513         /* restart whatever the handler says */
#define ERESTARTNOHAND 514         /* restart unless a handler ran (sigsuspend, pause, poll) */
/* Queue a signal for p (the ignored ones are dropped, as Linux's sig_ignored). */
void signal_send(struct proc *p, const struct ksiginfo *info);
/* p ended: its parent learns it (SIGCHLD), unless nobody is to wait for it. */
void signal_child_exit(struct proc *p);
void signal_fork(struct proc *child, const struct proc *parent);
void signal_exec(struct proc *p);
/* Whether a fault's signal goes to a handler the current process has. */
bool signal_catches(const struct proc *p, int signo);
/* The signal system calls: false when s is not one of them. */
enum sys;
struct sys_result;
bool signal_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r);

/* sigframe.c: the architecture's rt_sigframe. */
/* Builds p's frame for `info` on its stack (or alternate stack) and points
 * regs at the handler: 0, or -EFAULT when the frame cannot be written. */
int setup_rt_frame(struct proc *p, const struct ksiginfo *info, const struct k_sigaction *ka, uint64_t saved_mask,
		   struct user_regs *regs);
/* Restores regs and the blocked mask from the frame at the stack pointer:
 * 0, or -EFAULT for a frame that cannot be read or is not valid. */
int restore_rt_frame(struct proc *p, struct user_regs *regs);
bool on_sig_stack(const struct proc *p, uint64_t sp);
/* struct siginfo as the ABI lays it out (128 bytes, the same on both). */
void siginfo_bytes(const struct ksiginfo *info, uint8_t out[128]);

/* sched.c: os_syscall tells it whether p now sleeps in call nr(a). */
void sched_note_syscall(struct proc *p, uint64_t nr, const uint64_t a[6], const struct sys_result *r);

/* mm.c */
bool mm_init(struct kernel *k, struct mm *mm, int pid);
/* syscall.c: a new process's resource limits. */
void rlimits_default(const struct kernel *k, uint64_t rlim[RLIMITS][2]);
static inline uint64_t proc_stack_limit(const struct proc *p) { return p->rlim[RLIM_STACK][0]; }
struct proc *proc_create(struct kernel *k, int pid);

#endif
