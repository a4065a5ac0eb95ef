/* lvm_fuzz.c: libFuzzer harness for the LVM readers (lvm.h).
 *
 * Each input is a raw disk image: lvm_vg_name reads it through a memfd
 * (its GPT, the LVM partition's label, metadata area header and text),
 * and so does lvm_pv_read, the input taken as one PV (label, area header,
 * text with its checksums, the VG parsed); the whole input is also parsed
 * as a VG's metadata text (lvm_vg_parse), and a VG that parses is written
 * back (lvm_meta_vg_text, as resize does) and must parse again;
 * the decoders also get the input directly: its first four sectors as
 * label sectors of their own numbers, its 512 bytes at 4 KiB as a
 * metadata area header, and the whole as metadata text. Seeds: a GPT that sfdisk writes with a PV made
 * of the bytes lvm2 wrote (tests/unit/test_lvm_meta.c), and the PV alone
 * (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/error.h"
#include "appliance/lvm.h"
#include "appliance/lvm_meta.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ab_error err = AB_ERROR_INIT;
    char name[LVM_VG_NAME_MAX];
    const char *why = NULL;

    int fd = fuzz_memfd(data, size);
    int r = lvm_vg_name(fd, size, name, &why, &err);
    if (r < 0 || (r == 1 && strnlen(name, LVM_VG_NAME_MAX) == LVM_VG_NAME_MAX) || (r == 0 && !why))
        abort();
    ab_error_release(&err);

    /* The decoders on buffers of exactly their size, copied so that a
     * read past them is caught: each sector lvm scans for the label, as
     * the number it is, and the metadata area header where lvm puts it
     * (else at the start). */
    unsigned char *sector = malloc(LVM_MDA_HEADER_SIZE);
    struct lvm_pv_header h;
    for (uint64_t i = 0; i < LVM_LABEL_SCAN_SECTORS && (i + 1) * SECTOR <= size; i++) {
        memcpy(sector, data + i * SECTOR, SECTOR);
        lvm_label_decode(sector, i, &h);
    }
    size_t at = size >= LVM_MDA_START + LVM_MDA_HEADER_SIZE ? LVM_MDA_START : 0;
    if (size >= at + LVM_MDA_HEADER_SIZE) {
        struct lvm_mda_header m;
        memcpy(sector, data + at, LVM_MDA_HEADER_SIZE);
        lvm_mda_header_decode(sector, &m);
    }
    free(sector);
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    lvm_text_vg_name(text, size, name);
    free(text);
    lvm_crc(LVM_CRC_INITIAL, data, size);

    struct lvm_pv pv;
    struct byte_reader br = byte_reader_fd(fd, size);
    if (lvm_pv_read(&br, &pv, &why, &err) > 0) {
        if (pv.index >= pv.vg.n_pvs || fuzz_len(pv.vg.name) == 0)
            abort();
        lvm_pv_release(&pv);
    }
    ab_error_release(&err);
    struct lvm_vg vg;
    if (lvm_vg_parse((const char *)data, size, &vg, &why) == 0) {
        size_t len = 0;
        char *again = lvm_meta_vg_text(&vg, &len);
        struct lvm_vg back;
        if (again && lvm_vg_parse(again, len, &back, &why) != 0)
            abort(); /* what resize writes must read back */
        if (again)
            lvm_vg_release(&back);
        free(again);
        lvm_vg_release(&vg);
    }
    return 0;
}
