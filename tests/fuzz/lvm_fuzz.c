/* lvm_fuzz.c: libFuzzer harness for the LVM readers (lvm.h).
 *
 * Each input is a raw disk image: lvm_image_pv_read reads it through a
 * memfd (its GPT, the LVM partition or else the whole input as one PV:
 * label, area header, text with its checksums, the VG parsed, its PV
 * found in it). The decoders also get the input directly: its first four
 * sectors as label sectors of their own numbers, its 512 bytes at 4 KiB
 * as a metadata area header; and the whole input is parsed as a VG's
 * metadata text (lvm_vg_parse), a VG that parses written back
 * (lvm_meta_vg_text, as resize does) and parsed again. Seeds: a GPT that
 * sfdisk writes with a PV made of the bytes lvm2 wrote
 * (tests/unit/test_lvm_meta.c), the PV alone, a VG's text and a PV
 * holding it (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/error.h"
#include "appliance/lvm.h"
#include "appliance/lvm_meta.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ab_error err = AB_ERROR_INIT;
    const char *why = NULL;

    int fd = fuzz_memfd(data, size);
    struct lvm_pv pv;
    int r = lvm_image_pv_read(fd, size, &pv, &why, &err);
    if (r < 0 || (r == 0 && !why))
        abort();
    if (r > 0) {
        if (pv.index >= pv.vg.n_pvs || fuzz_len(pv.vg.name) == 0 || !pv.labelled)
            abort();
        lvm_pv_release(&pv);
    }
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
    lvm_crc(LVM_CRC_INITIAL, data, size);
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
