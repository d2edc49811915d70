/* bench_gui: how fast the classroom view reads an event log and moves
 * between faults. Reads the log, then times model_goto stepping forward
 * through every fault, backward through every fault, and jumping to
 * pseudo-random faults, and one render. A figure, not a test.
 *
 * usage: bench_gui EVENTS.jsonl (e.g. from mmusim run --events of
 * build/guests/x86_64/compute: 1,708 faults, 1.8 M events) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench/clock.h"
#include "gui/render.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bench_gui EVENTS.jsonl\n");
		return 2;
	}
	char err[1024];
	struct evlog l;
	evlog_init(&l, argv[1]);
	double t0 = now();
	if (evlog_read_file(&l, argv[1], err, sizeof err)) {
		fprintf(stderr, "bench_gui: %s\n", err);
		return 1;
	}
	double t1 = now();
	size_t n = model_steps(&l);
	printf("read      %zu events, %zu faults in %.2f s (%.0f events/s)\n", l.nev, l.nfaults, t1 - t0,
	       (double)l.nev / (t1 - t0));
	struct model m;
	model_init(&m, &l);
	t0 = now();
	for (size_t k = 0; k < n; k++)
		model_goto(&m, k);
	t1 = now();
	printf("forward   %.3f ms a fault\n", (t1 - t0) * 1e3 / (double)n);
	t0 = now();
	for (size_t k = n; k-- > 0;)
		model_goto(&m, k);
	t1 = now();
	printf("backward  %.3f ms a fault\n", (t1 - t0) * 1e3 / (double)n);
	unsigned seed = 1;
	t0 = now();
	for (int i = 0; i < 1000; i++) {
		seed = seed * 1103515245u + 12345u;
		model_goto(&m, (seed >> 8) % n);
	}
	t1 = now();
	printf("jumps     %.3f ms a jump (1000 random faults)\n", t1 - t0);
	setenv("SDL_VIDEODRIVER", "offscreen", 1);
	SDL_Init(SDL_INIT_VIDEO);
	struct renderer *r = renderer_create(1600, 900, err, sizeof err);
	if (r) {
		struct render_state s = {.step = n - 1, .nsteps = n, .anim = 1.0, .speed = 4, .hover_x = -1, .hover_y = -1};
		model_goto(&m, n - 1);
		t0 = now();
		for (int i = 0; i < 20; i++)
			render_frame(r, &m, &s);
		t1 = now();
		printf("render    %.1f ms a 1600x900 frame\n", (t1 - t0) * 1e3 / 20);
		char path[] = "/tmp/bench_gui_XXXXXX";
		int fd = mkstemp(path);
		if (fd >= 0) {
			close(fd);
			t0 = now();
			for (int i = 0; i < 20; i++)
				png_write(path, renderer_surface(r), err, sizeof err);
			t1 = now();
			printf("png       %.1f ms a 1600x900 frame\n", (t1 - t0) * 1e3 / 20);
			remove(path);
		}
		renderer_destroy(r);
	}
	SDL_Quit();
	model_free(&m);
	evlog_free(&l);
	return 0;
}
