/* Signals, as Linux's kernel/signal.c has them: actions (rt_sigaction),
 * each thread's blocked mask (rt_sigprocmask) and alternate stack, the
 * pending sets with each signal's siginfo (a thread's own for tgkill and
 * what its own acts bring, the process's shared one for kill and SIGCHLD,
 * taken by a thread that does not block it: complete_signal), kill and
 * its kin, rt_sigsuspend, rt_sigtimedwait and pause, and delivery on the
 * way back to user mode (get_signal, handle_signal), with the restart of
 * an interrupted system call. The frame itself is the architecture's
 * (sigframe.c). *
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

/* A thread's mask: struct proc holds the running one's. */
static uint64_t thread_blocked(const struct thread *t)
{
	return t == t->p->thread ? t->p->sig.blocked : t->saved.sig_blocked;
}

/* The mask a thread in rt_sigtimedwait has besides (its set unblocked
 * while it waits, it keeps the signals it blocked before). */
static uint64_t thread_real_blocked(const struct thread *t)
{
	bool current = t == t->p->thread;
	bool waiting = current ? t->p->sig.in_sigwait : t->saved.in_sigwait;
	return !waiting ? 0 : current ? t->p->sig.real_blocked : t->saved.sig_real_blocked;
}

/* Linux's sig_ignored for task t: a blocked signal is kept even so (the
 * action may change before it is unblocked). */
static bool sig_ignored(const struct thread *t, int sig)
{
	if ((thread_blocked(t) | thread_real_blocked(t)) & sigbit(sig))
		return false;
	uint64_t h = t->p->sig.action[sig - 1].handler;
	return h == KSIG_IGN || (h == KSIG_DFL && default_ignores(sig));
}

/* Adds info to a pending set: false when a standard signal was pending
 * already (it is pending once, whatever is sent meanwhile: legacy_queue). */
static bool queue_signal(struct sigpending *s, const struct ksiginfo *info)
{
	int sig = info->signo;
	if (sig < SIGRTMIN && (s->set & sigbit(sig)))
		return false;
	if (s->n < SIGQUEUE_MAX)
		s->queue[s->n++] = *info;
	s->set |= sigbit(sig);
	return true;
}

/* Linux's task_sigpending (TIF_SIGPENDING): a signal of its own it does
 * not block, or a shared one it was woken for. */
static bool thread_sigpending(const struct thread *t)
{
	uint64_t open = ~thread_blocked(t);
	return (t->pending.set & open) || (t->sigwake && (t->p->sig.shared.set & open));
}

static bool thread_running(const struct thread *t)
{
	return t->p->k->svc->current == t->p && t->p->thread == t;
}

/* The process's leader (the task a pid names), or its running thread once
 * the leader has gone. */
static struct thread *leader_of(struct proc *p)
{
	const struct services *svc = p->k->svc;
	for (size_t i = 0; i < svc->nthreads; i++)
		if (svc->threads[i]->p == p && svc->threads[i]->alive && svc->threads[i]->tid == p->pid)
			return svc->threads[i];
	return p->thread;
}

/* The live thread of p after t, in creation order, round (next_thread). */
static struct thread *next_thread(struct thread *t)
{
	const struct services *svc = t->p->k->svc;
	size_t at = 0;
	while (at < svc->nthreads && svc->threads[at] != t)
		at++;
	for (size_t i = 1; i <= svc->nthreads; i++) {
		struct thread *n = svc->threads[(at + i) % svc->nthreads];
		if (n->p == t->p && n->alive)
			return n;
	}
	return t;
}

/* wants_signal: a thread that does not block it and is not already on its
 * way to take a signal (unless it runs: it takes them all). */
static bool wants_signal(const struct thread *t, int sig)
{
	if ((thread_blocked(t) & sigbit(sig)) || !t->alive)
		return false;
	return sig == SIGKILL || thread_running(t) || !thread_sigpending(t);
}

/* complete_signal: the leader if it wants the shared signal, else the
 * next thread from curr_target that does; it is woken (a call it sleeps
 * in is interrupted). None wants it: it waits until one unblocks it. */
static void complete_signal(struct proc *p, int sig)
{
	struct thread *t = leader_of(p);
	if (!wants_signal(t, sig)) {
		struct thread *start = p->sig.curr_target;
		if (!start || !start->alive || start->p != p)
			start = t;
		t = start;
		while (!wants_signal(t, sig)) {
			t = next_thread(t);
			if (t == start)
				return;
		}
		p->sig.curr_target = t;
	}
	t->sigwake = true;
}

/* A thread woken for shared signals that another thread took since would
 * have found nothing in get_signal, which clears its flag: so it is. */
