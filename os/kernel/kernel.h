/* os/kernel: the kernel services — processes and their lifecycle, system
 * calls, files and the descriptor table, the file namespace and sandbox,
 * pipes, poll, signals and signal frames, the ELF loader, rlimits. Built on
 * the memory manager (os/mm), which it calls down into. Private to os/. */
#ifndef MMUSIM_OS_KERNEL_H
#define MMUSIM_OS_KERNEL_H

#include "os/mm/mm.h"

/* An open file description (what a descriptor refers to). */
struct pipe;
struct epoll;
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
	struct procfs_file *proc;   /* a /proc file (procfs.c) */
	struct epoll *epoll;    /* an epoll instance (epoll.c) */
	bool random;            /* /dev/random, /dev/urandom: reads come from getrandom's generator */
	uint32_t epoll_watched; /* items of epolls watching it */
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
/* A set of pending signals with each one's siginfo (Linux's struct
 * sigpending): a thread's own, or its process's shared one. */
struct sigpending {
	uint64_t set;
	struct ksiginfo queue[SIGQUEUE_MAX];   /* in the order sent */
	int n;
};
/* A process's signals (kernel/signal.c's sighand, signal_struct's
 * shared_pending and curr_target, and the running thread's blocked mask
 * and sas_ss_*): actions and the blocked mask are inherited by fork (and
 * the mask by exec), pending signals are not. The fields marked "thread"
 * are the running thread's (thread.c swaps them). Bit n-1 of a mask is
 * signal n. */
struct thread;
struct signals {
	struct k_sigaction action[NSIG_GUEST];
	uint64_t blocked;       /* thread */
	uint64_t saved_mask;    /* thread: rt_sigsuspend's, the mask to put back */
	bool restore_mask;      /* thread: ... once a handler's frame holds it, or the call returns */
	uint64_t real_blocked;  /* thread: rt_sigtimedwait's mask while it waits with the set unblocked */
	bool in_sigwait;        /* thread: ... which it is doing */
	struct sigpending shared;   /* kill, SIGCHLD: for any thread not blocking them */
	struct thread *curr_target; /* where complete_signal's search starts */
	uint64_t ss_sp, ss_size;   /* thread: sigaltstack (ss_size 0: none) */
	bool ss_autodisarm;        /* thread */
	uint64_t sigpage;       /* arm64: the page holding the return trampoline (0: none yet) */
};

/* Resource limits (getrlimit/setrlimit/prlimit64), per process, inherited
 * by fork and kept across exec: Linux's numbering. */
#define RLIMITS 16
#define RLIM_FSIZE 1
#define RLIM_STACK 3
#define RLIM_NPROC 6
#define RLIM_NOFILE 7
#define RLIM_NOFILE_MAX (1u << 20)   /* fs.nr_open: no hard RLIMIT_NOFILE above it */

/* A system call that would sleep: made again on the process's turn (sched.c). */
struct blocked_call {
	bool active;
	uint64_t nr, args[6];
};

/* What getrusage, times and /proc/PID/stat count of a process (or, summed
 * at reap, of its children). Times in cycles of the cost model. */
struct usage {
	uint64_t minflt, majflt;
	uint64_t utime, stime;      /* cycles: user, and system (calls, faults) */
	uint64_t nvcsw, nivcsw;     /* switches away: it blocked / it was preempted */
	uint64_t maxrss;            /* pages: the peak resident set */
};

/* The per-thread state struct proc holds for the thread of it that runs
 * (or ran last); a thread keeps its own here while a sibling runs
 * (thread.c swaps them, as cpu/ swaps registers). */
struct thread_state {
	uint64_t sig_blocked, sig_saved_mask, sig_real_blocked;
	bool restore_mask, in_sigwait;
	uint64_t ss_sp, ss_size;
	bool ss_autodisarm;
	bool timed_wait;
	uint64_t wait_deadline;
	struct blocked_call blocked;
};

/* A thread of a process (thread.c): tid, its CLONE_CHILD_CLEARTID word,
 * the futex it waits on, keyed as futex.c keys them. */
