/* mmusim sweep: a grid of runs, their results as a table (CSV) and a plot.
 * The table's columns are documented in docs/sweep.md. */
#ifndef MMUSIM_SWEEP_H
#define MMUSIM_SWEEP_H

#include <stdio.h>

/* The table: "point", the parameters' columns, then the results'
 * (sweep_result_columns); every cell is text, as in the CSV. */
struct sweep_table {
	int ncols, nparams;
	char **header;
	int nrows, caprows;
	char ***rows;        /* rows[r][c] */
};

/* The results' column names, NULL-terminated. */
extern const char *const sweep_result_columns[];

/* A table with "point", the parameters' names and the result columns. */
int sweep_table_init(struct sweep_table *t, int nparams, const char *const *params);
/* Appends a row: point, parameter values, the exit status and the numbers
 * in the stats JSON text (NULL: the point failed, results left empty). */
int sweep_table_add(struct sweep_table *t, int point, const char *const *values, int status, const char *stats_json);
void sweep_table_sort(struct sweep_table *t);   /* by point */
void sweep_table_free(struct sweep_table *t);
/* RFC 4180 CSV, with a header line. */
void sweep_table_write(const struct sweep_table *t, FILE *f);
/* Appends the rows of a CSV file; the first file read sets the header,
 * later ones must have the same. 0, or -1 with a one-line error. */
int sweep_table_read(struct sweep_table *t, const char *path, char *err, size_t errlen);
/* The column named `name`, or -1. */
int sweep_table_column(const struct sweep_table *t, const char *name);

/* A PNG of width x height: the L1 dTLB miss rate and the cycles against the
 * first parameter, one line per combination of the others (cairo), its
 * bytes handed to `write` (0, or -1 when they could not be written: the
 * caller's output file, which appears whole or not at all, keeps why).
 * 0, or -1 with a one-line error. */
enum { SWEEP_PLOT_WIDTH = 960, SWEEP_PLOT_HEIGHT = 720 };
typedef int (*sweep_write_fn)(void *ctx, const void *data, size_t len);
int sweep_plot(const struct sweep_table *t, sweep_write_fn write, void *ctx, char *err, size_t errlen);

#endif
