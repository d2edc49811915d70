/* mmusim presets [NAME]: what machines there are, and what one of them is. */
#include <stdio.h>
#include <string.h>

#include "sim/commands.h"
#include "presets/preset.h"
#include "mmu/errmsg.h"

static void size_name(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;
	while (bytes >= 1024 && !(bytes % 1024) && u < 3) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)bytes, units[u]);
}

static void sizes_list(uint64_t mask, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (; mask && n < len; mask &= mask - 1) {
		char one[24];
		size_name(1ull << __builtin_ctzll(mask), one, sizeof one);
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "/" : "", one);
	}
}

static void print_tlb(const char *name, const struct tlb_config *t)
{
	static const char *const repl[] = {"LRU", "pseudo-LRU", "random"};
	if (!t->narrays) {
		printf("  %-4s none\n", name);
		return;
	}
	for (unsigned i = 0; i < t->narrays; i++) {
		const struct tlb_array_config *a = &t->array[i];
		char sizes[64];
		sizes_list(a->sizes, sizes, sizeof sizes);
		uint32_t ways = a->ways ? a->ways : a->entries;
		printf("  %-4s %-16s %5u entries, %s, %s", i ? "" : name, sizes, a->entries,
		       ways == a->entries ? "fully associative" : "", repl[a->repl]);
		if (ways != a->entries)
			printf(" (%u-way)", ways);
		if (!i)
			printf(", hit %u cycle%s", t->latency, t->latency == 1 ? "" : "s");
		printf("\n");
	}
}

static int show(const char *name)
{
	struct preset p;
	char err[512];
	if (preset_load(name, &p, err, sizeof err)) {
		errmsg_print(err);
		return 1;
	}
	const struct mmu_config *m = &p.mmu;
	char mem[24];
	size_name(m->phys_size, mem, sizeof mem);
	printf("%s: %s\n", p.name, p.description);
	printf("  file           %s\n", p.path);
	printf("  paging         %s (%s)\n", m->fmt->name, m->fmt->id);
	printf("  memory         %s physical, %u-bit physical addresses\n", mem, m->pa_bits);
	printf("  base CPI       %u.%03u\n", m->cpi_milli / 1000, m->cpi_milli % 1000);
	if (p.clock_ghz > 0)
		printf("  clock          %g GHz (cycles to time in the Chrome trace)\n", p.clock_ghz);
	if (m->fmt->arch == ARCH_AARCH64)
		printf("  hardware AF    %s, hardware DBM %s\n", m->hw_af ? "on" : "off", m->hw_dbm ? "on" : "off");
	printf("TLBs:\n");
	print_tlb("L1i", &m->l1i);
	print_tlb("L1d", &m->l1d);
	print_tlb("L2", &m->l2);
	printf("walk caches (page-table entry reads cost %u cycles):\n", m->walk_read_latency);
	for (int l = m->fmt->top_level; l < PT_LEVEL_LEAF; l++) {
		const struct walk_cache_config *w = &m->walk_cache[l - m->fmt->top_level];
		if (w->entries)
			printf("  %-5s %3u entries, %u-way, hit %u cycle%s\n", pt_level_info(m->fmt, l)->name, w->entries,
			       w->ways ? w->ways : w->entries, w->latency, w->latency == 1 ? "" : "s");
		else
			printf("  %-5s none\n", pt_level_info(m->fmt, l)->name);
	}
	printf("fault costs (cycles):\n");
	for (int c = COST_TRAP; c < COST_COUNT; c++)
		printf("  %-14s %u%s\n", mmu_cost_name((enum mmu_cost)c), m->cost[c],
		       c == COST_ZERO || c == COST_COPY ? " per KiB" : "");
	return 0;
}

int cmd_presets(int argc, char **argv)
{
	if (argc > 2)
		return usage_error("presets takes at most one preset name");
	if (argc == 2) {
		if (argv[1][0] == '-')
			return usage_error("unknown option '%s' for presets", argv[1]);
		return show(argv[1]);
	}
	char names[64][64];
	int n = preset_list(names, 64);
	if (n == 0) {
		fprintf(stderr, "mmusim: no presets in %s\n", preset_dir());
		return 1;
	}
	int rc = 0;
	printf("%-12s %-12s %-6s %-10s %s\n", "NAME", "PAGING", "MEMORY", "L1D/L2 TLB", "DESCRIPTION");
	for (int i = 0; i < n; i++) {
		struct preset p;
		char err[512];
		if (preset_load(names[i], &p, err, sizeof err)) {
			errmsg_print(err);
			rc = 1;
			continue;
		}
		char mem[24], tlbs[24];
		size_name(p.mmu.phys_size, mem, sizeof mem);
		unsigned l1 = 0, l2 = 0;
		for (unsigned k = 0; k < p.mmu.l1d.narrays; k++)
			l1 += p.mmu.l1d.array[k].entries;
		for (unsigned k = 0; k < p.mmu.l2.narrays; k++)
			l2 += p.mmu.l2.array[k].entries;
		snprintf(tlbs, sizeof tlbs, "%u/%u", l1, l2);
		printf("%-12s %-12s %-6s %-10s %s\n", names[i], p.mmu.fmt->id, mem, tlbs, p.description);
	}
	return rc;
}