struct futex_key {
	uint8_t kind;           /* private, (mm, va), (inode, offset) or (frame, offset) */
	uint64_t obj, word;
};
struct thread {
	struct proc *p;
	int tid;
	bool alive;
	uint64_t clear_child_tid;
	bool futex_wait;        /* waiting: the woken flag ends the wait */
	bool futex_woken;
	struct futex_key futex_key;
	uint64_t robust_list;   /* set_robust_list's head, walked at its death */
	uint32_t futex_bitset;
	struct thread_state saved;   /* while it is not p->thread */
	struct usage used;           /* its share of the process's (rusage.c), to its last switch away */
	struct usage mark;           /* the process's when it became p->thread */
	uint8_t cpu;            /* several CPUs: the one it last ran on (placed) */
	bool placed;
	struct sigpending pending;   /* signals sent to it alone (tgkill, faults, SIGPIPE) */
	bool sigwake;           /* complete_signal chose it for a shared signal (TIF_SIGPENDING) */
	char comm[16];          /* its name (task->comm): prctl(PR_SET_NAME), task/TID/comm */
};
/* smp_sched.c: several CPUs: the CPU thread t runs on for its turn. */
void sched_place(struct kernel *k, struct thread *t);

struct proc {
	struct kernel *k;
	struct thread *thread;  /* the thread whose state the fields below hold */
	int pid, ppid;
	bool alive;
	int status;             /* exit code or 128 + signal */
	int termsig;            /* the signal that ended it, 0 for an exit */
	bool reaped;            /* its parent collected the status (wait4) */
	unsigned umask;
	uint64_t rlim[RLIMITS][2]; /* soft, hard; UINT64_MAX: unlimited */
	struct mm mm;
	struct fault_counts flt;   /* its faults (getrusage) */
	uint64_t start_ns;         /* simulated time it was made (/proc/PID/stat's starttime) */
	uint64_t run_cycles;       /* on the CPU (rusage.c) */
	uint64_t sys_cycles;       /* in system calls, their faults apart */
	uint64_t nvcsw, nivcsw;
	bool voluntary;            /* its last call would sleep: the next switch is voluntary */
	uint64_t maxrss;           /* pages: the peak of address spaces it left (exec, exit) */
	struct usage children;     /* its reaped children's, theirs included */
	struct open_file **fd;  /* the descriptor table */
	bool *cloexec;          /* per descriptor: FD_CLOEXEC (exec closes it) */
	int nfd;
	char *exe;              /* host path of the program it runs (exe.c) */
	int exe_fd;             /* ... and a host descriptor of it, held since exec (-1: none) */
	int cwd;                /* its working directory's host descriptor (-1: the sandbox's; cwd.c) */
	char proc_cwd[64];      /* ... or a directory in /proc ("": none) */
	int pgid;               /* process group (kill(0, ...), kill(-pgid, ...)) */
	struct signals sig;
	bool timed_wait;        /* blocked in a call with a timeout (poll) ... */
	uint64_t wait_deadline; /* ... that ends at this simulated time (ns) */
	struct blocked_call blocked;
};

/* The round robin (sched.c): one queue, as there is one simulated CPU. */
struct runqueue {
	bool started;           /* a process has been picked */
	size_t last;            /* the threads slot picked last */
	size_t asleep;          /* turns in a row a blocked process slept on */
};

