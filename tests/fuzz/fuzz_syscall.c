/* libFuzzer harness: the system-call layer (os/kernel), driven directly as
 * a hostile guest drives it: random calls with random arguments on a
 * 16 MiB machine whose process has a stack and a 64 KiB scratch mapping
 * filled from the input (so paths, iovecs and structs can be made).
 * Input: byte 0 picks the architecture; byte 1 is the scratch bytes'
 * length L, then L bytes; then calls, each a 2-byte number and 6
 * arguments, each a selector byte and its operand:
 *   0 a small value (1 byte)          4 zero
 *   1 a scratch address (2 bytes)     5 a stack address (2 bytes below its top)
 *   2 any 64-bit value (8 bytes)      6 a kernel-space address
 *   3 a small negative value (1 byte) 7 a power of two (1 byte)
 * Up to 64 calls; an exit, a kill or an exec ends the input. Nothing may
 * crash, leak or misbehave (the sanitizers), no restart code (-ERESTARTSYS
 * & co) may reach the guest, and the host files stay below the sandbox
 * (its root is a temporary directory). */
#include <string.h>

#include "tests/fuzz/fuzz_kernel.h"

#define STACK_TOP 0x7ffff0000000ull
#define SCRATCH 0x10000000ull
#define SCRATCH_LEN 0x10000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p, *end;
};

static uint64_t take(struct input *in, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n && in->p < in->end; i++)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

static uint64_t argument(struct input *in)
{
	switch (take(in, 1) & 7) {
	case 0: return take(in, 1);
	case 1: return SCRATCH + take(in, 2) % SCRATCH_LEN;
	case 2: return take(in, 8);
	case 3: return (uint64_t)-(int64_t)(take(in, 1) + 1);
	case 4: return 0;
	case 5: return STACK_TOP - 8 - take(in, 2);
	case 6: return 0xffff800000000000ull;
	default: return 1ull << (take(in, 1) & 63);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct input in = {data, data + size};
	enum mmu_arch arch = take(&in, 1) & 1 ? ARCH_AARCH64 : ARCH_X86_64;
	struct kernel *k = fuzz_kernel(arch);
	struct proc *p = kernel_current(k);
	if (proc_exec(p, STACK_TOP, 0x600000) ||
	    os_mmap(p, SCRATCH, SCRATCH_LEN, 3, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0) != (int64_t)SCRATCH)
		__builtin_trap();   /* the machine itself, not the input */
	size_t len = (size_t)take(&in, 1);
	if (len > (size_t)(in.end - in.p))
		len = (size_t)(in.end - in.p);
	os_copy_to_user(k, SCRATCH, in.p, len);
	in.p += len;
	for (int call = 0; call < 64 && in.p < in.end; call++) {
		uint64_t nr = take(&in, 2) % 512, a[6];
		for (int i = 0; i < 6; i++)
			a[i] = argument(&in);
		struct sys_result r = os_syscall(k, nr, a);
		/* A result is any value (mmap and mremap return addresses of any
		 * sign: mremap of equal lengths returns addr unchecked, as Linux);
		 * a restart code only with a signal pending, which the way back
		 * to user mode delivers (as cpu/ does), turning the code into
		 * -EINTR or a restart. */
		bool pending = kernel_current(k) && proc_alive(kernel_current(k)) && os_signal_pending(kernel_current(k));
		if (r.action == SYSA_NONE && r.ret <= -512 && r.ret >= -516 && !pending)
			__builtin_trap();
		if (r.action == SYSA_NONE && pending) {
			struct user_regs regs = {.sp = STACK_TOP - 4096};
			regs.r[arch == ARCH_X86_64 ? X86_RAX : 0] = (uint64_t)r.ret;
			struct syscall_exit sx = {.active = true, .orig = arch == ARCH_X86_64 ? nr : a[0]};
			if (os_signal_deliver(k, &regs, &sx))
				break;   /* a signal's default action ended the process */
		}
		if (r.action == SYSA_EXIT || r.action == SYSA_KILLED || r.action == SYSA_EXEC ||
		    r.action == SYSA_THREAD_EXIT || r.action == SYSA_SIGRETURN || !kernel_current(k) ||
		    !proc_alive(kernel_current(k)))
			break;
	}
	kernel_destroy(k);
	return 0;
}
