/* The signal frame a handler runs on, laid out as each architecture's
 * Linux lays it out (x86-64: arch/x86/kernel/signal.c and fpu/signal.c;
 * arm64: arch/arm64/kernel/signal.c), built in a buffer and written to the
 * user stack with one copy_to_user (whose faults are the kernel's, on the
 * process's behalf, and are recorded as any other), and read back by
 * rt_sigreturn with copy_from_user.
 *
 * x86-64 struct rt_sigframe: pretcode (sa_restorer: the handler returns
 * there), struct ucontext (uc_flags, uc_link, uc_stack, uc_mcontext: struct
 * sigcontext with r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip,
 * eflags, cs/gs/fs/ss, err, trapno, oldmask, cr2, fpstate; uc_sigmask),
 * struct siginfo; the FPU state (fxsave's 512-byte format: the CPU model
 * has no XSAVE) below it, 64-byte aligned. At the handler's entry rsp + 8
 * is 16-byte aligned, as after a call.
 *
 * arm64 struct rt_sigframe: struct siginfo, struct ucontext (uc_flags,
 * uc_link, uc_stack, uc_sigmask, padding to 1024 bits of mask, then struct
 * sigcontext: fault_address, regs[31], sp, pc, pstate, and __reserved
 * holding an fpsimd_context, an esr_context for a fault, and the end
 * marker); above it the frame record (fp, lr) x29 points at. */
#include "os/kernel/kernel.h"

#include <signal.h>
#include <string.h>

#define KSA_SIGINFO  0x00000004ull
#define KSA_RESTORER 0x04000000ull
#define KSA_ONSTACK  0x08000000ull
#define SS_ONSTACK_K 1
#define SS_DISABLE_K 2
#define SS_AUTODISARM_K (1u << 31)

static void put64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }
static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }
static void put16(uint8_t *b, size_t off, uint16_t v) { memcpy(b + off, &v, 2); }
static uint64_t get64(const uint8_t *b, size_t off) { uint64_t v; memcpy(&v, b + off, 8); return v; }
static uint32_t get32(const uint8_t *b, size_t off) { uint32_t v; memcpy(&v, b + off, 4); return v; }
static uint16_t get16(const uint8_t *b, size_t off) { uint16_t v; memcpy(&v, b + off, 2); return v; }

static bool is_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

/* The union member siginfo_layout() picks: a kill's sender for codes a
 * user can send (<= 0), the child for SIGCHLD, the address for faults. */
void siginfo_bytes(const struct ksiginfo *info, uint8_t out[128])
{
	memset(out, 0, 128);
	put32(out, 0, (uint32_t)info->signo);
	put32(out, 8, (uint32_t)info->code);
	if (info->code > 0 && is_fault_signal(info->signo)) {
		put64(out, 16, info->addr);
	} else {
		put32(out, 16, (uint32_t)info->pid);                /* si_pid; si_uid 0: root */
		if (info->code > 0 && info->signo == SIGCHLD)
			put32(out, 24, (uint32_t)info->status);     /* si_status */
	}
}

/* sas_ss_flags(sp) */
static uint32_t ss_flags(const struct proc *p, uint64_t sp)
{
	return !p->sig.ss_size ? SS_DISABLE_K : on_sig_stack(p, sp) ? SS_ONSTACK_K : 0;
}

/* The stack the frame goes on: the alternate one under SA_ONSTACK when
 * it is set up and not in use already (sigsp). */
static uint64_t frame_stack(const struct proc *p, const struct k_sigaction *ka, uint64_t sp)
{
	if ((ka->flags & KSA_ONSTACK) && ss_flags(p, sp) == 0)
		return p->sig.ss_sp + p->sig.ss_size;
	return sp;
}

