/* The sweep's table: one row a point, built from each point's stats JSON
 * (--stats-json, the event log's stats record), written and read as CSV
 * so that points run on other machines can be merged. */
#include "sim/sweep.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char *const sweep_result_columns[] = {
	"status",     "accesses",    "instructions", "faults",        "minor_faults", "major_faults",
	"l1i_hits",   "l1i_misses",  "l1d_hits",     "l1d_misses",    "l1d_miss_rate", "l2_hits",
	"l2_misses",  "l2_miss_rate", "walks",       "walk_reads",    "cycles",       "translation_cycles",
	"os_cycles",  NULL,
};

static int result_count(void)
{
	int n = 0;
	while (sweep_result_columns[n])
		n++;
	return n;
}

int sweep_table_init(struct sweep_table *t, int nparams, const char *const *params)
{
	memset(t, 0, sizeof *t);
	t->nparams = nparams;
	t->ncols = 1 + nparams + result_count();
	if (!(t->header = calloc((size_t)t->ncols, sizeof *t->header)))
		return -1;
	t->header[0] = strdup("point");
	for (int i = 0; i < nparams; i++)
		t->header[1 + i] = strdup(params[i]);
	for (int i = 0; sweep_result_columns[i]; i++)
		t->header[1 + nparams + i] = strdup(sweep_result_columns[i]);
	for (int i = 0; i < t->ncols; i++)
		if (!t->header[i])
			return -1;
	return 0;
}

/* The row array doubles: a merge of 200,000 rows grown one at a time
 * copied it quadratically wherever realloc cannot grow in place (ASan). */
static char **new_row(struct sweep_table *t)
{
	if (t->nrows == t->caprows) {
		int cap = t->caprows ? 2 * t->caprows : 64;
		char ***rows = realloc(t->rows, (size_t)cap * sizeof *rows);
		if (!rows)
			return NULL;
		t->rows = rows;
		t->caprows = cap;
	}
	char **row = calloc((size_t)t->ncols, sizeof *row);
	if (row)
		t->rows[t->nrows++] = row;
	return row;
}

static uint64_t get_u64(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
}

static uint64_t tlb_count(const cJSON *s, const char *tlb, const char *what)
{
	return get_u64(cJSON_GetObjectItemCaseSensitive(s, "tlb"), tlb, what);
}

static char *number(uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%" PRIu64, v);
	return strdup(buf);
}

/* misses / lookups, empty when the TLB was never looked up. */
static char *rate(uint64_t hits, uint64_t misses)
{
	char buf[32] = "";
	if (hits + misses)
		snprintf(buf, sizeof buf, "%.6f", (double)misses / (double)(hits + misses));
	return strdup(buf);
}

/* The result columns after status, in sweep_result_columns' order. */
static void fill_results(char **cell, const cJSON *s)
{
	uint64_t c[6];
	const char *tlbs[] = {"L1i", "L1d", "L2"};
	for (int i = 0; i < 3; i++) {
		c[2 * i] = tlb_count(s, tlbs[i], "hits");
		c[2 * i + 1] = tlb_count(s, tlbs[i], "misses");
	}
	uint64_t total = get_u64(s, "cycles", "total");
	uint64_t xlate = get_u64(s, "cycles", "tlb_l1") + get_u64(s, "cycles", "tlb_l2") +
			 get_u64(s, "cycles", "walk_cache") + get_u64(s, "cycles", "walk_memory");
	int i = 0;
	cell[i++] = number(get_u64(s, "accesses", "read") + get_u64(s, "accesses", "write") + get_u64(s, "accesses", "fetch"));
	cell[i++] = number(get_u64(s, "instructions", NULL));
	cell[i++] = number(get_u64(s, "faults", "total"));
	cell[i++] = number(get_u64(s, "faults", "minor"));
	cell[i++] = number(get_u64(s, "faults", "major"));
	cell[i++] = number(c[0]);
	cell[i++] = number(c[1]);
	cell[i++] = number(c[2]);
	cell[i++] = number(c[3]);
	cell[i++] = rate(c[2], c[3]);
	cell[i++] = number(c[4]);
	cell[i++] = number(c[5]);
	cell[i++] = rate(c[4], c[5]);
	cell[i++] = number(get_u64(s, "walks", NULL));
	cell[i++] = number(get_u64(s, "walk_reads", NULL));
	cell[i++] = number(total);
	cell[i++] = number(xlate);
	cell[i++] = number(total - xlate - get_u64(s, "cycles", "instructions"));
}

