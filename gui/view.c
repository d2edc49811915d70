/* The view loops: headless (one PNG per fault) and interactive (an SDL
 * window, keys and mouse), over a finished log or one still arriving on a
 * descriptor (a live run). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gui/gui.h"
#include "gui/internal.h"
#include "gui/render.h"
#include "mmu/errmsg.h"

#define DEFAULT_W 1600
#define DEFAULT_H 900
#define ANIM_MS 1200


static void frame_size(const struct gui_options *o, int *w, int *h)
{
	*w = o->width > 0 ? o->width : DEFAULT_W;
	*h = o->height > 0 ? o->height : DEFAULT_H;
}

/* ------------------------------------------------------------ headless */

/* A fault in a GIF: its six steps (walk, fault, allocate, write entry,
 * retry, TLB fill) 0.4 s each, then the result for 1.5 s; a predicted
 * fault first hidden for 2 s. */
static int add_gif_steps(struct gif *gif, struct renderer *r, const struct model *m, const struct render_state *base,
			 char *err, size_t errlen)
{
	struct render_state s = *base;
	if (s.predict) {
		s.anim = 1.0;
		render_frame(r, m, &s);
		if (gif_add(gif, renderer_surface(r), 200, err, errlen))
			return -1;
		s.revealed = true;
	}
	for (int i = 0; i <= 6; i++) {
		s.anim = i < 6 ? (i + 0.5) / 6 : 1.0;
		render_frame(r, m, &s);
		if (gif_add(gif, renderer_surface(r), i < 6 ? 40 : 150, err, errlen))
			return -1;
	}
	return 0;
}

static int render_frames(const struct evlog *log, const struct gui_options *o, char *err, size_t errlen);

/* SIGINT, SIGTERM, SIGHUP to a headless view: the frames so far stay, the
 * GIF is finished with them, and the view exits 128 + the signal. */
static volatile sig_atomic_t headless_stop;
static void headless_stop_handler(int signo) { headless_stop = signo; }

static void headless_signals(bool catch, struct sigaction old[3])
{
	static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa = {.sa_handler = headless_stop_handler, .sa_flags = SA_RESETHAND};
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++) {
		if (!catch) {
			sigaction(sigs[i], &old[i], NULL);
			continue;
		}
		sigaction(sigs[i], &sa, &old[i]);
		if (old[i].sa_handler == SIG_IGN)   /* ignored when the view started: it stays so */
			sigaction(sigs[i], &old[i], NULL);
	}
}

static int render_headless(const struct evlog *log, const struct gui_options *o)
{
	char err[1024];
	struct sigaction old_sigs[3];
	headless_stop = 0;
	headless_signals(true, old_sigs);
	int rc = render_frames(log, o, err, sizeof err);
	headless_signals(false, old_sigs);
	return rc;
}