/* __save_altstack: uc_stack as it is; SS_AUTODISARM then disarms it. */
static void save_altstack(struct proc *p, uint8_t *b, size_t off, uint64_t sp)
{
	put64(b, off, p->sig.ss_sp);
	put32(b, off + 8, ss_flags(p, sp) | (p->sig.ss_autodisarm ? SS_AUTODISARM_K : 0));
	put64(b, off + 16, p->sig.ss_size);
	if (p->sig.ss_autodisarm) {
		p->sig.ss_sp = p->sig.ss_size = 0;
		p->sig.ss_autodisarm = false;
	}
}

/* restore_altstack: what sigaltstack would accept of uc_stack; only a
 * frame that cannot be read is an error. */
static void restore_altstack(struct proc *p, const uint8_t *b, size_t off, uint64_t sp)
{
	uint64_t min = p->k->fmt->arch == ARCH_X86_64 ? 2048 : 5120;
	uint32_t mode = get32(b, off + 8) & ~SS_AUTODISARM_K;
	if (on_sig_stack(p, sp))
		return;   /* EPERM, squashed */
	if (mode == SS_DISABLE_K) {
		p->sig.ss_sp = p->sig.ss_size = 0;
		p->sig.ss_autodisarm = false;
	} else if ((mode == 0 || mode == SS_ONSTACK_K) && get64(b, off + 16) >= min) {
		p->sig.ss_sp = get64(b, off);
		p->sig.ss_size = get64(b, off + 16);
		p->sig.ss_autodisarm = get32(b, off + 8) & SS_AUTODISARM_K;
	}
}

static bool on_alt_overflow(const struct proc *p, uint64_t old_sp, uint64_t frame)
{
	/* Linux: on the alternate stack and about to run off it: SIGSEGV. */
	return on_sig_stack(p, old_sp) && !on_sig_stack(p, frame);
}

/* ---- x86-64 ------------------------------------------------------------------ */
#define X86_FRAME 440          /* pretcode + struct ucontext (304) + struct siginfo (128) */
#define X86_UC 8
#define X86_MC (X86_UC + 40)
#define X86_MASK (X86_UC + 296)
#define X86_INFO (X86_UC + 304)
#define X86_FXSAVE 512
#define X86_FIX_EFLAGS 0x50dd5ull   /* AC OF DF TF SF ZF AF PF CF RF: what a frame may set */
#define X86_DF_RF_TF 0x10500ull

static void x86_fxsave(const struct user_regs *regs, uint8_t *fx)
{
	memset(fx, 0, X86_FXSAVE);
	put16(fx, 0, regs->fcw);
	put16(fx, 2, regs->fsw);
	uint8_t abridged = 0;   /* one bit per register: not empty (tag != 11) */
	for (int i = 0; i < 8; i++)
		if (((regs->ftw >> (2 * i)) & 3) != 3)
			abridged |= (uint8_t)(1u << i);
	fx[4] = abridged;
	put32(fx, 24, regs->fpcr);           /* mxcsr */
	put32(fx, 28, 0xffff);               /* mxcsr_mask */
	for (int i = 0; i < 8; i++)
		memcpy(fx + 32 + 16 * i, regs->st[i], 10);
	memcpy(fx + 160, regs->v, 16 * 16);
}

static void x86_fxrstor(struct user_regs *regs, const uint8_t *fx)
{
	regs->fcw = get16(fx, 0);
	regs->fsw = get16(fx, 2);
	regs->ftw = 0;
	for (int i = 0; i < 8; i++)
		if (!(fx[4] & (1u << i)))
			regs->ftw |= (uint16_t)(3u << (2 * i));
	regs->fpcr = get32(fx, 24) & 0xffff;
	for (int i = 0; i < 8; i++)
		memcpy(regs->st[i], fx + 32 + 16 * i, 10);
	memcpy(regs->v, fx + 160, 16 * 16);
}

/* fpu__clear_user_states: the handler starts with a fresh FPU. */
static void x86_fpu_init(struct user_regs *regs)
{
	regs->fcw = 0x37f;
	regs->fsw = 0;
	regs->ftw = 0xffff;
	regs->fpcr = 0x1f80;
	memset(regs->st, 0, sizeof regs->st);
	memset(regs->v, 0, sizeof regs->v);
}

