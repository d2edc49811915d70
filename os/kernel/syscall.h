/* os/ internal: what the system-call files share (syscall.c dispatches and
 * has the process, memory and time calls; fs.c the file calls). */
#ifndef MMUSIM_OS_SYSCALL_H
#define MMUSIM_OS_SYSCALL_H

#include "os/kernel/kernel.h"

enum sys {
	S_NONE, S_READ, S_WRITE, S_READV, S_WRITEV, S_PREAD64, S_PWRITE64, S_OPENAT, S_OPEN, S_CLOSE, S_LSEEK,
	S_FSTAT, S_NEWFSTATAT, S_STAT, S_LSTAT, S_IOCTL, S_BRK, S_MMAP, S_MUNMAP, S_MPROTECT, S_MADVISE, S_MSYNC,
	S_EXIT, S_EXIT_GROUP, S_SET_TID_ADDRESS, S_SET_ROBUST_LIST, S_RSEQ, S_PRLIMIT64, S_READLINK, S_READLINKAT,
	S_GETRANDOM, S_UNAME, S_GETPID, S_GETPPID, S_GETTID, S_GETUID, S_GETEUID, S_GETGID, S_GETEGID,
	S_CLOCK_GETTIME, S_GETTIMEOFDAY, S_TIME, S_NANOSLEEP, S_RT_SIGACTION, S_RT_SIGPROCMASK, S_SIGALTSTACK,
	S_FUTEX, S_SCHED_YIELD, S_GETRUSAGE, S_ARCH_PRCTL, S_GETCWD, S_CHDIR, S_FCNTL, S_DUP, S_DUP2, S_DUP3,
	S_FSYNC, S_FADVISE64, S_ACCESS, S_FACCESSAT, S_TGKILL, S_KILL, S_CLONE, S_CLONE3, S_FORK, S_VFORK,
	S_EXECVE, S_WAIT4, S_PIPE, S_PIPE2, S_GETDENTS64, S_UNLINK, S_UNLINKAT, S_RMDIR, S_MKDIR, S_MKDIRAT,
	S_RENAME, S_RENAMEAT, S_RENAMEAT2, S_STATX, S_FCHDIR, S_FACCESSAT2, S_UMASK, S_SETPGID, S_GETPGID,
	S_GETPGRP, S_SETSID, S_GETSID, S_TIMES, S_GETRLIMIT, S_SETRLIMIT, S_FTRUNCATE, S_SYMLINK, S_SYMLINKAT,
	S_LINK, S_LINKAT, S_CHMOD, S_FCHMOD, S_FCHMODAT, S_CHOWN, S_LCHOWN, S_FCHOWN, S_FCHOWNAT, S_UTIMENSAT,
	S_GETGROUPS, S_CLOCK_NANOSLEEP, S_PRCTL, S_SYSINFO, S_RT_SIGPENDING, S_RT_SIGSUSPEND, S_PAUSE,
	S_RT_SIGTIMEDWAIT, S_RT_SIGRETURN, S_TKILL, S_POLL, S_PPOLL, S_FLOCK,
	S_FDATASYNC, S_SYNC, S_SYNCFS, S_SYNC_FILE_RANGE, S_CLOSE_RANGE, S_SCHED_GETAFFINITY, S_SCHED_SETAFFINITY,
	S_SETXATTR, S_LSETXATTR, S_FSETXATTR, S_GETXATTR, S_LGETXATTR, S_FGETXATTR, S_LISTXATTR, S_LLISTXATTR, S_FLISTXATTR, S_REMOVEXATTR, S_LREMOVEXATTR, S_FREMOVEXATTR, S_MREMAP,
	S_STATFS, S_FSTATFS,
	S_MLOCK, S_MLOCK2, S_MUNLOCK, S_MLOCKALL, S_MUNLOCKALL, S_MINCORE, S_GET_ROBUST_LIST,
	S_EPOLL_CREATE, S_EPOLL_CREATE1, S_EPOLL_CTL, S_EPOLL_WAIT, S_EPOLL_PWAIT, S_EPOLL_PWAIT2, S_CREAT,
	S_GETSOCKNAME, S_GETPEERNAME, S_GETSOCKOPT, S_SETSOCKOPT, S_SHUTDOWN,
	S_WAITID, S_SENDFILE, S_COPY_FILE_RANGE, S_COUNT
};

#define AT_FDCWD_GUEST (-100)
#define PATH_MAX_GUEST 4096
#define EPOCH_SECONDS 1767225600ull   /* simulated time starts at 2026-01-01 00:00:00 UTC */

/* Simulated time since boot: the cycles run (and slept), at 3 GHz. */
uint64_t now_ns(const struct kernel *k);
/* n bytes of the kernel's random generator (getrandom, /dev/urandom): the
 * same every run. */
