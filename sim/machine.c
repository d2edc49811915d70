/* The machine both `run` and `replay` simulate: a preset, a personality,
 * physical memory and swap. */
#include "sim/machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "sim/commands.h"
#include "mmu/errmsg.h"

int machine_personality(const char *name, struct os_config *oc)
{
	if (!name)
		return 0;
	int p = personality_by_name(name);
	if (p < 0)
		return usage_error("unknown personality '%s' (linux, xnu, liteos)", name);
	oc->personality = (enum personality)p;
	return 0;
}

/* The machine a program or trace runs on when no preset is named. */
static const char *default_preset(enum mmu_arch arch, enum personality pers)
{
	if (arch == ARCH_X86_64)
		return "skylake";
	return pers == PERS_XNU ? "apple16k" : "cortex-a76";
}

/* --mem / --swap: a size in whole pages of the preset. */
static int page_multiple(const char *opt, const char *text, const struct preset *p, uint64_t *out)
{
	unsigned long long v = parse_size(text);
	if (!v || v % (1ull << p->mmu.fmt->page_shift)) {
		fprintf(stderr, "mmusim: %s %s: not a size that is a multiple of the %u KiB page\n", opt, text,
			1u << (p->mmu.fmt->page_shift - 10));
		return 2;
	}
	*out = v;
	return 0;
}

/* Guest memory is a memfd: every page the guest touches is host memory
 * (or host swap). A --mem the host cannot back would let a memory bomb
 * take the host down instead of meeting the guest's OOM killer. */
static int host_can_back(const char *text, uint64_t bytes)
{
	struct sysinfo si;
	if (sysinfo(&si))
		return 0;
	uint64_t host = ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
	if (bytes <= host)
		return 0;
	fprintf(stderr, "mmusim: --mem %s: more than this host's %llu MiB of memory and swap can back\n", text,
		(unsigned long long)(host >> 20));
	return 2;
}

/* --disk-limit SIZE|none: a bound on the host's disk, not part of the
 * machine, so no preset key: a preset describes hardware and the kernel's
 * policies, this protects the host the run happens on. */
static int disk_limit(const char *text, struct os_config *oc)
{
	if (!strcmp(text, "none")) {
		oc->disk_limit = DISK_UNLIMITED;
		return 0;
	}
	unsigned long long v = parse_size(text);
	if (!v) {
		fprintf(stderr, "mmusim: --disk-limit %s: not a size (such as 64M or 2G) or none\n", text);
		return 2;
	}
	oc->disk_limit = v;
	return 0;
}

int machine_load(const struct machine_opts *o, enum mmu_arch arch, struct os_config *oc, struct preset *p)
{
	char err[512];
	if (preset_load_set(o->preset ? o->preset : default_preset(arch, oc->personality), o->set, o->nset, p, err,
			    sizeof err)) {
		errmsg_print(err);
		return 2;
	}
	if (o->cpus) {
		char *end;
		unsigned long n = strtoul(o->cpus, &end, 10);
		if (end == o->cpus || *end || n < 1 || n > MMU_MAX_CPUS) {
			fprintf(stderr, "mmusim: --cpus %s: not a number of CPUs from 1 to %d\n", o->cpus, MMU_MAX_CPUS);
			return 2;
		}
		p->mmu.ncpus = (uint32_t)n;
	}
	if ((o->mem && (page_multiple("--mem", o->mem, p, &p->mmu.phys_size) || host_can_back(o->mem, p->mmu.phys_size))) ||
	    (o->swap && page_multiple("--swap", o->swap, p, &oc->swap_bytes)))
		return 2;
	if (o->disk_limit && disk_limit(o->disk_limit, oc))
		return 2;
	oc->thp = p->thp;
	return 0;
}

struct kernel *machine_kernel(const struct preset *p, const struct os_config *oc, const char *root)
{
	char err[512];
	struct kernel *k = kernel_create(&p->mmu, oc, err, sizeof err);
	if (!k) {
		errmsg_print(err);
		return NULL;
	}
	if (root && os_set_root(k, root, err, sizeof err)) {
		fprintf(stderr, "mmusim: --root %s: %s\n", root, err);
		kernel_destroy(k);
		return NULL;
	}
	return k;
}

struct eventlog *machine_eventlog(const char *path, struct kernel *k, const struct eventlog_info *info)
{
	char err[512];
	struct eventlog *log = eventlog_create(path, k, info, err, sizeof err);
	if (!log) {
		errmsg_print(err);
		return NULL;
	}
	kernel_subscribe(k, eventlog_event, log);
	return log;
}

int machine_eventlog_finish(struct eventlog **log, const struct kernel *k)
{
	struct eventlog *l = *log;
	char err[512];
	*log = NULL;
	if (l && eventlog_finish(l, k, err, sizeof err)) {
		errmsg_print(err);
		return 1;
	}
	return 0;
}
