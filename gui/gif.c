/* Writing an animated GIF (for slides): a fixed palette — the theme's
 * colours exactly, a 6x6x6 cube for the rest (text's antialiasing) — each
 * frame only the rectangle that changed since the one before, LZW-coded.
 * No time enters the file: the same frames give the same bytes. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui/internal.h"
#include "gui/render.h"

struct gif {
	FILE *f;
	const char *path;
	char tmp[PATH_MAX + 32];   /* written here, renamed onto path when whole */
	int w, h;
	unsigned char pal[256][3];
	int npal;
	unsigned char *cache;    /* 15-bit colour -> palette index + 1 (0: not yet) */
	unsigned char *prev, *cur;
	bool first;
};

static void add_color(struct gif *g, SDL_Color c)
{
	for (int i = 0; i < g->npal; i++)
		if (g->pal[i][0] == c.r && g->pal[i][1] == c.g && g->pal[i][2] == c.b)
			return;
	if (g->npal < 256) {
		g->pal[g->npal][0] = c.r;
		g->pal[g->npal][1] = c.g;
		g->pal[g->npal++][2] = c.b;
	}
}

static void make_palette(struct gif *g)
{
	const struct theme *t = &gui_theme;
	SDL_Color mine[] = {t->bg, t->fg, t->dim, t->panel, t->walk, t->path, t->fresh, t->changed, t->link, t->fault,
			    t->table, t->hit};
	for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++)
		add_color(g, mine[i]);
	for (int i = 0; i < PT_MAX_LEVELS; i++)
		add_color(g, t->level[i]);
	for (int i = 0; i < USE_COUNT; i++)
		add_color(g, t->use[i]);
	for (int r = 0; r < 6; r++)
		for (int gg = 0; gg < 6; gg++)
			for (int b = 0; b < 6; b++)
				add_color(g, (SDL_Color){(Uint8)(r * 51), (Uint8)(gg * 51), (Uint8)(b * 51), 255});
	for (int v = 8; g->npal < 256; v += 10)   /* greys for the rest */
		add_color(g, (SDL_Color){(Uint8)v, (Uint8)v, (Uint8)v, 255});
}

static unsigned char nearest(struct gif *g, unsigned r, unsigned gr, unsigned b)
{
	unsigned key = (r >> 3) << 10 | (gr >> 3) << 5 | b >> 3;
	if (g->cache[key])
		return (unsigned char)(g->cache[key] - 1);
	long best = -1;
	int bi = 0;
	for (int i = 0; i < g->npal; i++) {
		long dr = (long)g->pal[i][0] - r, dg = (long)g->pal[i][1] - gr, db = (long)g->pal[i][2] - b;
		long d = 3 * dr * dr + 4 * dg * dg + 2 * db * db;
		if (best < 0 || d < best) {
			best = d;
			bi = i;
		}
	}
	g->cache[key] = (unsigned char)(bi + 1);
	return (unsigned char)bi;
}

