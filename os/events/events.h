/* os/events: the bus every layer of the kernel model reports to, beneath
 * them all. Events (os.h, "Events") go to the subscribers; operations
 * (os.h, "Operations") to the one operation hook, for recording. Private
 * to os/. */
#ifndef MMUSIM_OS_EVENTS_H
#define MMUSIM_OS_EVENTS_H

#include "os/os.h"

#define BUS_MAX_SUBSCRIBERS 8

struct event_bus {
	os_event_fn sub[BUS_MAX_SUBSCRIBERS];
	void *sub_ctx[BUS_MAX_SUBSCRIBERS];
	int nsub;
	uint64_t seq;           /* the last event's sequence number */
	uint8_t cpu;            /* the CPU events happen on now */
	os_op_fn op_hook;
	void *op_ctx;
};

void bus_subscribe(struct event_bus *b, os_event_fn fn, void *ctx);
/* Numbers the event and hands it to every subscriber, in order. */
void bus_emit(struct event_bus *b, struct os_event *ev);
/* Events cost nothing when nobody listens: callers build them only then. */
static inline bool bus_observed(const struct event_bus *b) { return b->nsub > 0; }

void bus_set_op_hook(struct event_bus *b, os_op_fn fn, void *ctx);
static inline bool bus_op_hooked(const struct event_bus *b) { return b->op_hook != NULL; }
/* Tells the operation hook of op, made by (or concerning) process pid. */
void bus_op(struct event_bus *b, int pid, struct os_op *op);

#endif
