/* The event-log reader: each JSON line becomes a compact struct gev (fault
 * details go to struct gfault). Anything malformed is one message,
 * "name:line: reason"; nothing of a bad line is kept. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui/model.h"
#include "mmu/errmsg.h"

struct line_ctx {
	struct evlog *l;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct line_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct line_ctx *c, const char *fmt, ...)
{
	if (c->failed)
		return;
	c->failed = true;
	va_list ap;
	va_start(ap, fmt);
	errmsg_vset(c->err, c->errlen, c->l->name, c->l->line, fmt, ap);
	va_end(ap);
}

void evlog_init(struct evlog *l, const char *name)
{
	memset(l, 0, sizeof *l);
	snprintf(l->name, sizeof l->name, "%s", name);
}

static void fault_free(struct gfault *f)
{
	free(f->insn);
	free(f->vma_file);
	free(f->path);
	free(f->chain);
	free(f->ptes);
}

void evlog_free(struct evlog *l)
{
	for (size_t i = 0; i < l->nfaults; i++)
		fault_free(&l->faults[i]);
	free(l->faults);
	for (uint32_t i = 0; i < l->nfiles; i++)
		free(l->files[i]);
	free(l->files);
	free(l->ev);
	free(l->bigline);
	memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------- fields */

static const cJSON *field(struct line_ctx *c, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		fail(c, "\"%s\" is missing", key);
	return v;
}

static int64_t get_int(struct line_ctx *c, const cJSON *o, const char *key)
{
	const cJSON *v = field(c, o, key);
	if (!v)
		return 0;
	/* In range before the cast: converting a double outside int64_t is
	 * undefined (found by fuzzing: 1.2e55). */
	double d = cJSON_IsNumber(v) ? v->valuedouble : 0.5;
	if (!(d >= -0x1p63 && d < 0x1p63) || d != (double)(int64_t)d) {
		fail(c, "\"%s\" is not an integer", key);
		return 0;
	}
	return (int64_t)v->valuedouble;
}

static uint64_t parse_hex(struct line_ctx *c, const cJSON *v, const char *key)
{
	if (!cJSON_IsString(v) || strncmp(v->valuestring, "0x", 2) || !v->valuestring[2]) {
		fail(c, "\"%s\" is not a hex string", key);
		return 0;
	}
	char *end;
	errno = 0;
	uint64_t x = strtoull(v->valuestring + 2, &end, 16);
	if (errno || *end) {
		fail(c, "\"%s\" is not a hex string", key);
		return 0;
	}
	return x;
}

static uint64_t get_hex(struct line_ctx *c, const cJSON *o, const char *key)
{
	const cJSON *v = field(c, o, key);
	return v ? parse_hex(c, v, key) : 0;
}

static const char *get_str(struct line_ctx *c, const cJSON *o, const char *key)
{
	const cJSON *v = field(c, o, key);
	if (v && !cJSON_IsString(v)) {
		fail(c, "\"%s\" is not a string", key);
		return "";
	}
	return v ? v->valuestring : "";
}

static bool has(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key) != NULL; }

static char *join_strings(struct line_ctx *c, const cJSON *o, const char *key)
{
	const cJSON *a = field(c, o, key);
	if (!a)
		return NULL;
	if (!cJSON_IsArray(a)) {
		fail(c, "\"%s\" is not a list", key);
		return NULL;
	}
	size_t len = 1;
	const cJSON *s;
	cJSON_ArrayForEach(s, a) {
		if (!cJSON_IsString(s)) {
			fail(c, "\"%s\" holds a non-string", key);
			return NULL;
		}
		len += strlen(s->valuestring) + 3;
	}
	char *out = malloc(len), *p = out;
	if (!out)
		return NULL;
	*p = '\0';
	cJSON_ArrayForEach(s, a) {
		if (p != out)
			p = stpcpy(p, " > ");
		p = stpcpy(p, s->valuestring);
	}
	return out;
}

static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

