/* wait4 and waitid, as Linux's kernel/exit.c has them: one search for a
 * child that is ready (do_wait over the children a wait names), then the
 * call's own way of saying what it found. A child here only ever exits or
 * is killed: the model has no job-control stops (signal.c), so nothing is
 * ever found for WSTOPPED or WCONTINUED, and no core is ever dumped, so
 * never CLD_DUMPED. Every child is a SIGCHLD child (the model keeps no
 * other exit signal): __WCLONE without __WALL names none. */
#include "os/kernel/syscall.h"

#define WNOHANG_     0x00000001u
#define WSTOPPED_    0x00000002u   /* wait4's WUNTRACED */
#define WEXITED_     0x00000004u
#define WCONTINUED_  0x00000008u
#define WNOWAIT_     0x01000000u
#define WNOTHREAD_   0x20000000u
#define WALL_        0x40000000u
#define WCLONE_      0x80000000u

enum wait_type { WAIT_ANY, WAIT_PID, WAIT_PGID };

/* What a wait asks for (struct wait_opts). */
struct wait_opts {
	enum wait_type type;
	int id;                 /* a pid or a process group */
	uint32_t flags;
};

/* eligible_pid and eligible_child: c is one of the children the wait names. */
static bool wait_names(const struct wait_opts *wo, const struct proc *c)
{
	if ((wo->flags & WCLONE_) && !(wo->flags & WALL_))
		return false;
	return wo->type == WAIT_ANY || (wo->type == WAIT_PID ? c->pid : c->pgid) == wo->id;
}

/* do_wait's search of p's children: 0 with *ready the first zombie the
 * wait takes (NULL: none yet, but a child may still be), or -ECHILD. A
 * zombie is WEXITED's alone: without it, a zombie is no child to wait for
 * (wait_task_zombie leaves notask_error as it was). */
static int wait_find(struct proc *p, const struct wait_opts *wo, struct proc **ready)
{
	struct kernel *k = p->k;
	bool any = false;
	*ready = NULL;
	for (size_t i = 0; i < k->svc->nprocs; i++) {
		struct proc *c = k->svc->procs[i];
		if (c->ppid != p->pid || c->reaped || !wait_names(wo, c))
			continue;
		if (c->alive) {
			any = true;
		} else if (wo->flags & WEXITED_) {
			*ready = c;
			return 0;
		}
	}
	return any ? 0 : -ECHILD;
}

/* release_task's part the parent sees: the status is collected once. */
static void wait_reap(struct proc *p, struct proc *c)
{
	c->reaped = true;
	usage_reap(p, c);
}

/* Nothing ready: the call sleeps, and is made again on its turn (sched.c). */
static struct sys_result wait_sleep(void)
{
	return (struct sys_result){.ret = -ERESTARTSYS, .action = SYSA_BLOCK};
}

static struct sys_result wait_ret(int64_t ret)
{
	return (struct sys_result){.ret = ret, .action = SYSA_NONE};
}

/* wait4(pid, status, options, rusage): pid > 0 that child, 0 the caller's
 * process group, -1 any child, below -1 the group -pid. The child is
 * reaped before its status and rusage are written, so a bad pointer is
 * EFAULT with the child gone, as in Linux's kernel_wait4. */
static struct sys_result sys_wait4(struct proc *p, int32_t pid, uint64_t status_va, uint32_t options, uint64_t ru_va)
{
	if (options & ~(WNOHANG_ | WSTOPPED_ | WCONTINUED_ | WNOTHREAD_ | WCLONE_ | WALL_))
		return wait_ret(-EINVAL);
	if (pid == INT32_MIN)
		return wait_ret(-ESRCH);   /* -INT_MIN is not a pid */
	struct wait_opts wo = {.flags = options | WEXITED_};
	wo.type = pid == -1 ? WAIT_ANY : pid > 0 ? WAIT_PID : WAIT_PGID;
	wo.id = pid > 0 ? pid : pid == 0 ? p->pgid : -pid;
	struct proc *c;
	int err = wait_find(p, &wo, &c);
	if (err)
		return wait_ret(err);
	if (!c)
		return options & WNOHANG_ ? wait_ret(0) : wait_sleep();
	wait_reap(p, c);
	uint32_t st = c->termsig ? (uint32_t)c->termsig : ((uint32_t)c->status & 0xff) << 8;
	if ((status_va && put_user(p->k, status_va, &st, 4)) || (ru_va && put_rusage(c, -2, ru_va)))
		return wait_ret(-EFAULT);
	return wait_ret(c->pid);
}

