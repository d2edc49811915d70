/* Preset parsing with cJSON. Strict: a missing key, a key of the wrong type
 * and an unknown key (a typo would otherwise silently fall back to nothing)
 * are each refused with the key's full path. */
#include "presets/preset.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include "mmu/errmsg.h"

#ifndef MMUSIM_PRESET_DIR
#define MMUSIM_PRESET_DIR "presets"
#endif

struct ctx {
	const char *origin;
	char *err;
	size_t errlen;
	bool failed;
};

/* "preset ORIGIN: message"; the first failure is the one reported. */
static void fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct ctx *c, const char *fmt, ...)
{
	if (c->failed)
		return;
	c->failed = true;
	char name[320];
	snprintf(name, sizeof name, "preset %s", c->origin);
	va_list ap;
	va_start(ap, fmt);
	errmsg_vset(c->err, c->errlen, name, ERRMSG_NO_LINE, fmt, ap);
	va_end(ap);
}

static void join(char *out, size_t len, const char *path, const char *key)
{
	snprintf(out, len, "%s%s%s", path, *path ? "." : "", key);
}

/* Every key of `obj` must be one of `known` (plus "source", which cites where
 * the numbers come from). */
static void check_keys(struct ctx *c, const cJSON *obj, const char *path, const char *const *known)
{
	for (const cJSON *it = obj->child; it; it = it->next) {
		bool ok = strcmp(it->string, "source") == 0;
		for (int i = 0; known[i] && !ok; i++)
			ok = strcmp(it->string, known[i]) == 0;
		if (!ok) {
			char full[256];
			join(full, sizeof full, path, it->string);
			fail(c, "unknown key \"%s\"", full);
		}
	}
}

static const cJSON *get(struct ctx *c, const cJSON *obj, const char *path, const char *key, bool required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v && required) {
		char full[256];
		join(full, sizeof full, path, key);
		fail(c, "missing key \"%s\"", full);
	}
	return v;
}

static const cJSON *get_object(struct ctx *c, const cJSON *obj, const char *path, const char *key, bool required)
{
	const cJSON *v = get(c, obj, path, key, required);
	if (v && !cJSON_IsObject(v)) {
		char full[256];
		join(full, sizeof full, path, key);
		fail(c, "key \"%s\" must be an object", full);
		return NULL;
	}
	return v;
}

static const char *get_string(struct ctx *c, const cJSON *obj, const char *path, const char *key, bool required)
{
	const cJSON *v = get(c, obj, path, key, required);
	if (v && !cJSON_IsString(v)) {
		char full[256];
		join(full, sizeof full, path, key);
		fail(c, "key \"%s\" must be a string", full);
		return NULL;
	}
	return v ? v->valuestring : NULL;
}

static double get_number(struct ctx *c, const cJSON *obj, const char *path, const char *key, double lo, double hi)
{
	const cJSON *v = get(c, obj, path, key, true);
	char full[256];
	join(full, sizeof full, path, key);
	if (v && !cJSON_IsNumber(v)) {
		fail(c, "key \"%s\" must be a number", full);
		return lo;
	}
	if (v && (v->valuedouble < lo || v->valuedouble > hi)) {
		fail(c, "key \"%s\" is %g, outside %g..%g", full, v->valuedouble, lo, hi);
		return lo;
	}
	return v ? v->valuedouble : lo;
}

static uint32_t get_u32(struct ctx *c, const cJSON *obj, const char *path, const char *key, uint32_t hi)
{
	double d = get_number(c, obj, path, key, 0, hi);
	if (d != (double)(uint32_t)d) {
		char full[256];
		join(full, sizeof full, path, key);
		fail(c, "key \"%s\" must be a whole number", full);
	}
	return (uint32_t)d;
}

static bool get_bool(struct ctx *c, const cJSON *obj, const char *path, const char *key, bool required)
{
	const cJSON *v = get(c, obj, path, key, required);
	if (v && !cJSON_IsBool(v)) {
		char full[256];
		join(full, sizeof full, path, key);
		fail(c, "key \"%s\" must be true or false", full);
		return false;
	}
	return v && cJSON_IsTrue(v);
}

