/* image_fuzz.c: libFuzzer harness for the image format table and the
 * reference check of an image's bytes (image_format.h, image_check.h).
 *
 * Each input is a disk image file. image_sniff reads it through a memfd
 * as a whole and as an OVA member (at an offset into the file, as
 * image_check_member reads one); then the table's probe, the row's
 * header reader and the footer probe get the head on a buffer of exactly
 * its bytes plus the NUL the probes may rely on, so that a read past them
 * is caught; image_format_read reads the header back from the memfd.
 * The head is also read as a VMDK descriptor, as resize reads one back
 * to write the image again in its own subformat (resize_vmdk_options).
 * Seeds: images qemu-img create makes in every format the table knows,
 * with backing files, data files and extents (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/bytes.h"
#include "appliance/error.h"
#include "appliance/image_check.h"
#include "appliance/image_format.h"
#include "appliance/resize.h"

#include "fuzz.h"

static void
sniff(int fd, uint64_t offset, uint64_t length)
{
    struct ab_error err = AB_ERROR_INIT;
    char format[IMAGE_FORMAT_MAX];
    if (image_sniff(fd, offset, length, "fuzz.img", format, &err) == 0 &&
        !image_format_find(format))
        abort(); /* a format that is not a row */
    ab_error_release(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = fuzz_memfd(data, size);
    sniff(fd, 0, size);
    if (size > 1)
        sniff(fd, data[0] % size, size - data[0] % size);

    size_t n = size < IMAGE_HEAD_SIZE ? size : IMAGE_HEAD_SIZE;
    unsigned char *h = malloc(n + 1);
    memcpy(h, data, n);
    h[n] = '\0';
    struct image_header hd = {0};
    const struct image_format *f = image_format_probe(h, n);
    if (f && f->read)
        f->read(h, n, &hd);
    if (hd.data_file_at + hd.data_file_len > n)
        abort(); /* the data file's name lies outside the head */
    if (f && f->create_options)
        f->create_options(&hd);
    free(resize_vmdk_options((const char *)h));
    free(h);

    if (size >= SECTOR) {
        unsigned char *last = malloc(SECTOR);
        memcpy(last, data + size - SECTOR, SECTOR);
        const struct image_format *fixed = image_format_probe_footer(last, &hd);
        if (!f)
            f = fixed; /* as image_sniff does: a fixed VHD */
        free(last);
    }
    if (f) {
        struct ab_error err = AB_ERROR_INIT;
        image_format_read(f, fd, 0, size, &hd, &err);
        ab_error_release(&err);
    }
    return 0;
}
