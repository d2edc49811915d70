/* Where mmusim finds its data: an installed mmusim beside its binary
 * (PREFIX/bin/mmusim, PREFIX/share/mmusim/SUB, PREFIX/lib/mmusim); one run
 * from the build tree in the trees it was built from. */
#ifndef MMUSIM_SIM_INSTALL_H
#define MMUSIM_SIM_INSTALL_H

#include <stdbool.h>
#include <stddef.h>

/* The running binary's directory into buf: false when unknown. */
bool exe_dir(char *buf, size_t len);
/* True, with PREFIX/share/mmusim/SUB in buf, when mmusim is installed
 * (that directory exists beside the binary). */
bool installed_path(const char *sub, char *buf, size_t len);
/* An installed mmusim reads its installed presets by name. */
void install_find_presets(void);

#endif