unsigned long long parse_size(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno)
		return 0;
	unsigned shift = 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > (~0ull >> shift))
		return 0;
	return v << shift;
}

static void parse_tlb(struct ctx *c, const cJSON *obj, const char *path, struct tlb_config *t)
{
	static const char *const keys[] = {"latency", "arrays", NULL};
	static const char *const akeys[] = {"page_sizes", "entries", "ways", "replacement", NULL};
	check_keys(c, obj, path, keys);
	t->latency = get_u32(c, obj, path, "latency", 10000);
	const cJSON *arrays = get(c, obj, path, "arrays", true);
	char apath[128];
	join(apath, sizeof apath, path, "arrays");
	if (arrays && (!cJSON_IsArray(arrays) || cJSON_GetArraySize(arrays) < 1 ||
		       cJSON_GetArraySize(arrays) > TLB_MAX_ARRAYS)) {
		fail(c, "key \"%s\" must be a list of 1 to %d arrays", apath, TLB_MAX_ARRAYS);
		return;
	}
	int i = 0;
	for (const cJSON *a = arrays ? arrays->child : NULL; a; a = a->next, i++) {
		char p[160];
		snprintf(p, sizeof p, "%s[%d]", apath, i);
		if (!cJSON_IsObject(a)) {
			fail(c, "key \"%s\" must be an object", p);
			return;
		}
		check_keys(c, a, p, akeys);
		struct tlb_array_config *ac = &t->array[i];
		ac->entries = get_u32(c, a, p, "entries", 1u << 20);
		ac->ways = get_u32(c, a, p, "ways", 1u << 20);
		const char *repl = get_string(c, a, p, "replacement", true);
		if (repl) {
			if (!strcmp(repl, "lru"))
				ac->repl = REPL_LRU;
			else if (!strcmp(repl, "plru"))
				ac->repl = REPL_PLRU;
			else if (!strcmp(repl, "random"))
				ac->repl = REPL_RANDOM;
			else
				fail(c, "key \"%s.replacement\" must be \"lru\", \"plru\" or \"random\", not \"%s\"", p, repl);
		}
		const cJSON *sizes = get(c, a, p, "page_sizes", true);
		if (sizes && (!cJSON_IsArray(sizes) || !cJSON_GetArraySize(sizes))) {
			fail(c, "key \"%s.page_sizes\" must be a list of sizes like \"4K\"", p);
			return;
		}
		for (const cJSON *s = sizes ? sizes->child : NULL; s; s = s->next) {
			unsigned long long sz = cJSON_IsString(s) ? parse_size(s->valuestring) : 0;
			if (!sz || (sz & (sz - 1)) || sz < 4096) {
				fail(c, "key \"%s.page_sizes\" holds a size that is not a power of two of at least 4K", p);
				return;
			}
			ac->sizes |= sz;
		}
	}
	t->narrays = (unsigned)i;
}

static const char *const cost_keys[COST_COUNT] = {
	[COST_TRAP] = "trap", [COST_HANDLER] = "handler", [COST_TABLE_ALLOC] = "table_alloc",
	[COST_ZERO] = "zero_per_kib", [COST_COPY] = "copy_per_kib", [COST_PAGECACHE] = "pagecache_lookup",
	[COST_BACKING_READ] = "backing_read", [COST_SHOOTDOWN] = "tlb_shootdown",
};

