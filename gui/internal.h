/* gui/ private: what the view loops (view.c) use besides the model
 * (model.h) and the renderer (render.h): writing a frame as a PNG (png.c). */
#ifndef MMUSIM_GUI_INTERNAL_H
#define MMUSIM_GUI_INTERNAL_H

#include <stddef.h>

#include <SDL.h>

int png_write(const char *path, SDL_Surface *s, char *err, size_t errlen);

#endif
