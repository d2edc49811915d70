/* Signals, as Linux's kernel/signal.c has them for processes of one
 * thread: actions (rt_sigaction), the blocked mask (rt_sigprocmask), the
 * pending set with each signal's siginfo, the alternate stack, kill and
 * its kin, rt_sigsuspend and pause, and delivery on the way back to user
 * mode (get_signal, handle_signal), with the restart of an interrupted
 * system call. The frame itself is the architecture's (sigframe.c).
 *
 * Stop signals (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) have no job control to
 * stop for: their default action is to be ignored, as SIGCONT's is. A
 * signal whose default action dumps core ends the process with the same
 * status as one that does not: the guest's core limit is 0, as Debian's
 * default, so there is never a dump (no 0x80 in the wait status). */
#include "os/kernel/syscall.h"

#include <signal.h>
#include <string.h>

/* The ABI's flag values, the same on x86-64 and arm64 (glibc's <signal.h>
 * gives the si_code values: SI_USER, SI_TKILL, SI_KERNEL, CLD_*). */
#define KSA_NOCLDWAIT 0x00000002ull
#define KSA_SIGINFO   0x00000004ull
#define KSA_RESTORER  0x04000000ull
#define KSA_ONSTACK   0x08000000ull
#define KSA_RESTART   0x10000000ull
#define KSA_NODEFER   0x40000000ull
#define KSA_RESETHAND 0x80000000ull
#define KSIG_DFL 0
#define KSIG_IGN 1

#define ERESTART_RESTARTBLOCK 516

static uint64_t sigbit(int sig) { return 1ull << (sig - 1); }
static bool valid_sig(int64_t sig) { return sig >= 1 && sig <= NSIG_GUEST; }
/* SIGKILL and SIGSTOP cannot be blocked, caught or ignored. */
static const uint64_t unblockable = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));

static bool default_ignores(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH || sig == SIGSTOP ||
	       sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Linux's sig_ignored: a blocked signal is kept even so (the action may
 * change before it is unblocked). */
static bool sig_ignored(const struct proc *p, int sig)
{
	if (p->sig.blocked & sigbit(sig))
		return false;
	uint64_t h = p->sig.action[sig - 1].handler;
	return h == KSIG_IGN || (h == KSIG_DFL && default_ignores(sig));
}

static void queue_signal(struct proc *p, const struct ksiginfo *info)
{
	struct signals *s = &p->sig;
	int sig = info->signo;
	if (sig < SIGRTMIN && (s->pending & sigbit(sig)))
		return;   /* a standard signal is pending once, whatever is sent meanwhile */
	if (s->nqueue < SIGQUEUE_MAX)
		s->queue[s->nqueue++] = *info;
	s->pending |= sigbit(sig);
}

void signal_send(struct proc *p, const struct ksiginfo *info)
{
	if (!p->alive || !valid_sig(info->signo) || sig_ignored(p, info->signo))
		return;
	queue_signal(p, info);
}

/* Linux's force_sig_info: a signal the process cannot refuse (a fault, a
 * bad signal frame). Blocked or ignored, it gets its default action. */
static void signal_force(struct proc *p, const struct ksiginfo *info)
{
	struct k_sigaction *ka = &p->sig.action[info->signo - 1];
	if ((p->sig.blocked & sigbit(info->signo)) || ka->handler == KSIG_IGN) {
		ka->handler = KSIG_DFL;
		p->sig.blocked &= ~sigbit(info->signo);
	}
	queue_signal(p, info);
}

/* Drops every pending instance of sig (its action became "ignore"). */
static void flush_signal(struct proc *p, int sig)
{
	struct signals *s = &p->sig;
	int n = 0;
	for (int i = 0; i < s->nqueue; i++)
		if (s->queue[i].signo != sig)
			s->queue[n++] = s->queue[i];
	s->nqueue = n;
	s->pending &= ~sigbit(sig);
}

/* The next signal to deliver out of `allowed`: synchronous ones (faults)
 * first, then the lowest number, as Linux's next_signal. Its first queued
 * siginfo is taken; the bit goes when no other instance waits. */