static void clear_stale_wakes(struct proc *p)
{
	const struct services *svc = p->k->svc;
	for (size_t i = 0; i < svc->nthreads; i++) {
		struct thread *t = svc->threads[i];
		if (t->p == p && t->sigwake && !(p->sig.shared.set & ~thread_blocked(t)))
			t->sigwake = false;
	}
}

void signal_send(struct proc *p, const struct ksiginfo *info)
{
	if (!p->alive || !valid_sig(info->signo) || sig_ignored(leader_of(p), info->signo))
		return;
	clear_stale_wakes(p);
	if (queue_signal(&p->sig.shared, info))
		complete_signal(p, info->signo);
}

void signal_send_thread(struct thread *t, const struct ksiginfo *info)
{
	if (!t->p->alive || !t->alive || !valid_sig(info->signo) || sig_ignored(t, info->signo))
		return;
	queue_signal(&t->pending, info);   /* the thread sees it pending itself */
}

/* recalc_sigpending for the shared set: the running thread takes what it
 * does not block. */
static void recalc_sigpending(struct proc *p)
{
	p->thread->sigwake = (p->sig.shared.set & ~p->sig.blocked) != 0;
}

/* retarget_shared_pending: shared signals of `which` the running thread
 * will not take wake the next threads that do not block them. */
static void retarget_shared_pending(struct proc *p, uint64_t which)
{
	uint64_t retarget = p->sig.shared.set & which;
	for (struct thread *t = next_thread(p->thread); retarget && t != p->thread; t = next_thread(t)) {
		uint64_t blocked = thread_blocked(t);
		if (!(retarget & ~blocked))
			continue;
		retarget &= blocked;
		if (!thread_sigpending(t))
			t->sigwake = true;
	}
}

void signal_set_blocked(struct proc *p, uint64_t set)
{
	set &= ~unblockable;
	if (thread_sigpending(p->thread))
		retarget_shared_pending(p, set & ~p->sig.blocked);
	p->sig.blocked = set;
	recalc_sigpending(p);
}

void signal_thread_exit(struct proc *p)
{
	struct thread *t = p->thread;
	if (p->sig.curr_target == t)
		p->sig.curr_target = next_thread(t);
	if (thread_sigpending(t))
		retarget_shared_pending(p, ~p->sig.blocked);
	t->sigwake = false;
}

/* Linux's force_sig_info, to the running thread: a signal it cannot
 * refuse (a fault, a bad signal frame). Blocked or ignored, it gets its
 * default action. */
static void signal_force(struct proc *p, const struct ksiginfo *info)
{
	struct k_sigaction *ka = &p->sig.action[info->signo - 1];
	if ((p->sig.blocked & sigbit(info->signo)) || ka->handler == KSIG_IGN) {
		ka->handler = KSIG_DFL;
		p->sig.blocked &= ~sigbit(info->signo);
	}
	queue_signal(&p->thread->pending, info);
}

static void flush_set(struct sigpending *s, int sig)
{
	int n = 0;
	for (int i = 0; i < s->n; i++)
		if (s->queue[i].signo != sig)
			s->queue[n++] = s->queue[i];
	s->n = n;
	s->set &= ~sigbit(sig);
}

/* Drops every pending instance of sig, shared and each thread's (its
 * action became "ignore"). */
static void flush_signal(struct proc *p, int sig)
{
	const struct services *svc = p->k->svc;
	flush_set(&p->sig.shared, sig);
	for (size_t i = 0; i < svc->nthreads; i++)
		if (svc->threads[i]->p == p)
			flush_set(&svc->threads[i]->pending, sig);
}

/* The next signal of a set to deliver out of `allowed`: synchronous ones
 * (faults) first, then the lowest number, as Linux's next_signal. Its
 * first queued siginfo is taken; the bit goes when no other instance
 * waits. */
static int dequeue_from(struct sigpending *s, uint64_t allowed, struct ksiginfo *info)
{
	uint64_t ready = s->set & allowed;
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
	for (int i = 0; i < s->n; i++)
		if (s->queue[i].signo == sig) {
			if (at < 0)
				at = i;
			else
				more++;
		}
	if (at >= 0) {
		*info = s->queue[at];
		memmove(&s->queue[at], &s->queue[at + 1], (size_t)(s->n - at - 1) * sizeof *s->queue);
		s->n--;
	}
	if (!more)
		s->set &= ~sigbit(sig);
	return sig;
}

/* dequeue_signal: the running thread's own signals first, then the
 * process's shared ones. */
static int signal_dequeue(struct proc *p, uint64_t allowed, struct ksiginfo *info)
{
	int sig = dequeue_from(&p->thread->pending, allowed, info);
	return sig ? sig : dequeue_from(&p->sig.shared, allowed, info);
}

