/* Valgrind lackey logs to traces. `valgrind --tool=lackey --trace-mem=yes`
 * writes one line per access:
 *     I  04016d0,3          instruction fetch   -> "x"
 *      L 1ffefffd40,8       load                -> "r"
 *      S 1ffefffd40,8       store               -> "w"
 *      M 0421f08,4          modify              -> "r" then "w"
 * (hex address without "0x", decimal size). Lines starting "I  " or " L ",
 * " S ", " M " are access lines and must parse, or the conversion fails
 * naming the line; every other line (the "==pid==" banner and summary, the
 * program's own output) is skipped.
 *
 * The input is read twice. The first pass collects the set of pages the
 * accesses touch, in 4 KiB pages for x86-64 and 64 KiB for AArch64 (so the
 * trace replays under any granule). Touched pages are coalesced into ranges,
 * and two ranges less than 1 MiB apart are merged (the gap is mapped too):
 * a typical log becomes a handful of mappings (text, data and heap, the
 * loader, libraries, the stack) instead of thousands, and mapping untouched
 * pages costs nothing, as they are only populated on first touch. Each
 * range becomes {"op":"mmap",...,"prot":"rwx","flags":"private,anonymous,fixed"}
 * at the head of the trace; the second pass writes the accesses. A stream
 * (stdin, a pipe) is spooled to a temporary file first. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "traces/traces.h"
#include "mmu/errmsg.h"

#define MERGE_GAP (1ull << 20)
#define EMPTY_SLOT UINT64_MAX

/* ---- A set of page numbers (open addressing) -------------------------------- */

struct pageset {
	uint64_t *slot;
	size_t cap, count;  /* cap: a power of two */
};

static size_t slot_of(const struct pageset *s, uint64_t page)
{
	uint64_t h = page * 0x9e3779b97f4a7c15ull;
	return (size_t)(h ^ (h >> 29)) & (s->cap - 1);
}

static bool pageset_has(const struct pageset *s, uint64_t page)
{
	if (!s->cap)
		return false;
	for (size_t i = slot_of(s, page);; i = (i + 1) & (s->cap - 1)) {
		if (s->slot[i] == page)
			return true;
		if (s->slot[i] == EMPTY_SLOT)
			return false;
	}
}

static int pageset_add(struct pageset *s, uint64_t page)
{
	if ((s->count + 1) * 2 > s->cap) {
		struct pageset bigger = {.cap = s->cap ? s->cap * 2 : 1024};
		bigger.slot = malloc(bigger.cap * sizeof *bigger.slot);
		if (!bigger.slot)
			return -1;
		memset(bigger.slot, 0xff, bigger.cap * sizeof *bigger.slot);
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i] != EMPTY_SLOT)
				pageset_add(&bigger, s->slot[i]);
		free(s->slot);
		*s = bigger;
	}
	size_t i = slot_of(s, page);
	while (s->slot[i] != EMPTY_SLOT && s->slot[i] != page)
		i = (i + 1) & (s->cap - 1);
	if (s->slot[i] == EMPTY_SLOT) {
		s->slot[i] = page;
		s->count++;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- Lines ------------------------------------------------------------------ */

struct lk_access {
	char kind;  /* 'I', 'L', 'S', 'M' */
	uint64_t addr, size;
};

/* 1: an access; 0: not an access line; -1: an access line that does not
 * parse (msg filled). */
static int parse_line(const char *s, size_t len, struct lk_access *a, char *msg, size_t n)
{
	if (len < 3 || s[2] != ' ')
		return 0;
	if (s[0] == 'I' && s[1] == ' ')
		a->kind = 'I';
	else if (s[0] == ' ' && (s[1] == 'L' || s[1] == 'S' || s[1] == 'M'))
		a->kind = s[1];
	else
		return 0;
	const char *p = s + 3, *e = s + len;
	while (p < e && *p == ' ')
		p++;
	uint64_t addr = 0;
	int digits = 0, sig = 0;
	for (; p < e; p++, digits++) {
		unsigned c = (unsigned char)*p, d;
		if (c - '0' < 10u)
			d = c - '0';
		else if ((c | 0x20) - 'a' < 6u)
			d = (c | 0x20) - 'a' + 10;
		else
			break;
		if (sig || d)
			sig++;
		addr = addr << 4 | d;
	}
	uint64_t size = 0;
	int sdigits = 0;
	if (digits && sig <= 16 && p < e && *p == ',') {
		for (p++; p < e && (unsigned)(*p - '0') < 10u && sdigits < 10; p++, sdigits++)
			size = size * 10 + (uint64_t)(*p - '0');
	}
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	if (!digits || sig > 16 || !sdigits || p != e) {
		snprintf(msg, n, "malformed lackey access line (expected like \" L 1ffefffd40,8\")");
		return -1;
	}
	if (size < 1 || size > 4096) {
		snprintf(msg, n, "access size %" PRIu64 " is outside 1 to 4096", size);
		return -1;
	}
	if (addr + (size - 1) < addr) {
		snprintf(msg, n, "access at 0x%" PRIx64 " runs past the end of the address space", addr);
		return -1;
	}
	a->addr = addr;
	a->size = size;
	return 1;
}

struct conv {
	const char *name;  /* for messages */
	FILE *in;
	char *line;
	size_t linecap;
	uint64_t lineno;
	char *err;
	size_t errlen;
};

static int conv_fail(struct conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int conv_fail(struct conv *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	errmsg_vset(c->err, c->errlen, c->name, c->lineno ? (long long)c->lineno : ERRMSG_NO_LINE, fmt, ap);
	va_end(ap);
	return -1;
}

/* 1: an access in *a; 0: end of input; -1: error. */
static int next_access(struct conv *c, struct lk_access *a)
{
	ssize_t n;
	while ((n = getline(&c->line, &c->linecap, c->in)) > 0) {
		c->lineno++;
		size_t len = (size_t)n;
		if (c->line[len - 1] == '\n')
			len--;
		char msg[256];
		int rc = parse_line(c->line, len, a, msg, sizeof msg);
		if (rc < 0)
			return conv_fail(c, "%s", msg);
		if (rc)
			return 1;
	}
	if (ferror(c->in)) {
		c->lineno = 0;
		return conv_fail(c, "read error: %s", strerror(errno));
	}
	return 0;
}

/* A regular file to read twice: the input itself, or a spooled copy (for
 * stdin always, even when it is a file: it may not stand at its start). */
static FILE *open_input(const char *path, struct conv *c)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f) {
		conv_fail(c, "%s", strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && !is_stdin)
		return f;
	FILE *spool = tmpfile();
	if (!spool) {
		conv_fail(c, "cannot create a temporary file: %s", strerror(errno));
		if (!is_stdin)
			fclose(f);
		return NULL;
	}
	char buf[65536];
	size_t got;
	while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
		if (fwrite(buf, 1, got, spool) != got) {
			conv_fail(c, "cannot write a temporary file: %s", strerror(errno));
			break;
		}
	}
	bool bad = ferror(f) || ferror(spool);
	if (ferror(f))
		conv_fail(c, "read error: %s", strerror(errno));
	if (!is_stdin)
		fclose(f);
	if (bad || fflush(spool) || fseek(spool, 0, SEEK_SET)) {
		if (!bad)
			conv_fail(c, "cannot write a temporary file: %s", strerror(errno));
		fclose(spool);
		return NULL;
	}
	return spool;
}