static int signal_dequeue(struct proc *p, uint64_t allowed, struct ksiginfo *info)
{
	struct signals *s = &p->sig;
	uint64_t ready = s->pending & allowed;
	if (!ready)
		return 0;
	static const int synchronous[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS};
	int sig = 0;
	for (size_t i = 0; i < sizeof synchronous / sizeof *synchronous && !sig; i++)
		if (ready & sigbit(synchronous[i]))
			sig = synchronous[i];
	if (!sig)
		sig = __builtin_ctzll(ready) + 1;
	*info = (struct ksiginfo){.signo = sig, .code = SI_USER};
	int at = -1, more = 0;
	for (int i = 0; i < s->nqueue; i++)
		if (s->queue[i].signo == sig) {
			if (at < 0)
				at = i;
			else
				more++;
		}
	if (at >= 0) {
		*info = s->queue[at];
		memmove(&s->queue[at], &s->queue[at + 1], (size_t)(s->nqueue - at - 1) * sizeof *s->queue);
		s->nqueue--;
	}
	if (!more)
		s->pending &= ~sigbit(sig);
	return sig;
}

bool os_signal_pending(const struct proc *p)
{
	return p && p->alive && (p->sig.pending & ~p->sig.blocked);
}

bool signal_catches(const struct proc *p, int signo)
{
	if (!p || !valid_sig(signo) || (p->sig.blocked & sigbit(signo)))
		return false;
	uint64_t h = p->sig.action[signo - 1].handler;
	return h != KSIG_DFL && h != KSIG_IGN;
}

bool proc_catches_faults(const struct proc *p)
{
	static const int fault_signals[] = {SIGSEGV, SIGBUS};
	for (size_t i = 0; i < 2; i++) {
		uint64_t h = p->sig.action[fault_signals[i] - 1].handler;
		if (h != KSIG_DFL && h != KSIG_IGN)
			return true;
	}
	return false;
}

bool os_signal_fault(struct kernel *k, int signo, int code, uint64_t addr, uint64_t syndrome)
{
	struct proc *p = k->svc->current;
	if (!signal_catches(p, signo))
		return false;
	queue_signal(p, &(struct ksiginfo){.signo = signo, .code = code, .addr = addr, .syndrome = syndrome});
	return true;
}

void signal_child_exit(struct proc *p)
{
	struct proc *parent = p->ppid ? proc_find(p->k, p->ppid) : NULL;
	if (!parent || !parent->alive || p->reaped)
		return;
	const struct k_sigaction *ka = &parent->sig.action[SIGCHLD - 1];
	/* do_notify_parent: with SIGCHLD ignored (or SA_NOCLDWAIT) nobody
	 * waits for the child; it is reaped at once. */
	if (ka->handler == KSIG_IGN || (ka->flags & KSA_NOCLDWAIT))
		p->reaped = true;
	signal_send(parent, &(struct ksiginfo){.signo = SIGCHLD,
					       .code = p->termsig ? CLD_KILLED : CLD_EXITED,
					       .pid = p->pid,
					       .status = p->termsig ? p->termsig : p->status & 0xff});
}

void signal_fork(struct proc *child, const struct proc *parent)
{
	const struct signals *s = &parent->sig;
	struct signals *c = &child->sig;
	memcpy(c->action, s->action, sizeof c->action);
	c->blocked = s->blocked;
	c->ss_sp = s->ss_sp;
	c->ss_size = s->ss_size;
	c->ss_autodisarm = s->ss_autodisarm;
	c->sigpage = s->sigpage;   /* in the copied address space, at the same place */
	child->pgid = parent->pgid;
}

/* flush_signal_handlers: caught signals go back to their default action,
 * ignored ones stay ignored; the new image has no alternate stack and no
 * trampoline page. */
void signal_exec(struct proc *p)
{
	struct signals *s = &p->sig;
	for (int i = 0; i < NSIG_GUEST; i++) {
		bool ignored = s->action[i].handler == KSIG_IGN;
		s->action[i] = (struct k_sigaction){.handler = ignored ? KSIG_IGN : KSIG_DFL};
	}
	s->ss_sp = s->ss_size = 0;
	s->ss_autodisarm = false;
	s->sigpage = 0;
}

/* ---- delivery ------------------------------------------------------------------- */