/* waitid's idtype and id (P_ALL 0, P_PID 1, P_PGID 2, P_PIDFD 3) and
 * options: 0 or -errno, in kernel_waitid's order. No descriptor is a
 * pidfd (the model makes none: no pidfd_open, clone's CLONE_PIDFD is
 * refused), so P_PIDFD gets pidfd_get_pid's answer for any other: EBADF. */
static int waitid_opts(struct proc *p, int32_t which, int32_t id, uint32_t options, struct wait_opts *wo)
{
	if (options & ~(WNOHANG_ | WNOWAIT_ | WEXITED_ | WSTOPPED_ | WCONTINUED_ | WNOTHREAD_ | WCLONE_ | WALL_))
		return -EINVAL;
	if (!(options & (WEXITED_ | WSTOPPED_ | WCONTINUED_)))
		return -EINVAL;
	*wo = (struct wait_opts){.flags = options, .id = id};
	switch (which) {
	case 0: wo->type = WAIT_ANY; return 0;
	case 1: wo->type = WAIT_PID; return id <= 0 ? -EINVAL : 0;
	case 2:
		wo->type = WAIT_PGID;
		wo->id = id ? id : p->pgid;
		return id < 0 ? -EINVAL : 0;
	case 3: return id < 0 ? -EINVAL : -EBADF;
	default: return -EINVAL;
	}
}

/* The siginfo waitid writes: si_signo, si_errno, si_code (offsets 0, 4,
 * 8) and si_pid, si_uid, si_status (16, 20, 24), each put on its own as
 * Linux's unsafe_put_user does, so the bytes between and after them keep
 * what the caller had; the whole struct (128 bytes) must be user space. A
 * call that found nothing, failed included, writes zeros. */
static int64_t put_waitid_info(struct kernel *k, uint64_t va, const struct proc *c)
{
	if (va > k->user_top || 128 > k->user_top - va)
		return -EFAULT;
	int32_t head[3] = {0}, tail[3] = {0};   /* si_uid: root's, 0 */
	if (c) {
		struct ksiginfo info = sigchld_info(c);
		head[0] = info.signo;
		head[2] = info.code;
		tail[0] = info.pid;
		tail[2] = info.status;
	}
	return put_user(k, va, head, sizeof head) || put_user(k, va + 16, tail, sizeof tail) ? -EFAULT : 0;
}

/* waitid(idtype, id, infop, options, rusage): 0 when a child was found
 * (reaped unless WNOWAIT) or none was ready with WNOHANG (si_pid 0); the
 * rusage is written first, then infop, whatever the answer. */
static struct sys_result sys_waitid(struct proc *p, int32_t which, int32_t id, uint64_t info_va, uint32_t options,
				    uint64_t ru_va)
{
	struct wait_opts wo;
	struct proc *c = NULL;
	int err = waitid_opts(p, which, id, options, &wo);
	if (!err)
		err = wait_find(p, &wo, &c);
	if (!err && !c && !(options & WNOHANG_)) {
		if (!os_signal_pending(p))
			return wait_sleep();
		err = -ERESTARTSYS;   /* interrupted: infop is written as for any failure */
	}
	if (c && !(options & WNOWAIT_))
		wait_reap(p, c);
	if (c && ru_va && put_rusage(c, -2, ru_va))
		return wait_ret(-EFAULT);
	if (info_va && put_waitid_info(p->k, info_va, c))
		return wait_ret(-EFAULT);
	return err == -ERESTARTSYS ? wait_sleep() : wait_ret(err);
}

bool wait_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r)
{
	switch (s) {
	case S_WAIT4: *r = sys_wait4(p, (int32_t)a[0], a[1], (uint32_t)a[2], a[3]); break;
	case S_WAITID: *r = sys_waitid(p, (int32_t)a[0], (int32_t)a[1], a[2], (uint32_t)a[3], a[4]); break;
	default: return false;
	}
	return true;
}