struct gif *gif_open(const char *path, int w, int h, char *err, size_t errlen)
{
	struct gif *g = calloc(1, sizeof *g);
	if (!g || !(g->cache = calloc(1u << 15, 1)) || !(g->prev = malloc((size_t)w * h)) ||
	    !(g->cur = malloc((size_t)w * h))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (!(g->f = whole_open(path, g->tmp, sizeof g->tmp))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	g->path = path;
	g->w = w;
	g->h = h;
	g->first = true;
	make_palette(g);
	fwrite("GIF89a", 1, 6, g->f);
	unsigned char lsd[7] = {(unsigned char)w, (unsigned char)(w >> 8), (unsigned char)h, (unsigned char)(h >> 8),
				0xf7, 0, 0};   /* a global table of 256 colours */
	fwrite(lsd, 1, 7, g->f);
	fwrite(g->pal, 1, 768, g->f);
	static const unsigned char loop[] = {0x21, 0xff, 11, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0',
					     3, 1, 0, 0, 0};   /* loop for ever */
	fwrite(loop, 1, sizeof loop, g->f);
	return g;
fail:
	if (g) {
		free(g->cache);
		free(g->prev);
		free(g->cur);
		free(g);
	}
	return NULL;
}

/* The LZW coder's output: codes of growing width, packed into 255-byte
 * sub-blocks. */
struct bits {
	FILE *f;
	unsigned char block[255];
	int n;
	unsigned long acc;
	int nacc;
};

static void put_code(struct bits *b, unsigned code, int width)
{
	b->acc |= (unsigned long)code << b->nacc;
	b->nacc += width;
	while (b->nacc >= 8) {
		b->block[b->n++] = (unsigned char)b->acc;
		b->acc >>= 8;
		b->nacc -= 8;
		if (b->n == 255) {
			fputc(255, b->f);
			fwrite(b->block, 1, 255, b->f);
			b->n = 0;
		}
	}
}

static void flush_bits(struct bits *b)
{
	if (b->nacc > 0)
		put_code(b, 0, 8 - b->nacc);
	if (b->n) {
		fputc(b->n, b->f);
		fwrite(b->block, 1, (size_t)b->n, b->f);
	}
	fputc(0, b->f);
}

enum { LZW_MAX = 4096, HASH = 8191 };

static void lzw(FILE *f, const unsigned char *px, size_t n)
{
	static int hkey[HASH];
	static short hcode[HASH];
	struct bits b = {.f = f};
	const unsigned clear = 256, eoi = 257;
	int width = 9;
	unsigned next = 258;
	fputc(8, f);
	memset(hkey, -1, sizeof hkey);
	put_code(&b, clear, width);
	if (!n) {
		put_code(&b, eoi, width);
		flush_bits(&b);
		return;
	}
	unsigned prefix = px[0];
	for (size_t i = 1; i < n; i++) {
		int key = (int)(prefix << 8 | px[i]);
		unsigned h = (unsigned)key % HASH;
		while (hkey[h] != -1 && hkey[h] != key)
			h = (h + 1) % HASH;
		if (hkey[h] == key) {
			prefix = (unsigned)hcode[h];
			continue;
		}
		put_code(&b, prefix, width);
		if (next < LZW_MAX) {
			hkey[h] = key;
			hcode[h] = (short)next;
			if (next == (1u << width) && width < 12)
				width++;
			next++;
		} else {   /* the table is full: start again */
			put_code(&b, clear, width);
			memset(hkey, -1, sizeof hkey);
			next = 258;
			width = 9;
		}
		prefix = px[i];
	}
	put_code(&b, prefix, width);
	put_code(&b, eoi, width);
	flush_bits(&b);
}

int gif_add(struct gif *g, SDL_Surface *s, int delay_cs, char *err, size_t errlen)
{
	if (s->w != g->w || s->h != g->h || s->format->BytesPerPixel != 4) {
		snprintf(err, errlen, "%s: a frame of another size", g->path);
		return -1;
	}
	const SDL_PixelFormat *fm = s->format;
	for (int y = 0; y < g->h; y++) {
		const Uint8 *row = (const Uint8 *)s->pixels + (size_t)y * (size_t)s->pitch;
		for (int x = 0; x < g->w; x++) {
			Uint32 p;
			memcpy(&p, row + (size_t)x * 4, 4);
			g->cur[(size_t)y * g->w + x] = nearest(g, (p & fm->Rmask) >> fm->Rshift, (p & fm->Gmask) >> fm->Gshift,
								 (p & fm->Bmask) >> fm->Bshift);
		}
	}
	/* only the rectangle that changed (a 1x1 one when nothing did) */
	int x0 = 0, y0 = 0, x1 = g->w - 1, y1 = g->h - 1;
	if (!g->first) {
		x0 = g->w, y0 = g->h, x1 = -1, y1 = -1;
		for (int y = 0; y < g->h; y++)
			for (int x = 0; x < g->w; x++)
				if (g->cur[(size_t)y * g->w + x] != g->prev[(size_t)y * g->w + x]) {
					x0 = x < x0 ? x : x0;
					x1 = x > x1 ? x : x1;
					y0 = y < y0 ? y : y0;
					y1 = y > y1 ? y : y1;
				}
		if (x1 < 0)
			x0 = y0 = x1 = y1 = 0;
	}
	int w = x1 - x0 + 1, h = y1 - y0 + 1;
	unsigned char gce[8] = {0x21, 0xf9, 4, 0x04, (unsigned char)delay_cs, (unsigned char)(delay_cs >> 8), 0, 0};
	fwrite(gce, 1, 8, g->f);
	unsigned char id[10] = {0x2c, (unsigned char)x0, (unsigned char)(x0 >> 8), (unsigned char)y0,
				(unsigned char)(y0 >> 8), (unsigned char)w, (unsigned char)(w >> 8), (unsigned char)h,
				(unsigned char)(h >> 8), 0};
	fwrite(id, 1, 10, g->f);
	unsigned char *sub = malloc((size_t)w * h);
	if (!sub) {
		snprintf(err, errlen, "%s: out of memory", g->path);
		return -1;
	}
	for (int y = 0; y < h; y++)
		memcpy(sub + (size_t)y * w, g->cur + (size_t)(y0 + y) * g->w + x0, (size_t)w);
	lzw(g->f, sub, (size_t)w * h);
	free(sub);
	unsigned char *t = g->prev;
	g->prev = g->cur;
	g->cur = t;
	g->first = false;
	return 0;
}

int gif_close(struct gif *g, char *err, size_t errlen)
{
	int rc = 0;
	fputc(0x3b, g->f);
	if (whole_commit(g->f, g->tmp, g->path)) {
		snprintf(err, errlen, "%s: %s", g->path, strerror(errno));
		rc = -1;
	}
	free(g->cache);
	free(g->prev);
	free(g->cur);
	free(g);
	return rc;
}