static int render_frames(const struct evlog *log, const struct gui_options *o, char *err, size_t errlen)
{
	setenv("SDL_VIDEODRIVER", "offscreen", 1);
	/* no window to close: SIGINT and SIGTERM end the run, not an event nobody reads */
	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
	if (SDL_Init(SDL_INIT_VIDEO)) {
		fprintf(stderr, "mmusim: cannot start SDL (offscreen): %s\n", SDL_GetError());
		return 1;
	}
	if (o->frames_dir && mkdir(o->frames_dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "mmusim: %s: %s\n", o->frames_dir, strerror(errno));
		SDL_Quit();
		return 1;
	}
	int w, h, rc = 0;
	frame_size(o, &w, &h);
	struct renderer *r = renderer_create(w, h, err, errlen);
	if (!r) {
		errmsg_print(err);
		SDL_Quit();
		return 1;
	}
	struct model m;
	model_init(&m, log);
	size_t n = model_steps(log);
	size_t first = o->first > 0 ? (size_t)o->first - 1 : 0, last = o->last > 0 ? (size_t)o->last : n;
	if (last > n)
		last = n;
	struct gif *gif = NULL;
	if (o->gif && !(gif = gif_open(o->gif, w, h, err, errlen))) {
		errmsg_print(err);
		rc = 1;
		last = first;
	}
	for (size_t k = first; k < last; k++) {
		if (headless_stop) {
			fprintf(stderr, "mmusim: %s: view stopped after %zu frames\n",
				headless_stop == SIGINT ? "SIGINT" : headless_stop == SIGHUP ? "SIGHUP" : "SIGTERM", k - first);
			rc = 128 + headless_stop;
			break;
		}
		model_goto(&m, k);
		struct render_state s = {.step = k, .nsteps = n, .anim = 1.0, .speed = 4,
					 .hover_x = o->hover ? o->hover_x : -1, .hover_y = o->hover ? o->hover_y : -1,
					 .lecture = o->lecture, .predict = o->predict};
		if (gif && add_gif_steps(gif, r, &m, &s, err, errlen)) {
			errmsg_print(err);
			rc = 1;
			break;
		}
		render_frame(r, &m, &s);
		if (o->layout)
			layout_print(o->layout, renderer_layout(r), k);
		if (o->frames_dir) {
			char path[4096];
			snprintf(path, sizeof path, "%s/fault-%05zu.png", o->frames_dir, k + 1);
			if (png_write(path, renderer_surface(r), err, errlen)) {
				errmsg_print(err);
				rc = 1;
				break;
			}
		}
	}
	if (gif && gif_close(gif, err, errlen)) {
		errmsg_print(err);
		rc = 1;
	}
	model_free(&m);
	renderer_destroy(r);
	SDL_Quit();
	return rc;
}

/* ------------------------------------------------------------ interactive */

struct viewer {
	struct evlog *log;
	int fd;                 /* a live log's descriptor, or -1 */
	struct model m;
	struct renderer *r;
	SDL_Window *win;
	struct render_state s;
	Uint32 anim_start, last_advance;
	bool dirty, quit;
	int status;
};

static void go_to(struct viewer *v, size_t k)
{
	size_t n = model_steps(v->log);
	if (k >= n)
		k = n - 1;
	if (k != v->s.step) {
		v->s.pid = 0;
		v->s.revealed = false;
	}
	v->s.step = k;
	model_goto(&v->m, k);
	v->anim_start = SDL_GetTicks();
	v->dirty = true;
}

/* The next (dir 1) or previous (-1) fault that is like the shown one in
 * `what`: 'k' its kind, 'h' its handler path, 'p' its process, 'v' its VMA,
 * 'x' any failed fault. Wraps around; stays when there is none. */
static bool alike(const struct gfault *a, const struct gfault *b, char what)
{
	switch (what) {
	case 'k':
		return !strcmp(a->kind, b->kind) && !strcmp(a->access, b->access);
	case 'h':
		return a->path && b->path && !strcmp(a->path, b->path);
	case 'p':
		return a->pid == b->pid;
	case 'v':
		return a->has_vma && b->has_vma && a->vma_start == b->vma_start && a->pid == b->pid;
	default:
		return b->signal || strcmp(b->outcome, "resolved");
	}
}

static void jump_alike(struct viewer *v, char what, int dir)
{
	size_t n = v->log->nfaults;
	const struct gfault *cur = model_step_fault(v->log, v->s.step);
	if (!cur || n < 2)
		return;
	for (size_t i = 1; i < n; i++) {
		size_t k = (v->s.step + n + (size_t)dir * i) % n;
		if (alike(cur, &v->log->faults[k], what)) {
			go_to(v, k);
			return;
		}
	}
}

/* A click on the timeline strip: the fault under the mouse. */
static void on_click(struct viewer *v, int x, int y)
{
	const struct layout *l = renderer_layout(v->r);
	for (int i = 0; i < l->npanel; i++) {
		const SDL_Rect *a = &l->panel[i].r;
		if (strcmp(l->panel[i].name, "timeline") || x < a->x || x >= a->x + a->w || y < a->y - 4 ||
		    y >= a->y + a->h + 4 || !v->log->nfaults)
			continue;
		go_to(v, (size_t)((double)(x - a->x) * (double)v->log->nfaults / a->w));
	}
}

