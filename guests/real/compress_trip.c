/* A compressor round trip with Debian 12's zlib, xz (liblzma), zstd and
 * bzip2, static: 512 KiB of generated text compressed and decompressed by
 * each, through a file; prints each compressed size, whether the round
 * trip gave the same bytes, and a checksum. */
#include <bzlib.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define N (1u << 19)   /* 512 KiB: real work, yet seconds for the test in timing mode */

static unsigned char *in, *out, *back;

static void via_file(const char *name, size_t n)
{
	FILE *f = fopen(name, "wb");
	if (!f || fwrite(out, 1, n, f) != n || fclose(f))
		exit(1);
	memset(out, 0, n);
	f = fopen(name, "rb");
	if (!f || fread(out, 1, n, f) != n || fclose(f))
		exit(1);
	remove(name);
}

static void report(const char *what, size_t csize, size_t dsize)
{
	printf("%s: %zu bytes, round trip %s\n", what, csize, dsize == N && !memcmp(in, back, N) ? "same" : "DIFFERENT");
	memset(back, 0, N);
}

int main(void)
{
	in = malloc(N);
	out = malloc(2 * N);
	back = malloc(N);
	unsigned x = 12345;
	for (size_t i = 0; i < N;) {
		x = x * 1103515245 + 12345;
		int len = snprintf((char *)in + i, N - i, "line %u value %u\n", (unsigned)(i / 20), (x >> 16) % 1000);
		i += len > 0 ? (size_t)len : 1;
	}
	printf("crc32 %08lx\n", crc32(0, in, N));

	uLongf zl = 2 * N, bl = N;
	compress2(out, &zl, in, N, 6);
	via_file("z.gz", zl);
	uncompress(back, &bl, out, zl);
	report("zlib", zl, bl);

	size_t xl = 0, xin = 0, xout = 0;
	lzma_easy_buffer_encode(2, LZMA_CHECK_CRC64, NULL, in, N, out, &xl, 2 * N);
	via_file("z.xz", xl);
	uint64_t memlimit = UINT64_MAX;
	if (lzma_stream_buffer_decode(&memlimit, 0, NULL, out, &xin, xl, back, &xout, N) != LZMA_OK)
		xout = 0;
	report("xz", xl, xout);

	size_t sl = ZSTD_compress(out, 2 * N, in, N, 3);
	via_file("z.zst", sl);
	size_t sd = ZSTD_decompress(back, N, out, sl);
	report("zstd", sl, sd);

	unsigned bz = 2 * N, bd = N;
	BZ2_bzBuffToBuffCompress((char *)out, &bz, (char *)in, N, 9, 0, 0);
	via_file("z.bz2", bz);
	BZ2_bzBuffToBuffDecompress((char *)back, &bd, (char *)out, bz, 0, 0);
	report("bzip2", bz, bd);
	free(in);
	free(out);
	free(back);
	return 0;
}