/* ----------------------------------------------------------- kinds */

static const struct {
	const char *name;
	enum gev_kind kind;
} kinds[] = {
	{"fault", GEV_FAULT},         {"pte", GEV_PTE},           {"table_alloc", GEV_TABLE_ALLOC},
	{"table_free", GEV_TABLE_FREE}, {"frame_alloc", GEV_FRAME_ALLOC}, {"frame_free", GEV_FRAME_FREE},
	{"cow_copy", GEV_COW_COPY},   {"tlb_fill", GEV_TLB_FILL}, {"tlb_flush", GEV_TLB_FLUSH},
	{"proc_create", GEV_PROC_CREATE}, {"proc_exit", GEV_PROC_EXIT}, {"switch", GEV_SWITCH},
	{"exec", GEV_EXEC},           {"mmap", GEV_MMAP},         {"munmap", GEV_MUNMAP},
	{"mprotect", GEV_MPROTECT},   {"brk", GEV_BRK},           {"pagecache_share", GEV_PAGECACHE_SHARE},
	{"mremap", GEV_MREMAP},
};

static const char *const use_names[USE_COUNT] = {"free", "anon", "pagetable", "zero", "pagecache"};
static const char *const tlb_names[TLB_KINDS] = {"L1i", "L1d", "L2"};

