/* libFuzzer harness: the event-log reader behind the viewer (gui/evlog.c,
 * `mmusim view FILE` and the live view's stream) and the model the viewer
 * rebuilds from it (gui/model.c), stepped forwards and back as a user
 * would. The same bytes are read as a file and fed as a stream cut in two. */
#include <stdio.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "gui/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void step_through(const struct evlog *l)
{
	struct model m;
	model_init(&m, l);
	size_t steps = model_steps(l);
	for (size_t k = 0; k < steps && k < 64; k++)
		model_goto(&m, k);
	if (steps) {
		model_goto(&m, steps - 1);
		model_goto(&m, 0);
		struct walk_cell cells[8];
		for (int i = 0; i < m.nproc; i++)
			model_walk(&m, m.proc[i].pid, 0x400000, cells, 8);
	}
	model_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct evlog l;
	evlog_init(&l, "fuzz");
	if (!evlog_read_file(&l, fuzz_input_path(data, size), err, sizeof err))
		step_through(&l);
	evlog_free(&l);

	evlog_init(&l, "fuzz-stream");
	size_t cut = size ? data[0] % (size + 1) : 0;
	if (!evlog_feed(&l, (const char *)data, cut, err, sizeof err) &&
	    !evlog_feed(&l, (const char *)data + cut, size - cut, err, sizeof err))
		step_through(&l);
	evlog_free(&l);
	return 0;
}
