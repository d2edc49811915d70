/* mmusim demo's steps beyond the hand-built tables (cmd_demo.c). */
#ifndef MMUSIM_SIM_DEMO_H
#define MMUSIM_SIM_DEMO_H

/* A dynamically linked program's first faults, explained (demo_dynamic.c):
 * 0, or 1 when the run failed. Without the host's dynamic x86-64 /bin/sh
 * and /bin/ls it says so in one line and returns 0. */
int demo_dynamic(void);

#endif