static int name_index(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static void note_frame(struct evlog *l, uint64_t pa)
{
	uint64_t f = (pa >> l->fmt->page_shift) + 1;
	if (f > l->max_frame && f < (1u << 24))
		l->max_frame = f;
}

static void read_tlb_entry(struct line_ctx *c, const cJSON *o, const char *key, struct tlb_entry_ev *e)
{
	const cJSON *v = field(c, o, key);
	if (!v || cJSON_IsNull(v))
		return;
	if (!cJSON_IsObject(v)) {
		fail(c, "\"%s\" is not an object or null", key);
		return;
	}
	e->valid = true;
	e->va = get_hex(c, v, "va");
	e->asid = (uint16_t)get_int(c, v, "asid");
	e->size = (uint64_t)get_int(c, v, "size");
	const cJSON *g = field(c, v, "global");
	e->global = g && cJSON_IsTrue(g);
}

static void read_tlb_fill(struct line_ctx *c, const cJSON *o, struct gev *e)
{
	int t = name_index(get_str(c, o, "tlb"), tlb_names, TLB_KINDS);
	int64_t array = get_int(c, o, "array"), set = get_int(c, o, "set"), way = get_int(c, o, "way");
	if (c->failed)
		return;
	if (t < 0 || array < 0 || array >= TLB_MAX_ARRAYS || set < 0 || set >= 8192 || way < 0 || way >= 64) {
		fail(c, "tlb_fill names no TLB slot (tlb, array, set or way out of range)");
		return;
	}
	e->tlb = (uint8_t)t;
	e->array = (uint8_t)array;
	e->index = (uint32_t)set;
	e->way = (uint32_t)way;
	read_tlb_entry(c, o, "entry", &e->entry);
	read_tlb_entry(c, o, "victim", &e->victim);
	struct evlog *l = c->l;
	if (l->tlb_sets[t][array] <= set)
		l->tlb_sets[t][array] = (uint32_t)set + 1;
	if (l->tlb_ways[t][array] <= way)
		l->tlb_ways[t][array] = (uint32_t)way + 1;
	if (e->entry.valid && !l->tlb_size[t][array])
		l->tlb_size[t][array] = e->entry.size;
}

static void read_vma(struct line_ctx *c, const cJSON *o, struct gfault *f)
{
	const cJSON *v = field(c, o, "vma");
	if (!v || cJSON_IsNull(v))
		return;
	if (!cJSON_IsObject(v)) {
		fail(c, "\"vma\" is not an object or null");
		return;
	}
	f->has_vma = true;
	f->vma_start = get_hex(c, v, "start");
	f->vma_end = get_hex(c, v, "end");
	snprintf(f->vma_prot, sizeof f->vma_prot, "%s", get_str(c, v, "prot"));
	snprintf(f->vma_flags, sizeof f->vma_flags, "%s", get_str(c, v, "flags"));
	if (has(v, "file"))
		f->vma_file = dup_or_null(get_str(c, v, "file"));
	if (has(v, "offset"))
		f->vma_offset = get_hex(c, v, "offset");
}

static void read_syndrome(struct line_ctx *c, const cJSON *o, struct gfault *f)
{
	if (has(o, "vector")) {
		f->has_syn = true;
		f->syn.vector = (uint8_t)get_int(c, o, "vector");
		f->syn.code = get_hex(c, o, "error_code");
		f->syn.addr_valid = has(o, "cr2");
		if (f->syn.addr_valid)
			f->syn.addr = get_hex(c, o, "cr2");
	} else if (has(o, "esr")) {
		f->has_syn = true;
		f->syn.code = get_hex(c, o, "esr");
		f->syn.vector = (uint8_t)(f->syn.code >> 26);
		f->syn.addr_valid = has(o, "far");
		if (f->syn.addr_valid)
			f->syn.addr = get_hex(c, o, "far");
	}
}

static void read_ptes(struct line_ctx *c, const cJSON *o, struct gfault *f)
{
	const cJSON *a = field(c, o, "ptes");
	if (!a)
		return;
	if (!cJSON_IsArray(a)) {
		fail(c, "\"ptes\" is not a list");
		return;
	}
	int n = cJSON_GetArraySize(a);
	f->ptes = calloc((size_t)n + 1, sizeof *f->ptes);
	if (!f->ptes) {
		fail(c, "out of memory");
		return;
	}
	const cJSON *p;
	cJSON_ArrayForEach(p, a) {
		struct gpte *g = &f->ptes[f->nptes++];
		g->level = (int8_t)get_int(c, p, "level");
		g->table = get_hex(c, p, "table");
		g->index = (uint32_t)get_int(c, p, "index");
		g->va = get_hex(c, p, "va");
		g->old = get_hex(c, p, "old");
		g->val = get_hex(c, p, "new");
	}
}

static void read_fault(struct line_ctx *c, const cJSON *o, struct gev *e)
{
	struct evlog *l = c->l;
	if (l->nfaults == l->fcap) {
		size_t cap = l->fcap ? l->fcap * 2 : 256;
		struct gfault *nf = realloc(l->faults, cap * sizeof *nf);
		if (!nf) {
			fail(c, "out of memory");
			return;
		}
		l->faults = nf;
		l->fcap = cap;
	}
	struct gfault f = {0};
	f.pid = e->pid;
	f.n = (int)get_int(c, o, "n");
	f.va = get_hex(c, o, "va");
	snprintf(f.access, sizeof f.access, "%s", get_str(c, o, "access"));
	snprintf(f.kind, sizeof f.kind, "%s", get_str(c, o, "kind"));
	f.level = (int)get_int(c, o, "level");
	read_syndrome(c, o, &f);
	if (has(o, "pc")) {
		f.has_pc = true;
		f.pc = get_hex(c, o, "pc");
		f.insn = dup_or_null(get_str(c, o, "insn"));
	}
	read_vma(c, o, &f);
	f.path = join_strings(c, o, "path");
	f.chain = join_strings(c, o, "chain");
	read_ptes(c, o, &f);
	f.tables = (int)get_int(c, o, "tables");
	f.frames = (int)get_int(c, o, "frames");
	f.copied = (int)get_int(c, o, "copied");
	if (has(o, "around"))
		f.around = (int)get_int(c, o, "around");
	const cJSON *major = field(c, o, "major");
	f.major = major && cJSON_IsTrue(major);
	f.cycles = (uint64_t)get_int(c, o, "cycles");
	snprintf(f.outcome, sizeof f.outcome, "%s", get_str(c, o, "outcome"));
	if (has(o, "signal"))
		f.signal = (int)get_int(c, o, "signal");
	if (!c->failed && (f.level < l->fmt->top_level || f.level > PT_LEVEL_LEAF))
		fail(c, "fault level %d is not a level of %s", f.level, l->fmt->id);
	if (c->failed) {
		fault_free(&f);
		return;
	}
	f.ev = l->nev;
	e->index = (uint32_t)l->nfaults;
	l->faults[l->nfaults++] = f;
}

/* The file's number in the log's list of names, added if new: a log names
 * a few libraries many times over. UINT32_MAX when memory ran out. */
static uint32_t intern_file(struct line_ctx *c, const char *name)
{
	struct evlog *l = c->l;
	for (uint32_t i = l->nfiles; i-- > 0;)
		if (!strcmp(l->files[i], name))
			return i;
	if (l->nfiles == l->filecap) {
		uint32_t cap = l->filecap ? l->filecap * 2 : 16;
		char **n = realloc(l->files, cap * sizeof *n);
		if (!n)
			return UINT32_MAX;
		l->files = n;
		l->filecap = cap;
	}
	if (!(l->files[l->nfiles] = strdup(name)))
		return UINT32_MAX;
	return l->nfiles++;
}

static void read_pagecache_share(struct line_ctx *c, const cJSON *o, struct gev *e)
{
	e->pa = get_hex(c, o, "pa");
	e->va = get_hex(c, o, "va");
	e->old = get_hex(c, o, "offset");
	int64_t count = get_int(c, o, "mapcount");
	const char *file = get_str(c, o, "file");
	if (c->failed)
		return;
	if (count < 2 || count > UINT32_MAX) {
		fail(c, "pagecache_share mapcount %" PRId64 " is not 2 or more", count);
		return;
	}
	e->val = (uint64_t)count;
	if ((e->index = intern_file(c, file)) == UINT32_MAX)
		fail(c, "out of memory");
	note_frame(c->l, e->pa);
}

static void read_event_fields(struct line_ctx *c, const cJSON *o, struct gev *e)
{
	struct evlog *l = c->l;
	switch ((enum gev_kind)e->kind) {
	case GEV_FAULT:
		read_fault(c, o, e);
		break;
	case GEV_PTE: {
		int64_t level = get_int(c, o, "level");
		e->pa = get_hex(c, o, "table");
		int64_t index = get_int(c, o, "index");
		e->va = get_hex(c, o, "va");
		e->old = get_hex(c, o, "old");
		e->val = get_hex(c, o, "new");
		if (c->failed)
			break;
		const struct pt_level *li = pt_level_info(l->fmt, (int)level);
		if (level < l->fmt->top_level || level > PT_LEVEL_LEAF || !li || index < 0 ||
		    index >= (int64_t)1 << li->index_bits)
			fail(c, "pte level %" PRId64 " index %" PRId64 " is not an entry of %s", level, index, l->fmt->id);
		e->level = (int8_t)level;
		e->index = (uint32_t)index;
		note_frame(l, e->pa);
		break;
	}
	case GEV_TABLE_ALLOC:
	case GEV_TABLE_FREE:
		e->pa = get_hex(c, o, "pa");
		e->level = (int8_t)get_int(c, o, "level");
		if (!c->failed && (e->level < l->fmt->top_level || e->level > PT_LEVEL_LEAF))
			fail(c, "table level %d is not a level of %s", e->level, l->fmt->id);
		note_frame(l, e->pa);
		break;
	case GEV_FRAME_ALLOC:
	case GEV_FRAME_FREE: {
		e->pa = get_hex(c, o, "pa");
		int u = name_index(get_str(c, o, "use"), use_names, USE_COUNT);
		if (!c->failed && u <= 0)
			fail(c, "unknown frame use \"%s\"", get_str(c, o, "use"));
		e->use = (uint8_t)(u < 0 ? 0 : u);
		note_frame(l, e->pa);
		break;
	}
	case GEV_COW_COPY:
		e->va = get_hex(c, o, "va");
		e->pa = get_hex(c, o, "from");
		e->val = get_hex(c, o, "to");
		break;
	case GEV_TLB_FILL:
		read_tlb_fill(c, o, e);
		break;
	case GEV_TLB_FLUSH: {
		const char *scope = get_str(c, o, "scope");
		e->scope = !strcmp(scope, "va") ? 0 : !strcmp(scope, "asid") ? 1 : 2;
		if (!c->failed && strcmp(scope, "va") && strcmp(scope, "asid") && strcmp(scope, "all"))
			fail(c, "unknown tlb_flush scope \"%s\"", scope);
		e->va = get_hex(c, o, "va");
		e->asid = (int)get_int(c, o, "asid");
		break;
	}
	case GEV_PROC_CREATE:
	case GEV_PROC_EXIT:
	case GEV_SWITCH:
	case GEV_EXEC:
		e->parent = (int)get_int(c, o, "parent");
		e->pa = get_hex(c, o, "root");
		e->asid = (int)get_int(c, o, "asid");
		e->result = get_int(c, o, "code");
		break;
	case GEV_MMAP:
	case GEV_MUNMAP:
	case GEV_MPROTECT:
	case GEV_BRK:
	case GEV_MREMAP: {
		e->va = get_hex(c, o, "addr");
		e->old = get_hex(c, o, "len");
		if (e->kind == GEV_MREMAP)
			e->val = get_hex(c, o, "new_len");
		else
			e->prot = (uint32_t)get_int(c, o, "prot");
		e->flags = (uint32_t)get_int(c, o, "flags");
		const cJSON *r = field(c, o, "result");
		if (r && cJSON_IsString(r))
			e->result = (int64_t)parse_hex(c, r, "result");
		else if (r && cJSON_IsNumber(r))
			e->result = (int64_t)r->valuedouble;
		else if (r)
			fail(c, "\"result\" is neither an address nor an errno");
		break;
	}
	case GEV_PAGECACHE_SHARE:
		read_pagecache_share(c, o, e);
		break;
	case GEV_OTHER:
		break;
	}
}

/* The header's "tlb": each TLB's arrays as [sets, ways, page size] (logs
 * without it get the geometry their fills show). Geometry beyond what a
 * fill may name is ignored. */
static void read_tlb_geometry(struct evlog *l, const cJSON *tlb)
{
	for (int t = 0; t < TLB_KINDS; t++) {
		const cJSON *arrays = cJSON_GetObjectItemCaseSensitive(tlb, tlb_names[t]);
		int a = 0;
		const cJSON *g;
		cJSON_ArrayForEach(g, arrays) {
			if (a == TLB_MAX_ARRAYS)
				break;
			const cJSON *sets = cJSON_GetArrayItem(g, 0), *ways = cJSON_GetArrayItem(g, 1);
			if (cJSON_IsNumber(sets) && cJSON_IsNumber(ways) && sets->valuedouble >= 1 &&
			    ways->valuedouble >= 1 && sets->valuedouble <= 8192 && ways->valuedouble <= 64) {
				l->tlb_sets[t][a] = (uint32_t)sets->valuedouble;
				l->tlb_ways[t][a] = (uint32_t)ways->valuedouble;
			}
			const cJSON *page = cJSON_GetArrayItem(g, 2);
			if (cJSON_IsNumber(page) && page->valuedouble >= 4096 && page->valuedouble <= 0x1p40)
				l->tlb_size[t][a] = (uint64_t)page->valuedouble;
			a++;
		}
	}
}

static int read_header(struct line_ctx *c, const cJSON *o)
{
	struct evlog *l = c->l;
	const cJSON *format = cJSON_GetObjectItemCaseSensitive(o, "format");
	if (!cJSON_IsString(format) || strcmp(format->valuestring, "mmusim-events")) {
		fail(c, "not an mmusim event log (the first line has no \"format\":\"mmusim-events\")");
		return -1;
	}
	if (get_int(c, o, "version") != 1 && !c->failed)
		fail(c, "event log version %" PRId64 " is not supported (1 is)", get_int(c, o, "version"));
	const char *paging = get_str(c, o, "paging");
	if (c->failed)
		return -1;
	if (!(l->fmt = pt_format_by_id(paging))) {
		fail(c, "unknown paging \"%s\"", paging);
		return -1;
	}
	snprintf(l->arch, sizeof l->arch, "%s", get_str(c, o, "arch"));
	if (has(o, "preset"))
		snprintf(l->preset, sizeof l->preset, "%s", get_str(c, o, "preset"));
	if (has(o, "personality"))
		snprintf(l->personality, sizeof l->personality, "%s", get_str(c, o, "personality"));
	read_tlb_geometry(l, cJSON_GetObjectItemCaseSensitive(o, "tlb"));
	if (c->failed)
		return -1;
	l->header_seen = true;
	return 0;
}

static int parse_object(struct line_ctx *c, const cJSON *o)
{
	struct evlog *l = c->l;
	if (!l->header_seen)
		return read_header(c, o);
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "ev");
	if (!cJSON_IsString(ev)) {
		fail(c, "the record has no \"ev\" string");
		return -1;
	}
	if (!strcmp(ev->valuestring, "stats")) {
		l->ended = true;
		return 0;
	}
	if (l->ended) {
		fail(c, "an event after the stats record");
		return -1;
	}
	struct gev e = {0};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(ev->valuestring, kinds[i].name))
			e.kind = (uint8_t)kinds[i].kind;
	get_int(c, o, "seq");
	e.pid = (int)get_int(c, o, "pid");
	if (c->failed)
		return -1;
	read_event_fields(c, o, &e);
	if (c->failed)
		return -1;
	if (l->nev == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		struct gev *n = realloc(l->ev, cap * sizeof *n);
		if (!n) {
			fail(c, "out of memory");
			return -1;
		}
		l->ev = n;
		l->cap = cap;
	}
	l->ev[l->nev++] = e;
	return 0;
}

