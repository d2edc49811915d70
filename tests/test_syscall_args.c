/* System-call arguments Linux refuses, checked on the kernel model without
 * a CPU where a guest cannot say it the same way on both architectures. */
#include "tests/check.h"
#include "tests/testkernel.h"
#include "os/os.h"

#include <errno.h>

#define NR_ARCH_PRCTL 158   /* x86-64 only */
#define ARCH_SET_FS 0x1002

static struct sys_result call(struct kernel *k, uint64_t nr, uint64_t a0, uint64_t a1)
{
	uint64_t a[6] = {a0, a1, 0, 0, 0, 0};
	return os_syscall(k, nr, a);
}

/* do_arch_prctl_64: an FS base at or above TASK_SIZE_MAX is -EPERM. */
static void arch_prctl_fs_base(void)
{
	struct os_config oc = test_os_config("linux");
	struct kernel *k = test_kernel("skylake", 64ull << 20, &oc);
	CHECK_EQ(proc_exec(kernel_current(k), 0x7ffff0000000ull, 0x600000), 0);
	struct sys_result r = call(k, NR_ARCH_PRCTL, ARCH_SET_FS, 0x7ffff7d8a740ull);
	CHECK_EQ(r.ret, 0);
	CHECK_EQ(r.action, SYSA_SET_TLS);
	CHECK_EQ(r.value, 0x7ffff7d8a740ull);
	r = call(k, NR_ARCH_PRCTL, ARCH_SET_FS, 0x7ffffffff000ull);   /* TASK_SIZE_MAX itself */
	CHECK_EQ(r.ret, -EPERM);
	CHECK_EQ(r.action, SYSA_NONE);
	r = call(k, NR_ARCH_PRCTL, ARCH_SET_FS, 0x8000000000000000ull);   /* non-canonical */
	CHECK_EQ(r.ret, -EPERM);
	r = call(k, NR_ARCH_PRCTL, 0x9999, 0);
	CHECK_EQ(r.ret, -EINVAL);
	kernel_destroy(k);
}

int main(void)
{
	arch_prctl_fs_base();
	return check_report("test_syscall_args");
}