static void next_process(struct viewer *v)
{
	const struct model *m = &v->m;
	const struct gfault *f = model_step_fault(v->log, v->s.step);
	int cur = v->s.pid ? v->s.pid : f ? f->pid : m->current_pid, best = 0, lowest = 0;
	for (int i = 0; i < m->nproc; i++) {
		int pid = m->proc[i].pid;
		if (!m->proc[i].alive)
			continue;
		if (pid > cur && (!best || pid < best))
			best = pid;
		if (!lowest || pid < lowest)
			lowest = pid;
	}
	v->s.pid = best ? best : lowest;
	v->dirty = true;
}

static void save_screenshot(struct viewer *v)
{
	char path[64], err[512];
	snprintf(path, sizeof path, "mmusim-fault-%05zu.png", v->s.step + 1);
	if (png_write(path, renderer_surface(v->r), err, sizeof err))
		errmsg_print(err);
	else
		fprintf(stderr, "mmusim: saved %s\n", path);
}

static void on_key(struct viewer *v, SDL_Keycode key)
{
	size_t n = model_steps(v->log);
	switch (key) {
	case SDLK_q:
	case SDLK_ESCAPE:
		if (v->s.help && key == SDLK_ESCAPE)
			v->s.help = false;
		else
			v->quit = true;
		break;
	case SDLK_SPACE:
		v->s.playing = !v->s.playing;
		v->last_advance = SDL_GetTicks();
		break;
	case SDLK_RIGHT:
		go_to(v, v->s.step + 1);
		break;
	case SDLK_LEFT:
		go_to(v, v->s.step ? v->s.step - 1 : 0);
		break;
	case SDLK_HOME:
		go_to(v, 0);
		break;
	case SDLK_END:
		go_to(v, n - 1);
		break;
	case SDLK_PLUS:
	case SDLK_KP_PLUS:
	case SDLK_EQUALS:
		if (v->s.speed < 64)
			v->s.speed *= 2;
		break;
	case SDLK_MINUS:
	case SDLK_KP_MINUS:
		if (v->s.speed > 1)
			v->s.speed /= 2;
		break;
	case SDLK_TAB:
		next_process(v);
		break;
	case SDLK_s:
		save_screenshot(v);
		break;
	case SDLK_l:
		v->s.lecture = !v->s.lecture;
		break;
	case SDLK_k:
	case SDLK_j:
	case SDLK_n:
	case SDLK_v:
	case SDLK_x:   /* like this fault: kind, handler path, process, VMA; x: failed (shift: backwards) */
		jump_alike(v, key == SDLK_j ? 'h' : key == SDLK_n ? 'p' : (char)key, SDL_GetModState() & KMOD_SHIFT ? -1 : 1);
		break;
	case SDLK_p:
		v->s.predict = !v->s.predict;
		v->s.revealed = false;
		break;
	case SDLK_r:
	case SDLK_RETURN:
		v->s.revealed = true;
		v->anim_start = SDL_GetTicks();   /* the outcome animates as it is revealed */
		break;
	case SDLK_SLASH:      /* ? on most layouts */
	case SDLK_QUESTION:
	case SDLK_h:
		v->s.help = !v->s.help;
		break;
	default:
		return;
	}
	v->dirty = true;
}

static void on_event(struct viewer *v, const SDL_Event *e)
{
	char err[512];
	switch (e->type) {
	case SDL_QUIT:
		v->quit = true;
		break;
	case SDL_KEYDOWN:
		on_key(v, e->key.keysym.sym);
		break;
	case SDL_MOUSEBUTTONDOWN:
		on_click(v, e->button.x, e->button.y);
		break;
	case SDL_MOUSEMOTION:
		v->s.hover_x = e->motion.x;
		v->s.hover_y = e->motion.y;
		v->dirty = true;
		break;
	case SDL_WINDOWEVENT:
		if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
			if (renderer_resize(v->r, e->window.data1, e->window.data2, err, sizeof err)) {
				errmsg_print(err);
				v->status = 1;
				v->quit = true;
			}
		} else if (e->window.event == SDL_WINDOWEVENT_LEAVE)
			v->s.hover_x = v->s.hover_y = -1;
		v->dirty = true;
		break;
	default:
		break;
	}
}

