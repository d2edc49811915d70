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

#endif