bool os_signal_pending(const struct proc *p)
{
	return p && p->alive && thread_sigpending(p->thread);
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
	queue_signal(&p->thread->pending,
		     &(struct ksiginfo){.signo = signo, .code = code, .addr = addr, .syndrome = syndrome});
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
	struct ksiginfo info = sigchld_info(p);
	signal_send(parent, &info);
}

struct ksiginfo sigchld_info(const struct proc *c)
{
	return (struct ksiginfo){.signo = SIGCHLD, .code = c->termsig ? CLD_KILLED : CLD_EXITED, .pid = c->pid,
				 .status = c->termsig ? c->termsig : c->status & 0xff};
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
	signal_set_blocked(p, p->sig.blocked | add);
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
		p->sig.restore_mask = false;
		signal_set_blocked(p, p->sig.saved_mask);
	}
	recalc_sigpending(p);
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
		case 0: set |= old; break;         /* SIG_BLOCK */
		case 1: set = old & ~set; break;   /* SIG_UNBLOCK */
		case 2: break;                     /* SIG_SETMASK */
		default: return -EINVAL;
		}
		signal_set_blocked(p, set);
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
		signal_set_blocked(p, mask);
	}
	return r;
}

/* rt_sigtimedwait's wait is over: the mask it had (__set_task_blocked). */
static void sigwait_end(struct proc *p)
{
	if (!p->sig.in_sigwait)
		return;
	p->sig.in_sigwait = false;
	signal_set_blocked(p, p->sig.real_blocked);
	p->sig.real_blocked = 0;
}

/* A timeout beyond this many seconds (about 31 years of simulated time)
 * is a wait without one: its deadline would overflow the clock. */
#define SIGWAIT_FOREVER_S 1000000000ull

/* rt_sigtimedwait (do_sigtimedwait): a signal of the set, pending already,
 * is taken without its handler. Otherwise the thread sleeps with the set
 * unblocked (so that complete_signal chooses it), a blocked call the
 * scheduler makes again, until a signal of the set comes (its number),
 * another signal is to be delivered (EINTR, never restarted) or the
 * timeout passes in simulated time, as nanosleep's (EAGAIN; at once for
 * a zero timeout). */
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
		sigwait_end(p);
		r.ret = -EFAULT;
		return r;
	}
	if (!p->sig.in_sigwait && ts_va && ((int64_t)ts[0] < 0 || ts[1] >= 1000000000ull)) {
		r.ret = -EINVAL;
		return r;
	}
	set &= ~unblockable;
	struct ksiginfo info;
	int sig = signal_dequeue(p, set, &info);
	if (!sig && !p->sig.in_sigwait) {
		if (ts_va && !ts[0] && !ts[1]) {
			r.ret = -EAGAIN;
			return r;
		}
		p->sig.real_blocked = p->sig.blocked;
		p->sig.in_sigwait = true;
		signal_set_blocked(p, p->sig.blocked & ~set);
		p->timed_wait = ts_va && ts[0] < SIGWAIT_FOREVER_S;
		p->wait_deadline = now_ns(k) + ts[0] * 1000000000ull + ts[1];
	}
	if (!sig) {
		bool expired = p->timed_wait && now_ns(k) >= p->wait_deadline;
		if (!expired && !os_signal_pending(p)) {
			r.ret = -EINTR;   /* made again on the thread's turn */
			r.action = SYSA_BLOCK;
			return r;
		}
		sigwait_end(p);
		sig = signal_dequeue(p, set, &info);
		if (!sig) {
			r.ret = expired ? -EAGAIN : -EINTR;
			return r;
		}
	}
	sigwait_end(p);
	uint8_t si[128];
	siginfo_bytes(&info, si);
	r.ret = info_va && put_user(k, info_va, si, sizeof si) ? -EFAULT : sig;
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

/* tgkill / tkill: to the thread tid alone (its own pending set). */
static int64_t sys_tgkill(struct proc *p, int64_t tgid, int64_t tid, int64_t sig, struct sys_result *r)
{
	if (tid <= 0 || (tgid != -1 && tgid <= 0) || sig < 0 || sig > NSIG_GUEST)
		return -EINVAL;
	const struct services *svc = p->k->svc;
	struct thread *t = NULL;
	for (size_t i = 0; i < svc->nthreads && !t; i++)
		if (svc->threads[i]->tid == tid && svc->threads[i]->alive && svc->threads[i]->p->alive)
			t = svc->threads[i];
	if (!t || (tgid != -1 && t->p->pid != tgid))
		return -ESRCH;
	if (sig)
		signal_send_thread(t, &(struct ksiginfo){.signo = (int)sig, .code = SI_TKILL, .pid = p->pid});
	if (sig && t->p != p)
		r->action = SYSA_YIELD;
	return 0;
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
		uint64_t set = (p->thread->pending.set | p->sig.shared.set) & p->sig.blocked;
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