/* The services' own state (k->svc). */
struct services {
	struct proc **procs;    /* indexed by slot; pids are looked up linearly */
	size_t nprocs, cap;
	struct thread **threads;   /* every thread, in the order they were created */
	size_t nthreads, tcap;
	struct proc *current;
	struct runqueue rq;
	int last_pid;           /* the highest pid given out */
	uint64_t sleep_cycles;      /* simulated time slept (nanosleep) */
	uint64_t switch_cycles;     /* the cycle count when current began to run */
	uint64_t syscall_sp;        /* the stack pointer the current system call was made with */
	uint64_t rng;               /* getrandom's deterministic generator */
	uint64_t enosys_reported[8];
	os_syscall_fn syscall_hook;
	void *syscall_ctx;
	bool in_uaccess;            /* os_access is copy_to_user's (and its kind's) */
	struct sandbox *sb;         /* the file namespace (created on first use) */
	char *root;                 /* its root directory */
	char *sysroot;              /* its read-only lower layer, or NULL */
	struct lock_table *locks;   /* file locks (flock.c; created on first use) */
	uint64_t *cmd_reported;     /* fcntl/ioctl/prctl commands noted as missing (extra.c) */
	size_t ncmd_reported;
	bool mremap_noted;          /* the note for an mremap the model cannot make */
	struct mode_table *modes;   /* modes the host files do not get (modes.c) */
	struct {                    /* what released processes counted in /proc/stat (release.c) */
		uint64_t user_ticks, sys_ticks, ctxt;
		size_t procs;
	} gone;
};

/* sched.c: os_syscall tells it whether p now sleeps in call nr(a). */
void sched_note_syscall(struct proc *p, uint64_t nr, const uint64_t a[6], const struct sys_result *r);

/* pid.c: the id the next process or thread gets (Linux's pid_max and
 * RESERVED_PIDS), or -EAGAIN when every one is in use; proc_new and
 * thread_clone record it in last_pid. */
#define PID_MAX 32768
#define PID_RESERVED 300
int pid_next(const struct kernel *k);
/* proc.c */
struct proc *proc_create(struct kernel *k, int pid);
/* procfs.c: a process about to be released leaves its counts in /proc/stat's totals. */
void procfs_keep_totals(struct kernel *k, const struct proc *p);
/* thread.c */
struct thread *thread_new(struct proc *p, int tid);
void thread_switch(struct proc *p, struct thread *t);
/* A thread's name, as set_task_comm sets it: the first 15 bytes of name. */
void thread_set_comm(struct thread *t, const char *name);
/* exec's name for it: the last component of the path it ran (kbasename). */
void thread_comm_from_path(struct thread *t, const char *path);
/* The thread a pid names (the leader, even one that ended while others
 * run), or the running thread once its leader is gone. */
struct thread *proc_leader(const struct proc *p);
/* p ended: every thread of it with it. */
void threads_end(struct proc *p);
/* execve: the caller stays, alone, with the process's pid as its tid. */
void threads_exec(struct proc *p);
/* A call that slept returned: a futex wait it made is over. */
void thread_wait_over(struct proc *p);
/* Simulated time at which the first timed wait ends (UINT64_MAX: none). */
uint64_t threads_first_deadline(const struct kernel *k);
size_t threads_alive(const struct kernel *k);
/* The process of live thread tid, or NULL. */
struct proc *thread_proc(const struct kernel *k, int tid);
/* syscall.c: a new process's resource limits. */
void rlimits_default(const struct kernel *k, uint64_t rlim[RLIMITS][2]);
static inline uint64_t proc_stack_limit(const struct proc *p) { return p->rlim[RLIM_STACK][0]; }
/* What the memory manager needs of p for an access on its behalf. */
static inline struct mm_task proc_task(struct proc *p)
{
	return (struct mm_task){.mm = &p->mm, .stack_limit = proc_stack_limit(p), .counts = &p->flt};
}

/* rusage.c: what a process used */
void usage_charge_cpu(struct kernel *k);              /* the current process's slice so far */
void usage_switch(struct kernel *k, struct proc *next); /* before current changes to next */
/* One thread's (RUSAGE_THREAD, task/TID/stat): what p used while t ran. */
void usage_thread(const struct proc *p, const struct thread *t, struct usage *u);
void usage_thread_leave(struct proc *p);   /* p->thread stops being p's running thread */
void usage_thread_enter(struct proc *p);   /* p->thread starts */
void usage_leave_mm(struct proc *p);                  /* exec or exit: keep its peak rss */
void usage_self(const struct proc *p, struct usage *u);
void usage_reap(struct proc *parent, const struct proc *child);
/* struct rusage of p: RUSAGE_SELF 0, RUSAGE_THREAD 1, RUSAGE_CHILDREN -1,
 * RUSAGE_BOTH -2 (wait4's); written at va: 0, -EINVAL, -EFAULT. */