/* A live log: whatever has arrived. Returns -1 on a malformed line. */
static int read_live(struct viewer *v)
{
	char buf[65536], err[1024];
	while (v->fd >= 0) {
		struct pollfd p = {v->fd, POLLIN, 0};
		if (poll(&p, 1, 0) <= 0)
			return 0;
		ssize_t n = read(v->fd, buf, sizeof buf);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return 0;
		if (n <= 0) {
			v->fd = -1;
			v->s.live = false;
			v->dirty = true;
			return 0;
		}
		size_t before = v->log->nfaults;
		if (evlog_feed(v->log, buf, (size_t)n, err, sizeof err)) {
			errmsg_print(err);
			return -1;
		}
		if (v->log->nfaults != before) {
			v->dirty = true;
			if (before == 0)
				go_to(v, 0);
		}
	}
	return 0;
}

static void advance_playing(struct viewer *v)
{
	if (!v->s.playing)
		return;
	Uint32 now = SDL_GetTicks();
	if (now - v->last_advance < 1000u / (Uint32)v->s.speed)
		return;
	v->last_advance = now;
	if (v->s.step + 1 < model_steps(v->log))
		go_to(v, v->s.step + 1);
	else if (v->fd < 0)
		v->s.playing = false;
	v->dirty = true;
}

/* A step's animation: 1.2 s when stepping by hand, four fifths of a step
 * while playing, so it completes at any speed. */
static Uint32 anim_ms(const struct viewer *v)
{
	Uint32 step = 1000u / (Uint32)v->s.speed * 4 / 5;
	return v->s.playing && step < ANIM_MS ? step : ANIM_MS;
}

static void show(struct viewer *v)
{
	Uint32 since = SDL_GetTicks() - v->anim_start, ms = anim_ms(v);
	bool animating = since < ms && (!v->s.predict || v->s.revealed);
	if (!v->dirty && !animating)
		return;
	v->s.anim = animating ? (double)since / ms : 1.0;
	v->s.flash_on = !animating || (since / 120) % 2 == 0;
	v->s.nsteps = model_steps(v->log);
	render_frame(v->r, &v->m, &v->s);
	SDL_Surface *ws = SDL_GetWindowSurface(v->win);
	if (ws) {
		SDL_BlitSurface(renderer_surface(v->r), NULL, ws, NULL);
		SDL_UpdateWindowSurface(v->win);
	}
	v->dirty = false;
}

/* MMUSIM_VIEW_KEYS="right left tab s q": keys to press, one a frame, for
 * testing the window without a person (with SDL_VIDEODRIVER=offscreen). */
static const char *press_scripted_key(const char *script)
{
	static const struct {
		const char *name;
		SDL_Keycode key;
	} keys[] = {{"right", SDLK_RIGHT}, {"left", SDLK_LEFT}, {"home", SDLK_HOME}, {"end", SDLK_END},
		    {"space", SDLK_SPACE}, {"plus", SDLK_PLUS},  {"minus", SDLK_MINUS}, {"tab", SDLK_TAB},
		    {"s", SDLK_s},         {"?", SDLK_QUESTION}, {"q", SDLK_q},         {"l", SDLK_l},
		    {"p", SDLK_p},         {"r", SDLK_r},         {"k", SDLK_k},         {"j", SDLK_j},
		    {"n", SDLK_n},         {"v", SDLK_v},         {"x", SDLK_x}};
	while (*script == ' ')
		script++;
	size_t len = strcspn(script, " ");
	if (!len)
		return NULL;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strlen(keys[i].name) == len && !strncmp(script, keys[i].name, len)) {
			SDL_Event e = {.type = SDL_KEYDOWN};
			e.key.keysym.sym = keys[i].key;
			SDL_PushEvent(&e);
		}
	return script + len;
}

