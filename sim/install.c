/* The install layout, seen from the running binary (/proc/self/exe). */
#include "sim/install.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "presets/preset.h"

bool exe_dir(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return false;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = 0;
	int w = snprintf(buf, len, "%s", exe);
	return w > 0 && (size_t)w < len;
}

bool installed_path(const char *sub, char *buf, size_t len)
{
	char dir[PATH_MAX];
	struct stat st;
	if (!exe_dir(dir, sizeof dir))
		return false;
	int w = snprintf(buf, len, "%s/../share/mmusim/%s", dir, sub);
	return w > 0 && (size_t)w < len && stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
}

void install_find_presets(void)
{
	static char dir[PATH_MAX];
	if (installed_path("presets", dir, sizeof dir))
		preset_set_dir(dir);
}
