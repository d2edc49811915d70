#include "fuzz_kernel.h"

#include <stdio.h>
#include <stdlib.h>

#include "preset.h"

static const char *sandbox_root(void)
{
	static char dir[] = "/tmp/mmusim-fuzz-XXXXXX";
	static bool made;
	if (!made && !mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
	made = true;
	return dir;
}

struct kernel *fuzz_kernel(enum mmu_arch arch)
{
	struct preset p;
	char err[512];
	if (preset_load(arch == ARCH_AARCH64 ? "cortex-a76" : "skylake", &p, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	p.mmu.phys_size = 16ull << 20;
	struct os_config oc;
	os_config_default(&oc);
	oc.swap_bytes = 16ull << 20;
	struct kernel *k = kernel_create(&p.mmu, &oc, err, sizeof err);
	if (!k || os_set_root(k, sandbox_root(), err, sizeof err)) {
		fprintf(stderr, "fuzz kernel: %s\n", err);
		abort();
	}
	return k;
}
