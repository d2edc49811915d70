/* Writing a surface as an 8-bit RGB PNG with libpng. No time stamp or
 * other varying chunk: the same pixels give the same bytes. */
#include <errno.h>
#include <limits.h>
#include <png.h>
#include <zlib.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui/internal.h"
#include "gui/render.h"

struct png_err {
	char *err;
	size_t errlen;
	const char *path;
};

static void on_png_error(png_structp png, png_const_charp msg)
{
	struct png_err *e = png_get_error_ptr(png);
	snprintf(e->err, e->errlen, "%s: %s", e->path, msg);
	png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* One row of the surface as R, G, B bytes: shifts by the format's masks
 * (SDL_GetRGB a pixel at a time was a fifth of the time a frame took). */
static void row_rgb(SDL_Surface *s, int y, unsigned char *out)
{
	const SDL_PixelFormat *f = s->format;
	const Uint8 *p = (const Uint8 *)s->pixels + (size_t)y * (size_t)s->pitch;
	for (int x = 0; x < s->w; x++) {
		Uint32 px;
		memcpy(&px, p + (size_t)x * 4, 4);
		out[3 * x] = (unsigned char)((px & f->Rmask) >> f->Rshift);
		out[3 * x + 1] = (unsigned char)((px & f->Gmask) >> f->Gshift);
		out[3 * x + 2] = (unsigned char)((px & f->Bmask) >> f->Bshift);
	}
}

int png_write(const char *path, SDL_Surface *s, char *err, size_t errlen)
{
	if (s->format->BytesPerPixel != 4) {
		snprintf(err, errlen, "%s: the surface is not 32 bits a pixel", path);
		return -1;
	}
	char tmp[PATH_MAX + 32];
	FILE *f = whole_open(path, tmp, sizeof tmp);
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct png_err pe = {err, errlen, path};
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &pe, on_png_error, on_png_warning);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	unsigned char *volatile row = malloc((size_t)s->w * 3);
	volatile int rc = -1;
	if (!png || !info || !row) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (setjmp(png_jmpbuf(png)))
		goto out;
	png_init_io(png, f);
	/* Flat colours and text: no filter and zlib level 1 give files no
	 * larger than the adaptive filters at level 3, in a quarter of the
	 * time (94 frames of fork_cow at 1600x900: 5.1 s before, 1.65 s). */
	png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
	png_set_compression_level(png, 1);
	png_set_compression_strategy(png, Z_DEFAULT_STRATEGY);
	png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	if (SDL_MUSTLOCK(s))
		SDL_LockSurface(s);
	for (int y = 0; y < s->h; y++) {
		row_rgb(s, y, row);
		png_write_row(png, row);
	}
	if (SDL_MUSTLOCK(s))
		SDL_UnlockSurface(s);
	png_write_end(png, info);
	rc = 0;
out:
	png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
	free(row);
	if (rc) {
		whole_abort(f, tmp);
	} else if (whole_commit(f, tmp, path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}