void os_start_regs(const struct kernel *k, const struct exec_image *img, struct user_regs *regs)
{
	*regs = (struct user_regs){.sp = img->sp, .pc = img->entry};
	if (k->fmt->arch == ARCH_X86_64) {
		regs->flags = 0x202;   /* X86_EFLAGS_IF, and bit 1, which always reads 1 */
		x86_fpu_init(regs);
	}
}

static int x86_setup_rt_frame(struct proc *p, const struct ksiginfo *info, const struct k_sigaction *ka,
			      uint64_t saved_mask, struct user_regs *regs)
{
	struct kernel *k = p->k;
	if (!(ka->flags & KSA_RESTORER))
		return -EFAULT;   /* x86-64 has no other way back */
	uint64_t sp = frame_stack(p, ka, regs->sp - 128);   /* below the red zone */
	uint64_t fx = (sp - X86_FXSAVE) & ~63ull;
	uint64_t frame = ((fx - X86_FRAME) & ~15ull) - 8;
	if (on_alt_overflow(p, regs->sp, frame))
		return -EFAULT;
	uint8_t b[X86_FRAME], fpu[X86_FXSAVE];
	memset(b, 0, sizeof b);
	put64(b, 0, ka->restorer);
	put64(b, X86_UC, 6);   /* UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS */
	save_altstack(p, b, X86_UC + 16, regs->sp);
	for (int i = 0; i <= X86_RCX; i++)
		put64(b, X86_MC + 8 * (size_t)i, regs->r[i]);
	put64(b, X86_MC + 120, regs->sp);
	put64(b, X86_MC + 128, regs->pc);
	put64(b, X86_MC + 136, regs->flags);
	put16(b, X86_MC + 144, 0x33);   /* cs: __USER_CS */
	put16(b, X86_MC + 150, 0x2b);   /* ss: __USER_DS */
	if (info->code > 0 && (info->signo == SIGSEGV || info->signo == SIGBUS)) {
		put64(b, X86_MC + 152, info->syndrome);   /* err: the page fault's error code */
		put64(b, X86_MC + 160, 14);          /* trapno: X86_TRAP_PF */
		put64(b, X86_MC + 176, info->addr);  /* cr2 */
	}
	put64(b, X86_MC + 168, saved_mask);      /* oldmask */
	put64(b, X86_MC + 184, fx);              /* fpstate */
	put64(b, X86_MASK, saved_mask);
	siginfo_bytes(info, b + X86_INFO);
	x86_fxsave(regs, fpu);
	if (os_copy_to_user(k, fx, fpu, sizeof fpu) || os_copy_to_user(k, frame, b, sizeof b))
		return -EFAULT;
	regs->r[X86_RDI] = (uint64_t)info->signo;
	regs->r[X86_RAX] = 0;
	regs->r[X86_RSI] = frame + X86_INFO;
	regs->r[X86_RDX] = frame + X86_UC;
	regs->sp = frame;
	regs->pc = ka->handler;
	regs->flags &= ~X86_DF_RF_TF;
	x86_fpu_init(regs);
	return 0;
}

/* The handler's `ret` popped pretcode: the frame starts 8 bytes below. */
static int x86_restore_rt_frame(struct proc *p, struct user_regs *regs)
{
	struct kernel *k = p->k;
	uint64_t frame = regs->sp - 8;
	uint8_t b[X86_FRAME], fpu[X86_FXSAVE];
	if (os_copy_from_user(k, b, frame, sizeof b))
		return -EFAULT;
	uint64_t fx = get64(b, X86_MC + 184);
	if (fx && os_copy_from_user(k, fpu, fx, sizeof fpu))
		return -EFAULT;
	signal_set_blocked(p, get64(b, X86_MASK));
	for (int i = 0; i <= X86_RCX; i++)
		regs->r[i] = get64(b, X86_MC + 8 * (size_t)i);
	regs->sp = get64(b, X86_MC + 120);
	regs->pc = get64(b, X86_MC + 128);
	regs->flags = (regs->flags & ~X86_FIX_EFLAGS) | (get64(b, X86_MC + 136) & X86_FIX_EFLAGS);
	if (fx)
		x86_fxrstor(regs, fpu);
	else
		x86_fpu_init(regs);
	restore_altstack(p, b, X86_UC + 16, regs->sp);
	return 0;
}

