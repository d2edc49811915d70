/* gui/ private: what the view loops (view.c) use besides the model
 * (model.h) and the renderer (render.h): writing frames into an animated GIF
 * (gif.c). */
#ifndef MMUSIM_GUI_INTERNAL_H
#define MMUSIM_GUI_INTERNAL_H

#include <stddef.h>

#include <SDL.h>

/* An animated GIF, frame by frame (gif.c): delay in hundredths of a second. */
struct gif;
struct gif *gif_open(const char *path, int w, int h, char *err, size_t errlen);
int gif_add(struct gif *g, SDL_Surface *s, int delay_cs, char *err, size_t errlen);
int gif_close(struct gif *g, char *err, size_t errlen);

/* An output written as "<path>.tmp.<pid>" beside its name and renamed onto
 * it when complete (whole.c): a kill never leaves a truncated file under
 * the name. tmp holds the temporary name (PATH_MAX + 32). */
#include <stdio.h>
FILE *whole_open(const char *path, char *tmp, size_t tmplen);
/* Closes and renames into place; -1 with errno (the temporary removed). */
int whole_commit(FILE *f, const char *tmp, const char *path);
void whole_abort(FILE *f, const char *tmp);

#endif