void random_bytes(struct kernel *k, uint8_t *b, uint64_t n);
/* copy_to_user as a system call returns it: 0 or -EFAULT. */
int64_t put_user(struct kernel *k, uint64_t va, const void *src, uint64_t len);
/* A path argument (PATH_MAX_GUEST bytes of room): 0, -EFAULT, -ENAMETOOLONG. */
int64_t get_path(struct kernel *k, uint64_t va, char *buf);
/* The host descriptor behind an open file (not a pipe's or /proc's). */
int backing_fd(const struct open_file *of);
/* "not implemented", once per call number, on stderr. */
void report_enosys(struct kernel *k, uint64_t nr, enum sys s);

/* The calls of extra.c (writeback, close_range, affinity, xattrs): false
 * when s is not one of them. */
bool extra_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r);
/* mlock.c: the mlock calls (false when s is not one of them); can_do_mlock
 * (MAP_LOCKED's EPERM); whether [addr, addr+len) has a locked VMA
 * (MADV_DONTNEED's EINVAL); a new mapping or heap [start, end) faulted in
 * when it is locked (mlockall(MCL_FUTURE), MAP_LOCKED) or MAP_POPULATE asks. */
bool mlock_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r);
bool mlock_allowed(const struct proc *p);
bool mlock_range_locked(struct proc *p, uint64_t addr, uint64_t len);
void mlock_populate_new(struct proc *p, uint64_t start, uint64_t end, bool populate_asked);
/* mprotect making locked read-only private memory writable faults it in:
 * _before notes where (NULL: nowhere), _after does it if mprotect gave 0. */
void *mlock_mprotect_before(struct proc *p, uint64_t addr, uint64_t len, uint32_t prot);
void mlock_mprotect_after(struct proc *p, void *ctx, int64_t rc);
/* script.c: a "#!" file named `path` open on *fd becomes its interpreter
 * (*fd replaced, argv rewritten); 0 when not a script, or -errno. */
int exec_script(struct kernel *k, const char *path, int *fd, char ***argv, int *argc);
/* A command of `call` ("fcntl", "ioctl", "prctl") the model does not have:
 * a one-line note, once per command, and err returned. */
int64_t report_command(struct kernel *k, const char *call, uint64_t cmd, int64_t err);

/* poll and ppoll (poll.c): false when s is not one of them. */
bool poll_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r);
/* ppoll's signal mask argument put in force for the wait: 0 or -errno. */
int poll_set_sigmask(struct proc *p, uint64_t mask_va, uint64_t size);
/* epoll.c: the epoll calls (false when s is not one of them). */
bool epoll_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r);
/* nanosleep, clock_nanosleep (sleep.c): false when s is not one of them. */
bool sleep_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r);
/* thread.c: gettid, set_tid_address, futex, sched_yield, a thread's exit. */
bool thread_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r);
/* futex.c: the call, and the wake of a dead thread's CLONE_CHILD_CLEARTID
 * word (a shared futex, as mm_release wakes it). */
struct sys_result sys_futex(struct proc *p, const uint64_t a[6]);
void futex_wake_tid(struct proc *p, uint64_t uaddr);
/* Robust lists: set_robust_list, get_robust_list; at a thread's death,
 * and at its group's exit or exec (p running), each lock on its list it
 * holds gets FUTEX_OWNER_DIED and a waiter is woken (exit_robust_list). */
int64_t futex_set_robust_list(struct proc *p, uint64_t head, uint64_t len);
int64_t futex_get_robust_list(struct proc *p, int tid, uint64_t head_ptr, uint64_t len_ptr);
void futex_exit_thread(struct proc *p);
void futex_exit_group(struct proc *p);
/* clone with CLONE_THREAD: a thread of p (flags checked by the caller). */
struct sys_result thread_clone(struct proc *p, uint64_t flags, uint64_t sp, uint64_t ptid, uint64_t tls,
			       uint64_t ctid);
/* The file system calls (fs.c): false when s is not one of them. */
bool fs_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r);
/* A read or write's result in r: "would sleep" blocks, a broken pipe is
 * EPIPE and SIGPIPE for the writer, as pipe_write sends it (fs.c). */
void rw_result(struct proc *p, struct sys_result *r, int64_t ret);
/* wait4 and waitid (wait.c): false when s is not one of them. */
bool wait_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r);
/* sendfile and copy_file_range (copy.c): false when s is not one of them. */
bool copy_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r);
/* ioctl FICLONE (copy.c): do_clone_file_range's checks in their order,
 * then EOPNOTSUPP. */
int64_t file_clone(struct proc *p, int dst_fd, int src_fd);

#endif
