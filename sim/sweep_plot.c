/* The sweep's plot, drawn with cairo: two panels, the L1 dTLB miss rate
 * and the total cycles, against the first parameter's values (evenly
 * spaced, in the order given: they may be sizes or names); one line per
 * combination of the other parameters, named in a legend. */
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sweep.h"

enum { LEFT = 96, RIGHT = 24, TOP = 56, BOTTOM = 64, GAP = 70, LEGEND_ROW = 18, MAX_LEGEND = 12 };

struct axis_values {
	char **names;        /* distinct values, in the order they first appear */
	int n;
};

static const double palette[][3] = {
	{0.12, 0.47, 0.71}, {0.84, 0.15, 0.16}, {0.17, 0.63, 0.17}, {0.58, 0.40, 0.74},
	{1.00, 0.50, 0.05}, {0.55, 0.34, 0.29}, {0.89, 0.47, 0.76}, {0.50, 0.50, 0.50},
};

static int find_or_add(struct axis_values *v, const char *name)
{
	for (int i = 0; i < v->n; i++)
		if (!strcmp(v->names[i], name))
			return i;
	char **n = realloc(v->names, (size_t)(v->n + 1) * sizeof *n);
	if (!n)
		return -1;
	v->names = n;
	v->names[v->n] = strdup(name);
	return v->names[v->n] ? v->n++ : -1;
}

/* "key=value key=value" of the parameters after the first: the series. */
static void series_name(const struct sweep_table *t, char **row, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (int p = 2; p <= t->nparams && used < len; p++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", p > 2 ? " " : "", t->header[p], row[p]);
	if (!buf[0])
		snprintf(buf, len, "%s", t->nparams ? t->header[1] : "run");
}

static double nice_step(double max)
{
	double raw = max / 5, mag = pow(10, floor(log10(raw)));
	double f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* 1234567 -> "1.23M": the cycle axis's labels stay short. */
static void short_number(double v, char *buf, size_t len)
{
	static const char suffix[] = " kMGTP";
	int s = 0;
	while (fabs(v) >= 1000 && s < 5) {
		v /= 1000;
		s++;
	}
	if (s)
		snprintf(buf, len, "%.3g%c", v, suffix[s]);
	else
		snprintf(buf, len, "%.3g", v);
}

static void text(cairo_t *cr, double x, double y, const char *s, double align)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - e.width * align - e.x_bearing * (1 - align), y);
	cairo_show_text(cr, s);
}

struct panel {
	double x, y, w, h;   /* the plot area */
	int column;          /* the table's column shown */
	double scale;        /* a value times this is drawn (100: a rate in %) */
	const char *title;
};

/* Values past PLOT_VALUE_MAX (inf, nan, 1e308: a hand-edited or damaged
 * CSV) are left out of the plot: an axis up to infinity has no ticks to
 * draw, and stepping to it never ended. */
#define PLOT_VALUE_MAX 1e18

static bool cell_value(char **row, int column, double scale, double *v)
{
	char *end;
	if (!row[column][0])
		return false;
	*v = strtod(row[column], &end) * scale;
	return !*end && fabs(*v) < PLOT_VALUE_MAX;   /* false for nan too */
}

/* How many cells of the column hold a number the plot leaves out. */
static int column_unplottable(const struct sweep_table *t, int column, double scale)
{
	int n = 0;
	for (int r = 0; r < t->nrows; r++) {
		char *end;
		double v;
		if (t->rows[r][column][0] && (v = strtod(t->rows[r][column], &end) * scale, !*end) && !(fabs(v) < PLOT_VALUE_MAX))
			n++;
	}
	return n;
}

static void draw_axes(cairo_t *cr, const struct panel *p, const struct axis_values *x, double ymax, const char *xname)
{
	double step = nice_step(ymax);
	cairo_set_line_width(cr, 1);
	for (double y = 0; y <= ymax * 1.0001; y += step) {
		double py = p->y + p->h - y / ymax * p->h;
		cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
		cairo_move_to(cr, p->x, py);
		cairo_line_to(cr, p->x + p->w, py);
		cairo_stroke(cr);
		char label[32];
		short_number(y, label, sizeof label);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		text(cr, p->x - 8, py + 4, label, 1);
	}
	for (int i = 0; i < x->n; i++)
		text(cr, p->x + (i + 0.5) * p->w / x->n, p->y + p->h + 18, x->names[i], 0.5);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_rectangle(cr, p->x, p->y, p->w, p->h);
	cairo_stroke(cr);
	text(cr, p->x, p->y - 10, p->title, 0);
	text(cr, p->x + p->w, p->y + p->h + 40, xname, 1);
}