int preset_parse(const char *json, const char *origin, struct preset *out, char *err, size_t errlen)
{
	struct ctx c = {.origin = origin, .err = err, .errlen = errlen};
	memset(out, 0, sizeof *out);
	cJSON *root = cJSON_Parse(json);
	if (!root || !cJSON_IsObject(root)) {
		fail(&c, "not a JSON object%s", root ? "" : " (malformed JSON)");
		cJSON_Delete(root);
		return -1;
	}
	static const char *const top_keys[] = {"name", "description", "paging", "phys_mem", "pa_bits", "cpi",
					       "seed", "hw_af", "hw_dbm", "memory", "walker", "tlb",
					       "walk_cache", "fault_costs", "thp", "clock_ghz", "smp", NULL};
	check_keys(&c, root, "", top_keys);
	struct mmu_config *m = &out->mmu;

	const char *s = get_string(&c, root, "", "name", true);
	snprintf(out->name, sizeof out->name, "%s", s ? s : "");
	s = get_string(&c, root, "", "description", true);
	snprintf(out->description, sizeof out->description, "%s", s ? s : "");
	s = get_string(&c, root, "", "paging", true);
	if (s && !(m->fmt = pt_format_by_id(s)))
		fail(&c, "key \"paging\": unknown format \"%s\" (x86-64/4, x86-64/5, aarch64/4k, aarch64/16k, aarch64/64k)", s);
	s = get_string(&c, root, "", "phys_mem", true);
	if (s && !(m->phys_size = parse_size(s)))
		fail(&c, "key \"phys_mem\" must be a size like \"256M\", not \"%s\"", s);
	m->pa_bits = (uint8_t)get_u32(&c, root, "", "pa_bits", 52);
	m->cpi_milli = (uint32_t)(get_number(&c, root, "", "cpi", 0.001, 1000) * 1000 + 0.5);
	m->seed = get_u32(&c, root, "", "seed", UINT32_MAX);
	s = get_string(&c, root, "", "thp", true);
	if (s && !strcmp(s, "never"))
		out->thp = 0;
	else if (s && !strcmp(s, "madvise"))
		out->thp = 1;
	else if (s && !strcmp(s, "always"))
		out->thp = 2;
	else if (s)
		fail(&c, "key \"thp\" must be \"never\", \"madvise\" or \"always\", not \"%s\"", s);
	if (cJSON_GetObjectItemCaseSensitive(root, "clock_ghz"))
		out->clock_ghz = get_number(&c, root, "", "clock_ghz", 0.001, 1000);
	m->hw_af = get_bool(&c, root, "", "hw_af", false);
	m->hw_dbm = get_bool(&c, root, "", "hw_dbm", false);
	if (m->fmt && m->fmt->arch == ARCH_X86_64 && (m->hw_af || m->hw_dbm))
		fail(&c, "keys \"hw_af\"/\"hw_dbm\" are AArch64 features; x86 always manages A and D in hardware");

	static const char *const mem_keys[] = {"l1d", "l2", "l3", "dram", NULL};
	const cJSON *mem = get_object(&c, root, "", "memory", true);
	uint32_t lat[4] = {0};
	if (mem) {
		check_keys(&c, mem, "memory", mem_keys);
		for (int i = 0; i < 4; i++)
			lat[i] = get_u32(&c, mem, "memory", mem_keys[i], 100000);
	}
	const cJSON *walker = get_object(&c, root, "", "walker", true);
	if (walker) {
		static const char *const wkeys[] = {"reads_from", NULL};
		check_keys(&c, walker, "walker", wkeys);
		s = get_string(&c, walker, "walker", "reads_from", true);
		int i = 0;
		while (s && i < 4 && strcmp(s, mem_keys[i]))
			i++;
		if (s && i == 4)
			fail(&c, "key \"walker.reads_from\" must name a memory level (l1d, l2, l3, dram), not \"%s\"", s);
		else if (s)
			m->walk_read_latency = lat[i];
	}

	const cJSON *tlb = get_object(&c, root, "", "tlb", true);
	if (tlb) {
		static const char *const tkeys[] = {"l1i", "l1d", "l2", NULL};
		check_keys(&c, tlb, "tlb", tkeys);
		struct tlb_config *dst[3] = {&m->l1i, &m->l1d, &m->l2};
		for (int i = 0; i < 3; i++) {
			char p[32];
			snprintf(p, sizeof p, "tlb.%s", tkeys[i]);
			const cJSON *t = get_object(&c, tlb, "tlb", tkeys[i], i < 2); /* no L2 TLB is allowed */
			if (t)
				parse_tlb(&c, t, p, dst[i]);
		}
	}

	const cJSON *wc = get_object(&c, root, "", "walk_cache", true);
	if (wc && m->fmt) {
		/* Keyed by the format's name for the cached level: PML4, PDPT, PD / L0, L1, L2. */
		for (const cJSON *it = wc->child; it && !c.failed; it = it->next) {
			if (!strcmp(it->string, "source"))
				continue;
			int level = m->fmt->top_level;
			while (level < PT_LEVEL_LEAF && strcmp(pt_level_info(m->fmt, level)->name, it->string))
				level++;
			char p[64];
			snprintf(p, sizeof p, "walk_cache.%s", it->string);
			if (level == PT_LEVEL_LEAF) {
				fail(&c, "unknown key \"%s\" (a walk cache is named after a non-leaf level of %s)", p,
				     m->fmt->name);
				break;
			}
			if (!cJSON_IsObject(it)) {
				fail(&c, "key \"%s\" must be an object", p);
				break;
			}
			static const char *const ckeys[] = {"entries", "ways", "latency", NULL};
			check_keys(&c, it, p, ckeys);
			struct walk_cache_config *w = &m->walk_cache[level - m->fmt->top_level];
			w->entries = get_u32(&c, it, p, "entries", 1u << 16);
			w->ways = get_u32(&c, it, p, "ways", 1u << 16);
			w->latency = get_u32(&c, it, p, "latency", 10000);
		}
	}

	const cJSON *fc = get_object(&c, root, "", "fault_costs", true);
	if (fc) {
		const char *fkeys[COST_COUNT + 1] = {0};
		int n = 0;
		for (int i = 0; i < COST_COUNT; i++)
			if (cost_keys[i])
				fkeys[n++] = cost_keys[i];
		check_keys(&c, fc, "fault_costs", fkeys);
		for (int i = 0; i < COST_COUNT; i++)
			if (cost_keys[i])
				m->cost[i] = get_u32(&c, fc, "fault_costs", cost_keys[i], 100000000);
	}
	/* Optional: without it one CPU, and shootdowns (which need two) cost nothing. */
	const cJSON *smp = get_object(&c, root, "", "smp", false);
	if (smp) {
		static const char *const skeys[] = {"cpus", "ipi_send", "ipi_receive", "invalidate_entry", "dsb", NULL};
		check_keys(&c, smp, "smp", skeys);
		m->ncpus = get_u32(&c, smp, "smp", "cpus", MMU_MAX_CPUS);
		if (!c.failed && !m->ncpus)
			fail(&c, "key \"smp.cpus\" must be at least 1");
		m->smp_cost.ipi_send = get_u32(&c, smp, "smp", "ipi_send", 100000000);
		m->smp_cost.ipi_receive = get_u32(&c, smp, "smp", "ipi_receive", 100000000);
		m->smp_cost.invalidate_entry = get_u32(&c, smp, "smp", "invalidate_entry", 100000000);
		m->smp_cost.dsb = get_u32(&c, smp, "smp", "dsb", 100000000);
	}
	if (!c.failed && m->fmt && m->phys_size % (1ull << m->fmt->page_shift))
		fail(&c, "key \"phys_mem\" must be a multiple of the %u KiB page size", 1u << (m->fmt->page_shift - 10));
	cJSON_Delete(root);
	return c.failed ? -1 : 0;
}

