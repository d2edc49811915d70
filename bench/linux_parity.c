/* linux_parity: fault counts for the same access patterns on this machine's
 * Linux kernel (getrusage) and in mmusim's Linux model, side by side:
 *   1. touch 64 MiB of fresh anonymous memory, a write a page;
 *   2. read every page of a 16 MiB file whose pages are cached;
 *   3. write every page of a private mapping of that file.
 * A figure printer: it asserts nothing (test_files checks the model's
 * counts). usage: linux_parity [PRESET] */

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "os/os.h"
#include "presets/preset.h"

#define ANON (64ull << 20)
#define FILE_SIZE (16ull << 20)

static long faults_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static void native(const char *path, long out[3])
{
	volatile uint8_t *p = mmap(NULL, ANON, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	madvise((void *)p, ANON, MADV_NOHUGEPAGE);     /* as the model's preset: THP only where asked */
	long f0 = faults_now();
	for (uint64_t off = 0; off < ANON; off += 4096)
		p[off] = 1;
	out[0] = faults_now() - f0;
	munmap((void *)p, ANON);

	int fd = open(path, O_RDWR);
	static char buf[1 << 16];
	while (read(fd, buf, sizeof buf) > 0)   /* the file's pages are now cached */
		;
	volatile uint8_t *r = mmap(NULL, FILE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	unsigned sum = 0;
	f0 = faults_now();
	for (uint64_t off = 0; off < FILE_SIZE; off += 4096)
		sum += r[off];
	out[1] = faults_now() - f0;
	munmap((void *)r, FILE_SIZE);
	volatile uint8_t *w = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	f0 = faults_now();
	for (uint64_t off = 0; off < FILE_SIZE; off += 4096)
		w[off] = (uint8_t)sum;
	out[2] = faults_now() - f0;
	munmap((void *)w, FILE_SIZE);
	close(fd);
}

static uint64_t model_faults(struct kernel *k)
{
	struct os_stats st;
	kernel_stats(k, &st);
	return st.faults;
}

static int model(const char *preset, const char *root, uint64_t out[3])
{
	struct preset p;
	char err[512];
	if (preset_load(preset, &p, err, sizeof err)) {
		fprintf(stderr, "linux_parity: %s\n", err);
		return -1;
	}
	struct os_config oc;
	os_config_default(&oc);
	oc.thp = p.thp;
	struct kernel *k = kernel_create(&p.mmu, &oc, err, sizeof err);
	if (!k || os_set_root(k, root, err, sizeof err)) {
		fprintf(stderr, "linux_parity: %s\n", err);
		return -1;
	}
	struct proc *pr = kernel_current(k);
	proc_exec(pr, 0x7ffff0000000ull, 0x600000);
	uint64_t page = 1ull << kernel_format(k)->page_shift;
	struct mmu_xlate x;
	int64_t a = os_mmap(pr, 0, ANON, 3, MAPF_PRIVATE | MAPF_ANONYMOUS, -1, 0);
	uint64_t f0 = model_faults(k);
	for (uint64_t off = 0; off < ANON; off += page)
		os_access(k, (uint64_t)a + off, ACC_WRITE, &x, NULL);
	out[0] = model_faults(k) - f0;

	int fd = os_open(pr, "parity.bin", OPEN_READ | OPEN_WRITE, 0);
	static char buf[1 << 16];
	for (uint64_t off = 0; os_pread(pr, fd, buf, sizeof buf, off) > 0; off += sizeof buf)
		;
	int64_t r = os_mmap(pr, 0, FILE_SIZE, 1, MAPF_PRIVATE, fd, 0);
	f0 = model_faults(k);
	for (uint64_t off = 0; off < FILE_SIZE; off += page)
		os_access(k, (uint64_t)r + off, ACC_READ, &x, NULL);
	out[1] = model_faults(k) - f0;
	int64_t w = os_mmap(pr, 0, FILE_SIZE, 3, MAPF_PRIVATE, fd, 0);
	f0 = model_faults(k);
	for (uint64_t off = 0; off < FILE_SIZE; off += page)
		os_access(k, (uint64_t)w + off, ACC_WRITE, &x, NULL);
	out[2] = model_faults(k) - f0;
	kernel_destroy(k);
	return 0;
}

int main(int argc, char **argv)
{
	const char *preset = argc > 1 ? argv[1] : "skylake";
	char root[] = "/tmp/linux_parity.XXXXXX", path[64];
	if (!mkdtemp(root))
		return 1;
	snprintf(path, sizeof path, "%s/parity.bin", root);
	FILE *f = fopen(path, "wb");
	static char chunk[1 << 16];
	memset(chunk, 0x5a, sizeof chunk);
	for (uint64_t n = 0; f && n < FILE_SIZE; n += sizeof chunk)
		fwrite(chunk, 1, sizeof chunk, f);
	if (f)
		fclose(f);
	long nat[3];
	uint64_t sim[3];
	native(path, nat);
	if (model(preset, root, sim))
		return 1;
	unlink(path);
	rmdir(root);
	static const char *const what[] = {
		"touch 64 MiB of fresh anonymous memory",
		"read every page of a cached 16 MiB file",
		"write every page of a private file mapping",
	};
	printf("linux_parity: page faults, this machine's Linux (getrusage) vs mmusim (%s, linux)\n", preset);
	for (int i = 0; i < 3; i++)
		printf("  %-44s native %6ld   mmusim %6" PRIu64 "\n", what[i], nat[i], sim[i]);
	return 0;
}