static uint64_t *return_reg(const struct kernel *k, struct user_regs *regs)
{
	return k->fmt->arch == ARCH_X86_64 ? &regs->r[X86_RAX] : &regs->r[0];
}

/* The call is made again: back onto its instruction (x86-64 syscall is 2
 * bytes, arm64 svc 4), its clobbered register as it was. */
static void syscall_restart(const struct kernel *k, struct user_regs *regs, const struct syscall_exit *sx)
{
	*return_reg(k, regs) = sx->orig;
	regs->pc -= k->fmt->arch == ARCH_X86_64 ? 2 : 4;
}

static bool is_restart(int64_t ret)
{
	return ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND || ret == -ERESTART_RESTARTBLOCK;
}

/* A handler is about to run: the interrupted call fails with EINTR, or is
 * restarted under SA_RESTART (for -ERESTARTSYS) or always (-ERESTARTNOINTR). */
static void restart_for_handler(const struct kernel *k, struct user_regs *regs, const struct syscall_exit *sx,
				const struct k_sigaction *ka)
{
	int64_t ret = (int64_t)*return_reg(k, regs);
	if (ret == -ERESTARTNOINTR || (ret == -ERESTARTSYS && (ka->flags & KSA_RESTART)))
		syscall_restart(k, regs, sx);
	else if (is_restart(ret))
		*return_reg(k, regs) = (uint64_t)-EINTR;
}

/* arm64 returns from a handler through the vDSO's sigreturn trampoline,
 * unless SA_RESTORER names one (glibc and musl do not). mmusim has no
 * vDSO: the first handler installed without SA_RESTORER gets a page of
 * its own holding `mov x8, #139; svc #0` (rt_sigreturn), mapped where the
 * kernel places mappings (as Linux places [vdso]) and read-only
 * executable, an ordinary VMA made by recorded operations (mmap, the
 * write of its code, mprotect) so that its faults replay and are
 * explained. */
static int map_sigpage(struct proc *p)
{
	static const uint32_t code[2] = {0xd2801168u, 0xd4000001u};   /* mov x8, #139; svc #0 */
	struct kernel *k = p->k;
	int64_t va = os_mmap(p, 0, k->page, VM_READ | VM_WRITE, MAPF_PRIVATE | MAPF_ANONYMOUS, -1, 0);
	if (va < 0)
		return (int)va;
	if (os_copy_to_user(k, (uint64_t)va, code, sizeof code) ||
	    os_mprotect(p, (uint64_t)va, k->page, VM_READ | VM_EXEC) < 0) {
		os_munmap(p, (uint64_t)va, k->page);
		return -ENOMEM;
	}
	p->sig.sigpage = (uint64_t)va;
	return 0;
}

/* signal_delivered: the handler runs with its mask (and the signal itself,
 * unless SA_NODEFER) blocked; SA_RESETHAND makes it a one-shot. */
static void signal_delivered(struct proc *p, int sig, struct k_sigaction *ka)
{
	uint64_t add = ka->mask | (ka->flags & KSA_NODEFER ? 0 : sigbit(sig));
	p->sig.blocked = (p->sig.blocked | add) & ~unblockable;
	if (ka->flags & KSA_RESETHAND)
		ka->handler = KSIG_DFL;
}

int os_signal_deliver(struct kernel *k, struct user_regs *regs, const struct syscall_exit *sx)
{
	struct proc *p = k->svc->current;
	bool in_syscall = sx && sx->active;
	int killer = 0;
	struct ksiginfo info;
	int sig;
	while (!killer && (sig = signal_dequeue(p, ~p->sig.blocked, &info))) {
		struct k_sigaction *ka = &p->sig.action[sig - 1];
		if (ka->handler == KSIG_IGN || (ka->handler == KSIG_DFL && default_ignores(sig)))
			continue;
		if (ka->handler == KSIG_DFL) {
			killer = sig;
			break;
		}
		if (in_syscall) {
			restart_for_handler(k, regs, sx, ka);
			in_syscall = false;
		}
		uint64_t saved = p->sig.restore_mask ? p->sig.saved_mask : p->sig.blocked;
		if (setup_rt_frame(p, &info, ka, saved, regs)) {
			/* force_sigsegv: no frame, no handler for a SIGSEGV either */
			if (sig == SIGSEGV)
				ka->handler = KSIG_DFL;
			signal_force(p, &(struct ksiginfo){.signo = SIGSEGV, .code = SI_KERNEL});
			continue;
		}
		p->sig.restore_mask = false;
		signal_delivered(p, sig, ka);
	}
	/* No handler ran: an interrupted call starts again (the signal was
	 * ignored, or is about to end the process anyway). */
	if (in_syscall && !killer && is_restart((int64_t)*return_reg(k, regs)))
		syscall_restart(k, regs, sx);
	if (p->sig.restore_mask) {   /* restore_saved_sigmask */
		p->sig.blocked = p->sig.saved_mask;
		p->sig.restore_mask = false;
	}
	return killer;
}