static const char *bundled_dir = MMUSIM_PRESET_DIR;

void preset_set_dir(const char *dir)
{
	bundled_dir = dir;
}

const char *preset_dir(void)
{
	const char *env = getenv("MMUSIM_PRESETS");
	return env && *env ? env : bundled_dir;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > (1u << 24)) {
				snprintf(err, errlen, "%s: too large for a preset", path);
				goto fail;
			}
			char *nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, 4096, f);
		len += n;
		if (n < 4096)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s", path);
		goto fail;
	}
	fclose(f);
	buf[len] = 0;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

/* The JSON item `path` ("tlb.l1d.arrays[0].entries" or
 * "tlb.l1d.arrays.0.entries") names: its parent and, when it exists, the
 * item. A missing last key of an object is left for the caller to add. */
static cJSON *find_parent(cJSON *root, const char *path, char *key, size_t keylen, cJSON **item)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf; *p; p++)
		if (*p == '[' || *p == ']')
			*p = '.';
	cJSON *parent = NULL, *cur = root;
	char *save = NULL;
	for (char *tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		if (!cur)
			return NULL;   /* a key below one that does not exist */
		parent = cur;
		snprintf(key, keylen, "%s", tok);
		if (cJSON_IsArray(cur)) {
			char *end;
			long i = strtol(tok, &end, 10);
			cur = *end || i < 0 ? NULL : cJSON_GetArrayItem(cur, (int)i);
			if (!cur)
				return NULL;
		} else if (cJSON_IsObject(cur)) {
			cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
		} else {
			return NULL;
		}
	}
	*item = cur;
	return parent;
}