int64_t put_rusage(struct proc *p, int who, uint64_t va);
int64_t sys_times(struct proc *p, uint64_t va);

/* files.c: descriptors and opening files */
struct open_file *fd_get(struct proc *p, int fd);
int fd_install(struct proc *p, struct open_file *of, int lowest);   /* the lowest free slot >= lowest */
/* A new open file of inode i on p's lowest free descriptor. */
int fd_install_inode(struct proc *p, struct inode *i, uint32_t flags);
void open_file_put(struct kernel *k, struct open_file *of);
void fd_table_copy(struct proc *child, const struct proc *parent);
void fd_table_close(struct proc *p);
/* FD_CLOEXEC of a descriptor (installed ones start clear, as dup's do). */
void fd_set_cloexec(struct proc *p, int fd, bool on);
bool fd_cloexec(const struct proc *p, int fd);
/* execve, past the point of no return: the marked descriptors close. */
void fd_close_on_exec(struct proc *p);
int sandbox_open_exec(struct kernel *k, const char *path);   /* a host fd or -errno */
struct sandbox *sandbox_of(struct kernel *k, int *err);       /* opened on first use */
void sandbox_measure(struct kernel *k, struct sandbox *sb);   /* diskuse.c: names against --disk-limit */
/* open in the sandbox relative to a host directory (SANDBOX_CWD: the current one). */
int os_openat(struct proc *p, int dirfd, const char *path, uint32_t flags, unsigned mode);
void files_release(struct kernel *k);   /* kernel teardown: the sandbox closed */

/* procfs.c: /proc and /sys/devices/system/cpu from the model. A path it
 * claims is never looked up in the sandbox. */
struct stat;
bool procfs_claims(const char *path);
/* Whether procfs answers for path relative to the guest's dirfd (AT_FDCWD,
 * or a /proc directory's descriptor): the absolute path in out. */
bool procfs_path(struct proc *p, int64_t dirfd, const char *path, char out[4096]);
int procfs_chdir(struct proc *p, const char *path);
int procfs_access(struct proc *p, const char *path, int mode);
int procfs_open(struct proc *p, const char *path, uint32_t flags);   /* a descriptor or -errno */
void procfs_release(struct procfs_file *pf);
int64_t procfs_read(struct proc *p, struct open_file *of, void *buf, uint64_t len, uint64_t off);
/* A write to a /proc file (comm, the one writable): its count or -errno. */
int64_t procfs_write(struct proc *p, struct open_file *of, const void *buf, uint64_t len);
int procfs_stat(struct proc *p, const char *path, struct stat *st, bool nofollow);
void procfs_fstat(const struct procfs_file *pf, struct stat *st);
int procfs_readlink(struct proc *p, const char *path, char *out, size_t cap);   /* length or -errno */
int64_t procfs_getdents(struct proc *p, struct open_file *of, uint8_t *buf, uint64_t count);
/* flock.c: file locks. fcntl's lock commands (false: cmd is not one). */
struct sys_result;
bool flock_fcntl(struct proc *p, uint64_t cmd, const uint64_t a[6], struct sys_result *r);
struct sys_result sys_flock(struct proc *p, int fd, uint64_t op);
void locks_remove_posix(struct proc *p, const struct open_file *of);   /* p closes a descriptor of of */
void locks_remove_file(struct kernel *k, const struct open_file *of);  /* of's last reference went */
void flock_wait_over(struct proc *p);   /* p no longer sleeps in F_SETLKW */
void locks_free(struct kernel *k);

/* modes.c: the mode bits a guest asked for and the host never gets. */
struct sandbox;
void mode_model_set(struct kernel *k, const struct stat *st, unsigned mode);
void mode_model_forget(struct kernel *k, const struct stat *st);
void mode_model_apply(const struct kernel *k, struct stat *st);
bool mode_model_wants(unsigned mode);   /* whether the host would not get all of mode */
void mode_model_free(struct kernel *k);
int mode_model_mkdir(struct kernel *k, struct sandbox *sb, int hd, const char *path, unsigned mode);
int mode_model_chmod(struct kernel *k, struct sandbox *sb, int hd, const char *path, unsigned mode);
int mode_model_fchmod(struct kernel *k, int host_fd, unsigned mode);
int mode_model_unlink(struct kernel *k, struct sandbox *sb, int hd, const char *path, int flags);