static int run_window(struct evlog *log, int fd, const struct gui_options *o)
{
	const char *script = getenv("MMUSIM_VIEW_KEYS");
	char err[1024];
	/* We draw in software: the window's own framebuffer, no GL (nothing to
	 * gain, and no driver loaded for it). */
	SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
	if (SDL_Init(SDL_INIT_VIDEO)) {
		fprintf(stderr, "mmusim: cannot open a window (%s); --headless --frames DIR renders without a display\n",
			SDL_GetError());
		return 1;
	}
	struct viewer v = {.log = log, .fd = fd, .status = 0};
	int w, h;
	frame_size(o, &w, &h);
	v.win = SDL_CreateWindow("mmusim view", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w, h,
				 SDL_WINDOW_RESIZABLE);
	if (!v.win) {
		fprintf(stderr, "mmusim: cannot open a window: %s\n", SDL_GetError());
		SDL_Quit();
		return 1;
	}
	if (!(v.r = renderer_create(w, h, err, sizeof err))) {
		errmsg_print(err);
		SDL_DestroyWindow(v.win);
		SDL_Quit();
		return 1;
	}
	model_init(&v.m, log);
	v.s = (struct render_state){.speed = 4, .hover_x = -1, .hover_y = -1, .live = fd >= 0, .lecture = o->lecture,
				    .predict = o->predict};
	go_to(&v, 0);
	while (!v.quit) {
		if (script)
			script = press_scripted_key(script);
		if (v.fd >= 0 && read_live(&v)) {
			v.status = 2;
			break;
		}
		SDL_Event e;
		if (SDL_WaitEventTimeout(&e, 15)) {
			on_event(&v, &e);
			while (SDL_PollEvent(&e))
				on_event(&v, &e);
		}
		advance_playing(&v);
		show(&v);
	}
	model_free(&v.m);
	renderer_destroy(v.r);
	SDL_DestroyWindow(v.win);
	SDL_Quit();
	return v.status;
}

/* ------------------------------------------------------------ entry points */

int gui_view_file(const char *path, const struct gui_options *o)
{
	struct evlog log;
	char err[1024];
	evlog_init(&log, path);
	if (evlog_read_file(&log, path, err, sizeof err)) {
		errmsg_print(err);
		evlog_free(&log);
		return 2;
	}
	int rc = o->headless ? render_headless(&log, o) : run_window(&log, -1, o);
	evlog_free(&log);
	return rc;
}

/* Headless reads the whole stream first; the window shows it as it comes. */
int gui_view_fd(int fd, const char *name, const struct gui_options *o)
{
	struct evlog log;
	char err[1024], buf[65536];
	evlog_init(&log, name);
	int rc = 0;
	if (o->headless) {
		ssize_t n;
		while ((n = read(fd, buf, sizeof buf)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				fprintf(stderr, "mmusim: %s: %s\n", name, strerror(errno));
				rc = 1;
				break;
			}
			if (evlog_feed(&log, buf, (size_t)n, err, sizeof err)) {
				errmsg_print(err);
				rc = 2;
				break;
			}
		}
		if (!rc && !log.header_seen) {
			fprintf(stderr, "mmusim: %s: no events arrived\n", name);
			rc = 2;
		}
		if (!rc)
			rc = render_headless(&log, o);
	} else {
		/* the header has to arrive before anything can be drawn */
		while (!log.header_seen && !rc) {
			ssize_t n = read(fd, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				fprintf(stderr, "mmusim: %s: no events arrived\n", name);
				rc = 2;
			} else if (evlog_feed(&log, buf, (size_t)n, err, sizeof err)) {
				errmsg_print(err);
				rc = 2;
			}
		}
		if (!rc)
			rc = run_window(&log, fd, o);
	}
	evlog_free(&log);
	return rc;
}
