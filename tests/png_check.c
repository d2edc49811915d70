/* Checks a PNG the way a reader of the plot would: png_check FILE W H
 * passes when it is a PNG of W x H pixels with something drawn on it (not
 * one colour: a fair share of pixels not white, and several colours). */
#include <cairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: png_check FILE WIDTH HEIGHT\n");
		return 2;
	}
	cairo_surface_t *s = cairo_image_surface_create_from_png(argv[1]);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		fprintf(stderr, "%s: not a PNG (%s)\n", argv[1], cairo_status_to_string(cairo_surface_status(s)));
		return 1;
	}
	int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
	int stride = cairo_image_surface_get_stride(s);
	const unsigned char *px = cairo_image_surface_get_data(s);
	long inked = 0;
	uint32_t colours[16];
	int ncolours = 0;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint32_t c = *(const uint32_t *)(px + (size_t)y * (size_t)stride + (size_t)x * 4) & 0xffffff;
			inked += c != 0xffffff;
			int i = 0;
			while (i < ncolours && colours[i] != c)
				i++;
			if (i == ncolours && ncolours < 16)
				colours[ncolours++] = c;
		}
	cairo_surface_destroy(s);
	int ok = w == atoi(argv[2]) && h == atoi(argv[3]) && inked > (long)w * h / 200 && ncolours >= 4;
	printf("png_check: %s %dx%d, %ld pixels drawn, %s%d colours: %s\n", argv[1], w, h, inked,
	       ncolours == 16 ? "at least " : "", ncolours, ok ? "ok" : "FAIL");
	return !ok;
}