/* ---- arm64 --------------------------------------------------------------------- */
#define A64_FRAME 4688         /* struct siginfo (128) + struct ucontext (4560) */
#define A64_UC 128
#define A64_MASK (A64_UC + 40)
#define A64_SC (A64_UC + 176)
#define A64_RESERVED (A64_SC + 288)
#define A64_RESERVED_SIZE 4096
#define FPSIMD_MAGIC 0x46508001u
#define FPSIMD_SIZE 528
#define ESR_MAGIC 0x45535201u
#define ESR_SIZE 16

static int a64_setup_rt_frame(struct proc *p, const struct ksiginfo *info, const struct k_sigaction *ka,
			      uint64_t saved_mask, struct user_regs *regs)
{
	struct kernel *k = p->k;
	uint64_t ret = ka->flags & KSA_RESTORER ? ka->restorer : p->sig.sigpage;
	if (!ret)
		return -EFAULT;
	uint64_t top = frame_stack(p, ka, regs->sp);
	uint64_t record = (top - 16) & ~15ull;   /* struct frame_record */
	uint64_t frame = record - A64_FRAME;
	if (on_alt_overflow(p, regs->sp, frame))
		return -EFAULT;
	static uint8_t b[A64_FRAME];
	memset(b, 0, sizeof b);
	siginfo_bytes(info, b);
	save_altstack(p, b, A64_UC + 16, regs->sp);
	put64(b, A64_MASK, saved_mask);
	bool fault = info->code > 0 && is_fault_signal(info->signo);
	put64(b, A64_SC, fault ? info->addr : 0);   /* fault_address */
	for (int i = 0; i < 31; i++)
		put64(b, A64_SC + 8 + 8 * (size_t)i, regs->r[i]);
	put64(b, A64_SC + 256, regs->sp);
	put64(b, A64_SC + 264, regs->pc);
	put64(b, A64_SC + 272, regs->flags);
	size_t at = A64_RESERVED;
	put32(b, at, FPSIMD_MAGIC);
	put32(b, at + 4, FPSIMD_SIZE);
	put32(b, at + 8, regs->fpsr);
	put32(b, at + 12, regs->fpcr);
	memcpy(b + at + 16, regs->v, sizeof regs->v);
	at += FPSIMD_SIZE;
	if (fault) {
		put32(b, at, ESR_MAGIC);
		put32(b, at + 4, ESR_SIZE);
		put64(b, at + 8, info->syndrome);
		at += ESR_SIZE;
	}
	/* the end marker: magic 0, size 0 (already zero) */
	uint64_t rec[2] = {regs->r[29], regs->r[30]};
	if (os_copy_to_user(k, frame, b, sizeof b) || os_copy_to_user(k, record, rec, sizeof rec))
		return -EFAULT;
	regs->r[0] = (uint64_t)info->signo;
	if (ka->flags & KSA_SIGINFO) {
		regs->r[1] = frame;
		regs->r[2] = frame + A64_UC;
	}
	regs->sp = frame;
	regs->r[29] = record;
	regs->r[30] = ret;
	regs->pc = ka->handler;
	return 0;
}

/* The records in __reserved: an fpsimd_context is required; an
 * esr_context may be there; anything else, or no end marker, is a bad
 * frame (parse_user_sigframe). */