void os_sigreturn(struct kernel *k, struct user_regs *regs)
{
	struct proc *p = k->svc->current;
	if (restore_rt_frame(p, regs))
		signal_force(p, &(struct ksiginfo){.signo = SIGSEGV, .code = SI_KERNEL});
}

/* ---- the system calls ------------------------------------------------------------ */

static int64_t sys_rt_sigaction(struct proc *p, int64_t sig, uint64_t act_va, uint64_t oact_va, uint64_t size)
{
	struct kernel *k = p->k;
	if (size != 8)
		return -EINVAL;
	if (!valid_sig(sig) || (act_va && (sigbit((int)sig) & unblockable)))
		return -EINVAL;
	struct k_sigaction act, *ka = &p->sig.action[sig - 1], old = *ka;
	if (act_va) {
		if (os_copy_from_user(k, &act, act_va, sizeof act))
			return -EFAULT;
		act.mask &= ~unblockable;
		bool caught = act.handler != KSIG_DFL && act.handler != KSIG_IGN;
		if (caught && k->fmt->arch == ARCH_AARCH64 && !(act.flags & KSA_RESTORER) && !p->sig.sigpage) {
			int rc = map_sigpage(p);
			if (rc)
				return rc;
		}
		*ka = act;
		if (act.handler == KSIG_IGN || (act.handler == KSIG_DFL && default_ignores((int)sig)))
			flush_signal(p, (int)sig);   /* POSIX: a pending signal now ignored is discarded */
	}
	if (oact_va && os_copy_to_user(k, oact_va, &old, sizeof old))
		return -EFAULT;
	return 0;
}

static int64_t sys_rt_sigprocmask(struct proc *p, uint64_t how, uint64_t set_va, uint64_t oset_va, uint64_t size)
{
	struct kernel *k = p->k;
	if (size != 8)
		return -EINVAL;
	uint64_t old = p->sig.blocked;
	if (set_va) {
		uint64_t set;
		if (os_copy_from_user(k, &set, set_va, 8))
			return -EFAULT;
		switch (how) {
		case 0: p->sig.blocked |= set; break;    /* SIG_BLOCK */
		case 1: p->sig.blocked &= ~set; break;   /* SIG_UNBLOCK */
		case 2: p->sig.blocked = set; break;     /* SIG_SETMASK */
		default: return -EINVAL;
		}
		p->sig.blocked &= ~unblockable;
	}
	return oset_va ? put_user(k, oset_va, &old, 8) : 0;
}

bool on_sig_stack(const struct proc *p, uint64_t sp)
{
	return p->sig.ss_size && sp > p->sig.ss_sp && sp - p->sig.ss_sp <= p->sig.ss_size;
}

#define SS_ONSTACK_K 1
#define SS_DISABLE_K 2
#define SS_AUTODISARM_K (1u << 31)

