/* SIGINT, SIGTERM and SIGHUP (a closed terminal) to mmusim end a run or a
 * replay the normal way: the
 * handler only records the signal; the simulation looks at the flag
 * between blocks or records, stops, and the usual ending follows (shared
 * file pages written back, the event log finished with its stats record),
 * then mmusim exits 128 + the signal. SA_RESETHAND: a second one kills at
 * once. A SIGINT ignored when mmusim started (a background job) stays
 * ignored: ^C is for the foreground; so does a SIGHUP ignored (nohup).
 * SIGPIPE is ignored from then on, for good: a write to a closed pipe is
 * EPIPE, so a guest writing to mmusim's closed standard output gets
 * SIGPIPE (or EPIPE) as Linux gives the writer, and mmusim lives on to
 * finish its outputs (`mmusim run PROG | head -1`). */
#ifndef MMUSIM_STOP_H
#define MMUSIM_STOP_H

#include <signal.h>

/* The view's simulation: SIGPIPE keeps its default action, so the view
 * closing its pipe ends the run as a writer to a closed pipe ends. */
void stop_signals_keep_sigpipe(void);
/* Installs the handlers; the flag they set (0 until a signal comes). */
const volatile sig_atomic_t *stop_signals_catch(void);
/* --max-seconds: after that much host (wall-clock) time the flag reads
 * SIGXCPU, as if the run's CPU limit had passed; called after
 * stop_signals_catch, undone by stop_signals_release. */
void stop_after_seconds(unsigned seconds);
/* Puts back what was there before (SIGPIPE stays ignored). */
void stop_signals_release(void);

#endif