int sweep_table_add(struct sweep_table *t, int point, const char *const *values, int status, const char *stats_json)
{
	char **row = new_row(t);
	if (!row)
		return -1;
	row[0] = number((uint64_t)point);
	for (int i = 0; i < t->nparams; i++)
		row[1 + i] = strdup(values[i]);
	char buf[16];
	snprintf(buf, sizeof buf, "%d", status);
	row[1 + t->nparams] = strdup(buf);
	cJSON *s = stats_json ? cJSON_Parse(stats_json) : NULL;
	if (s)
		fill_results(row + 2 + t->nparams, s);
	cJSON_Delete(s);
	for (int i = 0; i < t->ncols; i++)
		if (!row[i] && !(row[i] = strdup("")))
			return -1;
	return 0;
}

static int by_point(const void *a, const void *b)
{
	char **x = *(char **const *)a, **y = *(char **const *)b;
	long i = strtol(x[0], NULL, 10), j = strtol(y[0], NULL, 10);
	return (i > j) - (i < j);
}

void sweep_table_sort(struct sweep_table *t)
{
	if (t->nrows)
		qsort(t->rows, (size_t)t->nrows, sizeof *t->rows, by_point);
}

static void free_cells(char **cells, int n)
{
	for (int i = 0; cells && i < n; i++)
		free(cells[i]);
	free(cells);
}

void sweep_table_free(struct sweep_table *t)
{
	for (int r = 0; r < t->nrows; r++)
		free_cells(t->rows[r], t->ncols);
	free(t->rows);
	free_cells(t->header, t->ncols);
	memset(t, 0, sizeof *t);
}

int sweep_table_column(const struct sweep_table *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (!strcmp(t->header[i], name))
			return i;
	return -1;
}

static void write_cell(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void write_line(FILE *f, char *const *cells, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		write_cell(f, cells[i]);
	}
	fputc('\n', f);
}

void sweep_table_write(const struct sweep_table *t, FILE *f)
{
	write_line(f, t->header, t->ncols);
	for (int r = 0; r < t->nrows; r++)
		write_line(f, t->rows[r], t->ncols);
}

/* One CSV line into at most max cells (quotes as RFC 4180; a quoted cell
 * does not span lines here: the sweep never writes one that does).
 * Returns the number of cells, -1 when malformed. */
static int split_line(char *line, char **cells, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		if (n == max)
			return -1;
		char *out, *start = p;
		if (*p == '"') {
			start = out = ++p;
			for (;; p++) {
				if (!*p)
					return -1;
				if (*p == '"' && p[1] == '"')
					*out++ = *p++;
				else if (*p == '"')
					break;
				else
					*out++ = *p;
			}
			p++;
		} else {
			while (*p && *p != ',')
				p++;
			out = p;
		}
		char sep = *p;
		*out = 0;
		cells[n++] = start;
		if (sep != ',')
			return sep ? -1 : n;
		p++;
	}
}

static int read_header(struct sweep_table *t, char **cells, int n, const char *path, char *err, size_t errlen)
{
	int nres = result_count();
	if (!t->header) {
		if (n < 1 + nres || strcmp(cells[0], "point") || strcmp(cells[n - nres], "status")) {
			snprintf(err, errlen, "%s: not a table mmusim sweep wrote (its header)", path);
			return -1;
		}
		t->ncols = n;
		t->nparams = n - 1 - nres;
		if (!(t->header = calloc((size_t)n, sizeof *t->header)))
			return -1;
		for (int i = 0; i < n; i++)
			if (!(t->header[i] = strdup(cells[i])))
				return -1;
		return 0;
	}
	bool same = n == t->ncols;
	for (int i = 0; same && i < n; i++)
		same = !strcmp(cells[i], t->header[i]);
	if (!same) {
		snprintf(err, errlen, "%s: its columns are not those of the tables before it", path);
		return -1;
	}
	return 0;
}

static int read_row(struct sweep_table *t, char **cells, int n)
{
	char **row = new_row(t);
	for (int i = 0; row && i < n; i++)
		if (!(row[i] = strdup(cells[i])))
			return -1;
	return row ? 0 : -1;
}

int sweep_table_read(struct sweep_table *t, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[8192], *cells[256];
	int lineno = 0, rc = 0;
	while (!rc && fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		int n = split_line(line, cells, 256);
		if (n < 0 || (lineno > 1 && n != t->ncols)) {
			snprintf(err, errlen, "%s:%d: not a row of the table", path, lineno);
			rc = -1;
		} else if (lineno == 1) {
			rc = read_header(t, cells, n, path, err, errlen);
		} else if (read_row(t, cells, n)) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	}
	if (!rc && lineno == 0) {
		snprintf(err, errlen, "%s: empty", path);
		rc = -1;
	}
	fclose(f);
	return rc;
}