/* stack_t: ss_sp, ss_flags (an int, padded), ss_size. */
static int64_t sys_sigaltstack(struct proc *p, uint64_t ss_va, uint64_t oss_va)
{
	struct kernel *k = p->k;
	struct signals *s = &p->sig;
	bool on = on_sig_stack(p, k->svc->syscall_sp);
	uint64_t old[3] = {s->ss_sp, (uint64_t)((on ? SS_ONSTACK_K : s->ss_size ? 0 : SS_DISABLE_K) |
						(s->ss_autodisarm ? SS_AUTODISARM_K : 0)),
			   s->ss_size};
	if (ss_va) {
		uint64_t ss[3];
		if (os_copy_from_user(k, ss, ss_va, sizeof ss))
			return -EFAULT;
		uint32_t flags = (uint32_t)ss[1], mode = flags & ~SS_AUTODISARM_K;
		if (on)
			return -EPERM;
		if (mode != SS_DISABLE_K && mode != SS_ONSTACK_K && mode != 0)
			return -EINVAL;
		uint64_t min = k->fmt->arch == ARCH_X86_64 ? 2048 : 5120;   /* MINSIGSTKSZ */
		if (mode == SS_DISABLE_K) {
			s->ss_sp = s->ss_size = 0;
			s->ss_autodisarm = false;
		} else {
			if (ss[2] < min)
				return -ENOMEM;
			s->ss_sp = ss[0];
			s->ss_size = ss[2];
			s->ss_autodisarm = flags & SS_AUTODISARM_K;
		}
	}
	return oss_va ? put_user(k, oss_va, old, sizeof old) : 0;
}

/* rt_sigsuspend: the mask replaced until a handler runs (its frame saves
 * the old one) or the call returns. The scheduler makes a blocked call
 * again: the mask is saved once. */
static struct sys_result sys_rt_sigsuspend(struct proc *p, uint64_t mask_va, uint64_t size)
{
	struct sys_result r = {.ret = -ERESTARTNOHAND, .action = SYSA_BLOCK};
	uint64_t mask;
	if (size != 8) {
		r = (struct sys_result){.ret = -EINVAL};
	} else if (os_copy_from_user(p->k, &mask, mask_va, 8)) {
		r = (struct sys_result){.ret = -EFAULT};
	} else if (!p->sig.restore_mask) {
		p->sig.saved_mask = p->sig.blocked;
		p->sig.restore_mask = true;
		p->sig.blocked = mask & ~unblockable;
	}
	return r;
}

/* rt_sigtimedwait: a signal of the set, pending already, is taken without
 * its handler; otherwise the call sleeps until one comes (a zero timeout
 * does not sleep, another does in simulated time, as nanosleep). */
static struct sys_result sys_rt_sigtimedwait(struct proc *p, uint64_t set_va, uint64_t info_va, uint64_t ts_va,
					     uint64_t size)
{
	struct kernel *k = p->k;
	struct sys_result r = {.action = SYSA_NONE};
	uint64_t set, ts[2] = {0, 0};
	if (size != 8) {
		r.ret = -EINVAL;
		return r;
	}
	if (os_copy_from_user(k, &set, set_va, 8) || (ts_va && os_copy_from_user(k, ts, ts_va, 16))) {
		r.ret = -EFAULT;
		return r;
	}
	struct ksiginfo info;
	int sig = signal_dequeue(p, set & ~unblockable, &info);
	if (sig) {
		uint8_t si[128];
		siginfo_bytes(&info, si);
		r.ret = info_va && put_user(k, info_va, si, sizeof si) ? -EFAULT : sig;
	} else if (ts_va) {
		k->svc->sleep_cycles += (ts[0] * 1000000000ull + ts[1]) * 3;
		r.ret = -EAGAIN;
	} else {
		r.ret = -EINTR;   /* what it returns if another signal's handler ends the wait */
		r.action = SYSA_BLOCK;
	}
	return r;
}

/* Sends to one process; -ESRCH when it is not there. A signal for another
 * process makes the sender yield, so that one sleeping in a call is
 * interrupted now, not after the sender has gone on. */
static int64_t kill_one(struct proc *from, struct proc *t, int sig, int code, struct sys_result *r)
{
	if (!t || !t->alive)
		return -ESRCH;
	if (sig)
		signal_send(t, &(struct ksiginfo){.signo = sig, .code = code, .pid = from->pid});
	if (sig && t != from)
		r->action = SYSA_YIELD;
	return 0;
}

/* kill_something_info: pid > 0 one process, 0 the caller's group, -1
 * every process but 1 and the caller, < -1 the group -pid. */
