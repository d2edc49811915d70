#include "tests/testkernel.h"

#include <stdio.h>
#include <stdlib.h>

#include "presets/preset.h"

struct os_config test_os_config(const char *pers)
{
	struct os_config oc;
	os_config_default(&oc);
	oc.personality = (enum personality)personality_by_name(pers);
	return oc;
}

struct kernel *test_kernel_on(const struct mmu_config *mc, const struct os_config *oc, const char *what)
{
	char err[512];
	struct kernel *k = kernel_create(mc, oc, err, sizeof err);
	if (!k) {
		fprintf(stderr, "%s: %s\n", what, err);
		exit(2);
	}
	return k;
}

struct kernel *test_kernel(const char *preset, uint64_t mem, const struct os_config *oc)
{
	struct preset p;
	char err[512];
	if (preset_load(preset, &p, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	if (mem)
		p.mmu.phys_size = mem;
	return test_kernel_on(&p.mmu, oc, preset);
}
