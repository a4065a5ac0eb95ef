/* lvm_text_fuzz.c: libFuzzer harness for LVM's metadata text and a PV's
 * current text on a disk (lvm_text.c, lvm.h).
 *
 * Each input is both a metadata text, parsed by lvm_text_parse (whose
 * every field of the VG it gives is then read: names NUL-terminated,
 * each linear segment on a PV it lists, inside it), and the bytes of a
 * PV, read by lvm_pv_read through a memfd (its label, metadata area
 * header, the text with the area's wrap and checksum). Seeds: a text
 * this project's writer makes and one lvm2 wrote, and PVs holding them
 * (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/error.h"
#include "appliance/lvm.h"

#include "fuzz.h"

static void
check_vg(const struct lvm_vg *vg)
{
    if (!vg->extent_size || strnlen(vg->name, LVM_NAME_BUF) == LVM_NAME_BUF)
        abort();
    for (size_t i = 0; i < vg->n_pvs; i++)
        if (strnlen(vg->pvs[i].key, LVM_NAME_BUF) == LVM_NAME_BUF)
            abort();
    for (size_t l = 0; l < vg->n_lvs; l++) {
        const struct lvm_vg_lv *lv = &vg->lvs[l];
        uint64_t at = 0;
        if (strnlen(lv->name, LVM_NAME_BUF) == LVM_NAME_BUF)
            abort();
        for (size_t s = 0; s < lv->n_segs; s++) {
            const struct lvm_vg_seg *seg = &lv->segs[s];
            if (seg->start_extent != at || !seg->extent_count)
                abort();
            at += seg->extent_count;
            if (seg->linear && (seg->pv >= vg->n_pvs ||
                                seg->pe + seg->extent_count > vg->pvs[seg->pv].pe_count))
                abort();
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ab_error err = AB_ERROR_INIT;
    const char *why = NULL;
    struct lvm_vg vg;
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    int r = lvm_text_parse(text, size, &vg, &why, &err);
    if (r < 0 || (r == 0 && !why))
        abort();
    if (r > 0)
        check_vg(&vg);
    lvm_vg_release(&vg);
    free(text);

    struct byte_reader br = byte_reader_fd(fuzz_memfd(data, size), size);
    struct lvm_pv_found pv;
    r = lvm_pv_read(&br, &pv, &why, &err);
    if (r < 0 || (pv.text && (pv.text[pv.text_len] || r != 1)))
        abort();
    if (pv.text && lvm_text_parse(pv.text, pv.text_len, &vg, &why, &err) > 0)
        check_vg(&vg);
    lvm_vg_release(&vg);
    free(pv.text);
    ab_error_release(&err);
    return 0;
}