/* One KEY=VALUE setting: VALUE is JSON when it parses as JSON (a number,
 * true, a list), else a string ("always", "4K"). */
static int apply_setting(cJSON *root, const char *setting, const char *origin, char *err, size_t errlen)
{
	const char *eq = strchr(setting, '=');
	char path[256], key[128];
	if (!eq || eq == setting || (size_t)(eq - setting) >= sizeof path) {
		snprintf(err, errlen, "--set %s: not KEY=VALUE", setting);
		return -1;
	}
	snprintf(path, sizeof path, "%.*s", (int)(eq - setting), setting);
	cJSON *item = NULL, *parent = find_parent(root, path, key, sizeof key, &item);
	if (!parent || (!item && !cJSON_IsObject(parent))) {
		snprintf(err, errlen, "--set %s: preset %s has no key \"%s\"", setting, origin, path);
		return -1;
	}
	cJSON *value = cJSON_Parse(eq + 1);
	if (!value)
		value = cJSON_CreateString(eq + 1);
	if (!value) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!item)
		cJSON_AddItemToObject(parent, key, value);
	else if (cJSON_IsObject(parent))
		cJSON_ReplaceItemInObjectCaseSensitive(parent, key, value);   /* keeps the key's name */
	else
		cJSON_ReplaceItemViaPointer(parent, item, value);
	return 0;
}

/* The preset's JSON with the settings applied, printed again. */
static char *apply_settings(const char *json, const char *origin, const char *const *set, int nset, char *err,
			    size_t errlen)
{
	cJSON *root = cJSON_Parse(json);
	if (!root || !cJSON_IsObject(root)) {
		struct ctx c = {.origin = origin, .err = err, .errlen = errlen};
		fail(&c, "not a JSON object%s", root ? "" : " (malformed JSON)");
		cJSON_Delete(root);
		return NULL;
	}
	char *out = NULL;
	int i = 0;
	while (i < nset && apply_setting(root, set[i], origin, err, errlen) == 0)
		i++;
	if (i == nset && !(out = cJSON_PrintUnformatted(root)))
		snprintf(err, errlen, "out of memory");
	cJSON_Delete(root);
	return out;
}

int preset_load_set(const char *name_or_path, const char *const *set, int nset, struct preset *out, char *err,
		    size_t errlen)
{
	char path[PATH_MAX + 80];
	if (strchr(name_or_path, '/') || strstr(name_or_path, ".json"))
		snprintf(path, sizeof path, "%s", name_or_path);
	else
		snprintf(path, sizeof path, "%s/%s.json", preset_dir(), name_or_path);
	char *json = read_file(path, err, errlen);
	if (!json) {
		if (!strchr(name_or_path, '/') && !strstr(name_or_path, ".json"))
			snprintf(err, errlen, "unknown preset \"%s\" (see mmusim presets)", name_or_path);
		return -1;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (nset) {
		char *changed = apply_settings(json, base, set, nset, err, errlen);
		free(json);
		if (!(json = changed))
			return -1;
	}
	int rc = preset_parse(json, base, out, err, errlen);
	free(json);
	if (rc == 0)
		snprintf(out->path, sizeof out->path, "%.*s", (int)sizeof out->path - 1, path);
	return rc;
}

int preset_load(const char *name_or_path, struct preset *out, char *err, size_t errlen)
{
	return preset_load_set(name_or_path, NULL, 0, out, err, errlen);
}

static int cmp_names(const void *a, const void *b) { return strcmp(a, b); }

int preset_list(char names[][64], int max)
{
	DIR *d = opendir(preset_dir());
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		size_t len = strlen(e->d_name);
		if (len > 5 && len < 64 && !strcmp(e->d_name + len - 5, ".json")) {
			memcpy(names[n], e->d_name, len - 5);
			names[n][len - 5] = 0;
			n++;
		}
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], cmp_names);
	return n;
}