static int a64_restore_reserved(struct user_regs *regs, const uint8_t *b)
{
	bool fpsimd = false;
	for (size_t at = A64_RESERVED; at + 8 <= A64_RESERVED + A64_RESERVED_SIZE;) {
		uint32_t magic = get32(b, at), size = get32(b, at + 4);
		if (magic == 0)
			return size == 0 && fpsimd ? 0 : -EFAULT;
		if (size < 8 || size % 16 || size > A64_RESERVED + A64_RESERVED_SIZE - at)
			return -EFAULT;
		if (magic == FPSIMD_MAGIC && size == FPSIMD_SIZE && !fpsimd) {
			regs->fpsr = get32(b, at + 8);
			regs->fpcr = get32(b, at + 12);
			memcpy(regs->v, b + at + 16, sizeof regs->v);
			fpsimd = true;
		} else if (magic != ESR_MAGIC) {
			return -EFAULT;
		}
		at += size;
	}
	return -EFAULT;
}

static int a64_restore_rt_frame(struct proc *p, struct user_regs *regs)
{
	struct kernel *k = p->k;
	uint64_t frame = regs->sp;
	static uint8_t b[A64_FRAME];
	if ((frame & 15) || os_copy_from_user(k, b, frame, sizeof b))
		return -EFAULT;
	uint64_t pstate = get64(b, A64_SC + 272);
	if (pstate & 0x1f)
		return -EFAULT;   /* valid_user_regs: only AArch64 EL0t */
	struct user_regs r = *regs;
	for (int i = 0; i < 31; i++)
		r.r[i] = get64(b, A64_SC + 8 + 8 * (size_t)i);
	r.sp = get64(b, A64_SC + 256);
	r.pc = get64(b, A64_SC + 264);
	r.flags = pstate;
	if (a64_restore_reserved(&r, b))
		return -EFAULT;
	*regs = r;
	signal_set_blocked(p, get64(b, A64_MASK));
	restore_altstack(p, b, A64_UC + 16, regs->sp);
	return 0;
}

int setup_rt_frame(struct proc *p, const struct ksiginfo *info, const struct k_sigaction *ka, uint64_t saved_mask,
		   struct user_regs *regs)
{
	if (p->k->fmt->arch == ARCH_X86_64)
		return x86_setup_rt_frame(p, info, ka, saved_mask, regs);
	return a64_setup_rt_frame(p, info, ka, saved_mask, regs);
}

int restore_rt_frame(struct proc *p, struct user_regs *regs)
{
	return p->k->fmt->arch == ARCH_X86_64 ? x86_restore_rt_frame(p, regs) : a64_restore_rt_frame(p, regs);
}

/* ---- AT_MINSIGSTKSZ -------------------------------------------------------------- */
/* Linux's worst case for the frames above, as it tells every program.
 * x86-64 (get_sigframe_size, init_sigframe_size): the largest frame,
 * struct sigframe_ia32 (732 bytes: Debian's kernels have IA32 emulation),
 * + 15 alignment + the FPU state (fxsave's 512 bytes and the 112-byte
 * fsave header for 32-bit frames: no XSAVE in this model, where a native
 * AVX-512 machine says 3632) + 63 for the 64-byte alignment, rounded up to
 * 16. arm64 (minsigstksz_setup, no SVE or SME): struct rt_sigframe (its
 * fpsimd and esr records fit in __reserved) + the frame record, 16 + 16
 * alignment. Each covers the frame built here from any stack pointer. */
#define X86_MINSIGSTKSZ ((732 + 15 + X86_FXSAVE + 112 + 63 + 15) & ~15)
#define A64_MINSIGSTKSZ (A64_FRAME + 16 + 16)
_Static_assert(X86_MINSIGSTKSZ == 1440, "x86-64 AT_MINSIGSTKSZ");
_Static_assert(63 + X86_FXSAVE + 8 + X86_FRAME + 8 <= X86_MINSIGSTKSZ, "the x86-64 frame fits");
_Static_assert(15 + 16 + A64_FRAME <= A64_MINSIGSTKSZ, "the arm64 frame fits");

uint64_t sigframe_min_stack(enum mmu_arch arch)
{
	return arch == ARCH_X86_64 ? X86_MINSIGSTKSZ : A64_MINSIGSTKSZ;
}
