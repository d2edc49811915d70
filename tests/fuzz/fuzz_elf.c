/* libFuzzer harness: the ELF loader (os/elf.c), as `mmusim run PROGRAM`
 * and a guest's execve use it. The machine is chosen as `mmusim run` does,
 * by the ELF header's e_machine; whatever the file holds, the loader must
 * load it or refuse it with a one-line reason. */
#include <stdio.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_kernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum mmu_arch arch = size > 19 && data[18] == 183 && data[19] == 0 ? ARCH_AARCH64 : ARCH_X86_64;
	const char *path = fuzz_input_path(data, size);
	struct kernel *k = fuzz_kernel(arch);
	static char *const argv[] = {"fuzz", "arg", NULL};
	static char *const envp[] = {"HOME=/", NULL};
	struct exec_image img;
	char err[512] = "";
	int rc = os_exec_elf(kernel_current(k), path, 2, argv, envp, "/fuzz", &img, err, sizeof err);
	if (rc && (!err[0] || strchr(err, '\n')))
		__builtin_trap();
	kernel_destroy(k);
	return 0;
}
