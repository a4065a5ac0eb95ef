/* deflate-compare: zlib against libdeflate on the grains of a raw disk, the
 * way the streamOptimized VMDK writer compresses them (one zlib stream per
 * 64 KiB grain, all-zero grains and holes skipped, each stored grain taking
 * a 12-byte marker and whole 512-byte sectors). Not installed.
 *
 *   deflate-compare [-z ZLIB_LEVELS] [-d LIBDEFLATE_LEVELS] RAW
 *
 * Levels are comma-separated (default: zlib 6, as qemu-img uses;
 * libdeflate 4,5,6). Prints one line per codec and level with the CPU
 * seconds spent compressing (single thread) and the bytes it would store. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libdeflate.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define GRAIN 65536
#define MAX_CODECS 32

struct codec {
    bool zlib;
    int level;
    struct libdeflate_compressor *comp;
    double seconds;
    unsigned long long bytes;
};

static double
cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned long long
stored_size(size_t compressed)
{
    return (12 + compressed + 511) / 512 * 512;
}

static int
codec_run(struct codec *c, const unsigned char *grain, unsigned char *out, size_t out_size)
{
    double t = cpu_now();
    size_t n;
    if (c->zlib) {
        uLongf len = out_size;
        n = compress2(out, &len, grain, GRAIN, c->level) == Z_OK ? len : 0;
    } else {
        n = libdeflate_zlib_compress(c->comp, grain, GRAIN, out, out_size);
    }
    c->seconds += cpu_now() - t;
    c->bytes += stored_size(n);
    return n ? 0 : -1;
}

static int
add_codecs(struct codec *codecs, int *n, const char *list, bool zlib)
{
    char *copy = strdup(list), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == MAX_CODECS)
            break;
        struct codec *c = &codecs[(*n)++];
        c->zlib = zlib;
        c->level = atoi(tok);
        if (!zlib && !(c->comp = libdeflate_alloc_compressor(c->level))) {
            fprintf(stderr, "deflate-compare: libdeflate has no level %s\n", tok);
            free(copy);
            return -1;
        }
    }
    free(copy);
    return 0;
}

static bool
is_zero(const unsigned char *p)
{
    static const unsigned char zeros[16];
    return memcmp(p, zeros, 16) == 0 && memcmp(p, p + 16, GRAIN - 16) == 0;
}

/* Feeds every non-zero grain of the data extents to every codec. */
static int
compare(int fd, struct codec *codecs, int n, unsigned long long *grains)
{
    static unsigned char grain[GRAIN], out[2 * GRAIN];
    off_t size = lseek(fd, 0, SEEK_END), pos = 0;
    while (pos < size) {
        off_t d = lseek(fd, pos, SEEK_DATA);
        if (d < 0)
            return errno == ENXIO ? 0 : -1;
        off_t h = lseek(fd, d, SEEK_HOLE);
        for (pos = d / GRAIN * GRAIN; pos < h; pos += GRAIN) {
            memset(grain, 0, GRAIN);
            if (pread(fd, grain, GRAIN, pos) < 0)
                return -1;
            if (is_zero(grain))
                continue;
            ++*grains;
            for (int i = 0; i < n; i++)
                if (codec_run(&codecs[i], grain, out, sizeof(out)) < 0)
                    return -1;
        }
    }
    return 0;
}

int
main(int argc, char **argv)
{
    const char *zlib_levels = "6", *deflate_levels = "4,5,6";
    struct codec codecs[MAX_CODECS] = {0};
    int n = 0, c;
    unsigned long long grains = 0;

    while ((c = getopt(argc, argv, "z:d:")) != -1) {
        if (c == 'z')
            zlib_levels = optarg;
        else if (c == 'd')
            deflate_levels = optarg;
        else
            return 2;
    }
    if (argc - optind != 1) {
        fputs("usage: deflate-compare [-z ZLIB_LEVELS] [-d LIBDEFLATE_LEVELS] RAW\n", stderr);
        return 2;
    }
    int fd = open(argv[optind], O_RDONLY);
    if (fd < 0 || add_codecs(codecs, &n, zlib_levels, true) < 0 ||
        add_codecs(codecs, &n, deflate_levels, false) < 0 || compare(fd, codecs, n, &grains) < 0) {
        fprintf(stderr, "deflate-compare: %s: %s\n", argv[optind], strerror(errno));
        return 1;
    }
    printf("grains: %llu non-zero (%llu MiB)\n", grains, grains / 16);
    for (int i = 0; i < n; i++) {
        printf("%-10s level %2d: cpu %6.2f s  stored %11llu bytes  (%.3fx of the first)\n",
               codecs[i].zlib ? "zlib" : "libdeflate", codecs[i].level, codecs[i].seconds,
               codecs[i].bytes, (double)codecs[i].bytes / (double)codecs[0].bytes);
        libdeflate_free_compressor(codecs[i].comp);
    }
    close(fd);
    return 0;
}