static int64_t sys_kill(struct proc *p, int64_t pid, int64_t sig, struct sys_result *r)
{
	struct kernel *k = p->k;
	if (sig < 0 || sig > NSIG_GUEST)
		return -EINVAL;
	if (pid > 0)
		return kill_one(p, proc_find(k, (int)pid), (int)sig, SI_USER, r);
	int pgid = pid == 0 ? p->pgid : (int)-pid;
	bool found = false;
	for (size_t i = 0; i < k->svc->nprocs; i++) {
		struct proc *t = k->svc->procs[i];
		if (!t->alive || (pid == -1 ? t->pid == 1 || t == p : t->pgid != pgid))
			continue;
		found = true;
		kill_one(p, t, (int)sig, SI_USER, r);
	}
	return found ? 0 : -ESRCH;
}

/* tgkill / tkill: every process has one thread, its tid the pid. */
static int64_t sys_tgkill(struct proc *p, int64_t tgid, int64_t tid, int64_t sig, struct sys_result *r)
{
	if (tid <= 0 || (tgid != -1 && tgid <= 0) || sig < 0 || sig > NSIG_GUEST)
		return -EINVAL;
	struct proc *t = thread_proc(p->k, (int)tid);   /* the signal goes to its process */
	if (t && tgid != -1 && t->pid != tgid)
		return -ESRCH;
	return kill_one(p, t, (int)sig, SI_TKILL, r);
}

/* setpgid: pid 0 is the caller, pgid 0 the target's pid. */
static int64_t sys_setpgid(struct proc *p, int64_t pid, int64_t pgid)
{
	if (pgid < 0)
		return -EINVAL;
	struct proc *t = pid ? proc_find(p->k, (int)pid) : p;
	if (!t || !t->alive || (t != p && t->ppid != p->pid))
		return -ESRCH;
	t->pgid = pgid ? (int)pgid : t->pid;
	return 0;
}

bool signal_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r)
{
	struct kernel *k = p->k;
	*r = (struct sys_result){.action = SYSA_NONE};
	switch (s) {
	case S_RT_SIGACTION: r->ret = sys_rt_sigaction(p, (int64_t)(int32_t)a[0], a[1], a[2], a[3]); break;
	case S_RT_SIGPROCMASK: r->ret = sys_rt_sigprocmask(p, a[0], a[1], a[2], a[3]); break;
	case S_SIGALTSTACK: r->ret = sys_sigaltstack(p, a[0], a[1]); break;
	case S_RT_SIGPENDING: {
		uint64_t set = p->sig.pending & p->sig.blocked;
		r->ret = a[1] > 8 ? -EINVAL : put_user(k, a[0], &set, a[1]);
		break;
	}
	case S_RT_SIGSUSPEND: *r = sys_rt_sigsuspend(p, a[0], a[1]); break;
	case S_PAUSE: r->ret = -ERESTARTNOHAND; r->action = SYSA_BLOCK; break;
	case S_RT_SIGTIMEDWAIT: *r = sys_rt_sigtimedwait(p, a[0], a[1], a[2], a[3]); break;
	case S_RT_SIGRETURN: r->action = SYSA_SIGRETURN; break;
	case S_KILL: r->ret = sys_kill(p, (int64_t)(int32_t)a[0], (int64_t)(int32_t)a[1], r); break;
	case S_TGKILL:
		r->ret = sys_tgkill(p, (int64_t)(int32_t)a[0], (int64_t)(int32_t)a[1], (int64_t)(int32_t)a[2], r);
		break;
	case S_TKILL: r->ret = sys_tgkill(p, -1, (int64_t)(int32_t)a[0], (int64_t)(int32_t)a[1], r); break;
	case S_SETPGID: r->ret = sys_setpgid(p, (int64_t)(int32_t)a[0], (int64_t)(int32_t)a[1]); break;
	case S_GETPGID: {
		struct proc *t = a[0] ? proc_find(k, (int)a[0]) : p;
		r->ret = t && t->alive ? t->pgid : -ESRCH;
		break;
	}
	case S_GETPGRP: r->ret = p->pgid; break;
	case S_SETSID: p->pgid = p->pid; r->ret = p->pid; break;
	default:
		return false;
	}
	return true;
}