int lackey_convert(const char *in_path, const char *out_path, enum mmu_arch arch, char *err, size_t errlen)
{
	struct conv c = {.name = strcmp(in_path, "-") ? in_path : "<stdin>", .err = err, .errlen = errlen};
	unsigned shift = arch == ARCH_AARCH64 ? 16 : 12;
	struct pageset pages = {0};
	uint64_t *sorted = NULL;
	struct trace_writer *w = NULL;
	int rc = -1;

	c.in = open_input(in_path, &c);
	if (!c.in)
		return -1;
	char *inbuf = malloc(1 << 20);
	if (inbuf)
		setvbuf(c.in, inbuf, _IOFBF, 1 << 20);

	/* Pass 1: the pages touched. */
	struct lk_access a;
	uint64_t last = EMPTY_SLOT;
	int got;
	while ((got = next_access(&c, &a)) == 1) {
		uint64_t first = a.addr >> shift, end = (a.addr + a.size - 1) >> shift;
		for (uint64_t pg = first; pg <= end; pg++) {
			if (pg == last)
				continue;
			if (pageset_add(&pages, pg)) {
				conv_fail(&c, "out of memory");
				goto out;
			}
			last = pg;
		}
	}
	if (got < 0)
		goto out;

	/* The ranges: sorted pages, runs joined across gaps under MERGE_GAP. */
	sorted = malloc((pages.count ? pages.count : 1) * sizeof *sorted);
	if (!sorted) {
		c.lineno = 0;
		conv_fail(&c, "out of memory");
		goto out;
	}
	size_t np = 0;
	for (size_t i = 0; i < pages.cap; i++)
		if (pages.slot[i] != EMPTY_SLOT)
			sorted[np++] = pages.slot[i];
	qsort(sorted, np, sizeof *sorted, cmp_u64);

	char comment[600];
	snprintf(comment, sizeof comment, "converted from the valgrind lackey log %s", c.name);
	w = trace_create(out_path, arch, comment, err, errlen);
	if (!w)
		goto out;
	for (size_t i = 0; i < np;) {
		uint64_t lo = sorted[i], hi = sorted[i];  /* pages lo..hi inclusive */
		for (i++; i < np && sorted[i] - hi - 1 < (MERGE_GAP >> shift); i++)
			hi = sorted[i];
		struct trace_rec r = {.op = TR_MMAP,
				      .pid = -1,
				      .va = lo << shift,
				      .len = (hi - lo + 1) << shift,
				      .prot = TR_PROT_R | TR_PROT_W | TR_PROT_X,
				      .flags = TR_MAP_PRIVATE | TR_MAP_ANONYMOUS | TR_MAP_FIXED};
		trace_write(w, &r);
	}

	/* Pass 2: the accesses. */
	if (fseek(c.in, 0, SEEK_SET)) {
		c.lineno = 0;
		conv_fail(&c, "cannot read the log a second time: %s", strerror(errno));
		goto out;
	}
	c.lineno = 0;
	while ((got = next_access(&c, &a)) == 1) {
		if (!pageset_has(&pages, a.addr >> shift) || !pageset_has(&pages, (a.addr + a.size - 1) >> shift)) {
			conv_fail(&c, "the log changed while it was being converted");
			goto out;
		}
		struct trace_rec r = {.pid = -1, .va = a.addr, .len = a.size};
		switch (a.kind) {
		case 'I': r.op = TR_FETCH; break;
		case 'L': r.op = TR_READ; break;
		case 'S': r.op = TR_WRITE; break;
		case 'M':
			r.op = TR_READ;
			trace_write(w, &r);
			r.op = TR_WRITE;
			break;
		}
		trace_write(w, &r);
	}
	if (got < 0)
		goto out;
	rc = trace_finish(w, err, errlen);
	w = NULL;
out:
	if (w)
		trace_abort(w);
	free(sorted);
	free(pages.slot);
	free(c.line);
	fclose(c.in);
	free(inbuf);
	return rc;
}
