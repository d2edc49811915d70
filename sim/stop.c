/* See stop.h. */
#include "sim/stop.h"

#include <stdbool.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
static struct sigaction previous_int, previous_term, previous_hup, previous_alrm;
static bool alarm_set, keep_sigpipe;

void stop_signals_keep_sigpipe(void) { keep_sigpipe = true; }

static void stop_handler(int signo) { stop_signal = signo; }   /* async-signal-safe: a store */
static void alarm_handler(int signo) { (void)signo; stop_signal = SIGXCPU; }

const volatile sig_atomic_t *stop_signals_catch(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = stop_handler;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	stop_signal = 0;
	sigaction(SIGINT, &sa, &previous_int);
	sigaction(SIGTERM, &sa, &previous_term);
	sigaction(SIGHUP, &sa, &previous_hup);
	if (previous_int.sa_handler == SIG_IGN)
		sigaction(SIGINT, &previous_int, NULL);
	if (previous_hup.sa_handler == SIG_IGN)   /* nohup: it stays ignored */
		sigaction(SIGHUP, &previous_hup, NULL);
	if (!keep_sigpipe)
		signal(SIGPIPE, SIG_IGN);
	return &stop_signal;
}

void stop_signals_release(void)
{
	sigaction(SIGINT, &previous_int, NULL);
	sigaction(SIGTERM, &previous_term, NULL);
	sigaction(SIGHUP, &previous_hup, NULL);
	if (alarm_set) {
		alarm(0);
		sigaction(SIGALRM, &previous_alrm, NULL);
		alarm_set = false;
	}
}

void stop_after_seconds(unsigned seconds)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = alarm_handler;   /* no SA_RESTART: a host read or write waiting ends */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &previous_alrm);
	alarm_set = true;
	alarm(seconds);
}