/* exe.c: the program a process runs, reopened only by its held descriptor. */
void proc_exe_set(struct proc *p, const char *name, int host_fd);   /* host_fd is dup'ed */
void proc_exe_copy(struct proc *child, const struct proc *parent);
void proc_exe_drop(struct proc *p);
void proc_exe_close(struct proc *p);   /* the descriptor only: a zombie keeps its name */
/* files.c: the /dev every Linux has, whatever the guest's root and sysroot
 * hold, named by absolute paths. /dev/null, /dev/zero and /dev/full
 * (devtmpfs): the host's own, which no guest can harm or learn from. */
bool dev_memory_device(const char *path);
/* /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr: links into /proc/self/fd
 * (bash's <(...) passes /dev/fd/N); the /proc path they lead to in out. */
bool dev_fd_link(const char *path, char out[4096]);
/* cwd.c: a process's working directory. */
int proc_cwd_fd(const struct proc *p);   /* the host dirfd AT_FDCWD means for it */
/* chdir's end: fd (owned) from sandbox_dir_at/_of becomes p's; 0, or fd
 * when it is an error. */
int proc_cwd_set(struct proc *p, int fd);
void proc_cwd_copy(struct proc *child, const struct proc *parent);
void proc_cwd_drop(struct proc *p);
int proc_getcwd(struct proc *p, char *buf, size_t len);   /* getcwd(2)'s length with the NUL, or -errno */
int proc_exe_path(const struct proc *p, char *buf, size_t len);   /* "/proc/self/fd/N", or -ENOENT */
int proc_exe_open(const struct proc *p);                          /* a new O_RDONLY host fd, or -errno */

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
/* poll.c: a wait of timeout_ns (UINT64_MAX: none) in simulated time, made
 * again each turn: the first arms its deadline; true once it has passed. */
bool wait_deadline_passed(struct proc *p, uint64_t timeout_ns);
int64_t pipe_io(struct open_file *of, void *buf, uint64_t len, bool write);
/* Wakeups of the pipe's readers and/or writers so far (epoll's EPOLLET). */
uint64_t pipe_wakeups(const struct open_file *of, bool readers, bool writers);
/* epoll.c: an epoll's readiness for poll; its last reference gone; a
 * file some epoll watches losing its last reference. */
unsigned epoll_poll(const struct open_file *of);
void epoll_release(struct open_file *of);
void epoll_file_gone(struct kernel *k, struct open_file *of);

/* signal.c */
#define ERESTARTNOINTR 513         /* restart whatever the handler says */
#define ERESTARTNOHAND 514         /* restart unless a handler ran (sigsuspend, pause, poll) */
/* Queue a signal for process p, in its shared set, and wake a thread that
 * does not block it (the ignored ones are dropped, as Linux's sig_ignored). */
void signal_send(struct proc *p, const struct ksiginfo *info);
/* What a child's end says to its parent (SIGCHLD's siginfo, waitid's). */
struct ksiginfo sigchld_info(const struct proc *c);
/* ... for thread t alone (tgkill, and what a thread's own act brings it:
 * SIGPIPE, SIGXFSZ, faults). */
void signal_send_thread(struct thread *t, const struct ksiginfo *info);
/* set_current_blocked: the running thread's mask becomes set (less
 * SIGKILL, SIGSTOP); shared signals it now blocks go to another thread. */
void signal_set_blocked(struct proc *p, uint64_t set);
/* The running thread of p ends while others live (exit_signals). */
void signal_thread_exit(struct proc *p);
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
/* AT_MINSIGSTKSZ: the stack a signal frame needs at most, as Linux says. */
uint64_t sigframe_min_stack(enum mmu_arch arch);

#endif