/* One line per series, a dot at each point that has a value. */
static void draw_series(cairo_t *cr, const struct sweep_table *t, const struct panel *p, const struct axis_values *x,
			const struct axis_values *series, double ymax)
{
	cairo_set_line_width(cr, 2);
	for (int s = 0; s < series->n; s++) {
		const double *c = palette[s % 8];
		cairo_set_source_rgb(cr, c[0], c[1], c[2]);
		bool pen_down = false;
		for (int xi = 0; xi < x->n; xi++) {
			double v = 0;
			bool have = false;
			for (int r = 0; r < t->nrows && !have; r++) {
				char name[512];
				series_name(t, t->rows[r], name, sizeof name);
				have = !strcmp(t->rows[r][1], x->names[xi]) && !strcmp(name, series->names[s]) &&
				       cell_value(t->rows[r], p->column, p->scale, &v);
			}
			if (!have) {
				pen_down = false;   /* a point that failed breaks the line */
				continue;
			}
			double px = p->x + (xi + 0.5) * p->w / x->n, py = p->y + p->h - v / ymax * p->h;
			if (pen_down)
				cairo_line_to(cr, px, py);
			cairo_stroke(cr);
			cairo_arc(cr, px, py, 3.5, 0, 2 * M_PI);
			cairo_fill(cr);
			cairo_move_to(cr, px, py);
			pen_down = true;
		}
		cairo_new_path(cr);
	}
}

static double column_max(const struct sweep_table *t, int column, double scale)
{
	double max = 0, v;
	for (int r = 0; r < t->nrows; r++)
		if (cell_value(t->rows[r], column, scale, &v) && v > max)
			max = v;
	return max > 0 ? max * 1.1 : 1;
}

static void draw_legend(cairo_t *cr, const struct axis_values *series, double x, double y)
{
	if (series->n < 2)
		return;
	for (int s = 0; s < series->n && s < MAX_LEGEND; s++) {
		const double *c = palette[s % 8];
		cairo_set_source_rgb(cr, c[0], c[1], c[2]);
		cairo_rectangle(cr, x, y + s * LEGEND_ROW - 9, 14, 10);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		text(cr, x + 20, y + s * LEGEND_ROW, series->names[s], 0);
	}
}

static void free_values(struct axis_values *v)
{
	for (int i = 0; i < v->n; i++)
		free(v->names[i]);
	free(v->names);
}

static int draw(cairo_t *cr, const struct sweep_table *t, struct axis_values *x, struct axis_values *series)
{
	for (int r = 0; r < t->nrows; r++) {
		char name[512];
		series_name(t, t->rows[r], name, sizeof name);
		if (find_or_add(x, t->nparams ? t->rows[r][1] : "") < 0 || find_or_add(series, name) < 0)
			return -1;
	}
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, 13);
	const char *xname = t->nparams ? t->header[1] : "";
	double w = SWEEP_PLOT_WIDTH - LEFT - RIGHT;
	double h = (SWEEP_PLOT_HEIGHT - TOP - BOTTOM - GAP) / 2.0;
	struct panel panels[2] = {
		{LEFT, TOP, w, h, sweep_table_column(t, "l1d_miss_rate"), 100, "L1 dTLB miss rate (%)"},
		{LEFT, TOP + h + GAP, w, h, sweep_table_column(t, "cycles"), 1, "cycles"},
	};
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_font_size(cr, 16);
	char title[300];
	snprintf(title, sizeof title, "mmusim sweep: miss rate and cycles against %s", xname);
	text(cr, SWEEP_PLOT_WIDTH / 2.0, 28, title, 0.5);
	cairo_set_font_size(cr, 13);
	for (int i = 0; i < 2; i++) {
		int bad = column_unplottable(t, panels[i].column, panels[i].scale);
		if (bad)
			fprintf(stderr, "mmusim: sweep: plot: %d %s value%s not finite or too large, left out\n", bad,
				t->header[panels[i].column], bad == 1 ? "" : "s");
		double ymax = column_max(t, panels[i].column, panels[i].scale);
		draw_axes(cr, &panels[i], x, ymax, xname);
		draw_series(cr, t, &panels[i], x, series, ymax);
	}
	draw_legend(cr, series, LEFT + 12, TOP + 20);
	return 0;
}

struct png_sink {
	sweep_write_fn write;
	void *ctx;
};

static cairo_status_t png_bytes(void *closure, const unsigned char *data, unsigned int len)
{
	const struct png_sink *s = closure;
	return s->write(s->ctx, data, len) ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

int sweep_plot(const struct sweep_table *t, sweep_write_fn write, void *ctx, char *err, size_t errlen)
{
	if (sweep_table_column(t, "l1d_miss_rate") < 0 || sweep_table_column(t, "cycles") < 0) {
		snprintf(err, errlen, "the table has no l1d_miss_rate or cycles column");
		return -1;
	}
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, SWEEP_PLOT_WIDTH, SWEEP_PLOT_HEIGHT);
	cairo_t *cr = cairo_create(s);
	struct axis_values x = {0}, series = {0};
	int rc = draw(cr, t, &x, &series);
	free_values(&x);
	free_values(&series);
	cairo_destroy(cr);
	cairo_status_t st = rc ? CAIRO_STATUS_NO_MEMORY
			       : cairo_surface_write_to_png_stream(s, png_bytes, &(struct png_sink){write, ctx});
	cairo_surface_destroy(s);
	/* A sweep draws once: the font caches cairo's text made through
	 * fontconfig go now, rather than stay until exit as leaks. */
	cairo_debug_reset_static_data();
	FcFini();
	if (st != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "cannot write the plot: %s", cairo_status_to_string(st));
		return -1;
	}
	return 0;
}
