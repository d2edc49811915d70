/* output_squat NAME...: a guest that goes after mmusim's own outputs in
 * the directory it runs in (the default root, where outputs often go):
 * every file whose name has ".tmp." in it is emptied and removed, and each
 * NAME is taken by a directory. Prints how many temporary files it found
 * and which names it took. tests/outputs_guarded.sh runs it; not in
 * expected/ (what it finds depends on mmusim). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int found = 0;
	DIR *d = opendir(".");
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strstr(e->d_name, ".tmp.")) {
			int fd = open(e->d_name, O_WRONLY | O_TRUNC);
			if (fd >= 0)
				close(fd);
			unlink(e->d_name);
			found++;
		}
	if (d)
		closedir(d);
	printf("%d temporary files found\n", found);
	for (int i = 1; i < argc; i++)
		if (mkdir(argv[i], 0755) == 0)
			printf("%s taken\n", argv[i]);
	return 0;
}