int evlog_add_line(struct evlog *l, const char *line, size_t len, char *err, size_t errlen)
{
	struct line_ctx c = {l, err, errlen, false};
	l->line++;
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len) {
		fail(&c, "an empty line");
		return -1;
	}
	cJSON *o = cJSON_ParseWithLength(line, len);
	if (!o) {
		fail(&c, "not valid JSON");
		return -1;
	}
	int rc = -1;
	if (!cJSON_IsObject(o))
		fail(&c, "not a JSON object");
	else
		rc = parse_object(&c, o);
	cJSON_Delete(o);
	return c.failed ? -1 : rc;
}

int evlog_feed(struct evlog *l, const char *buf, size_t len, char *err, size_t errlen)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) : len;
		char *nb = realloc(l->bigline, l->nbig + take + 1);
		if (!nb) {
			snprintf(err, errlen, "%s: out of memory", l->name);
			return -1;
		}
		l->bigline = nb;
		memcpy(l->bigline + l->nbig, buf, take);
		l->nbig += take;
		if (!nl)
			break;
		if (evlog_add_line(l, l->bigline, l->nbig, err, errlen))
			return -1;
		l->nbig = 0;
		buf += take + 1;
		len -= take + 1;
	}
	return 0;
}

int evlog_read_file(struct evlog *l, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char buf[65536];
	size_t n;
	int rc = 0;
	while (!rc && (n = fread(buf, 1, sizeof buf, f)) > 0)
		rc = evlog_feed(l, buf, n, err, errlen);
	if (!rc && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(f);
	if (!rc && l->nbig) {   /* a last line without its newline */
		rc = evlog_add_line(l, l->bigline, l->nbig, err, errlen);
		l->nbig = 0;
	}
	if (!rc && !l->header_seen) {
		snprintf(err, errlen, "%s:1: empty: not an mmusim event log", l->name);
		rc = -1;
	}
	return rc;
}
