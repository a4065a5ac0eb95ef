/* lvm_text_fuzz.c: libFuzzer harness for LVM's metadata text and a PV
 * read through a byte reader (lvm_text.c, lvm.c; lvm.h).
 *
 * Each input is both a metadata text, parsed by lvm_vg_parse (whose
 * every field of the VG it gives is then checked: each LV's segments in
 * order and adding up to its size, each linear segment on a PV it lists,
 * inside it), and the bytes of a PV, read by lvm_pv_read through a byte
 * reader over a memfd as inspect reads one (its label, metadata area
 * header, the text with the area's wrap and checksum, the VG, or the
 * label alone). Seeds: a text this project's writer makes and one lvm2
 * wrote, and PVs holding them (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/error.h"
#include "appliance/lvm.h"

#include "fuzz.h"

static void
check_vg(const struct lvm_vg *vg)
{
    if (!vg->extent_size || !vg->name || !vg->uuid || !vg->n_pvs)
        abort();
    for (size_t i = 0; i < vg->n_pvs; i++)
        if (!vg->pvs[i].key || !vg->pvs[i].uuid ||
            vg->pvs[i].pe_count > (vg->pvs[i].dev_size - vg->pvs[i].pe_start) / vg->extent_size)
            abort();
    for (size_t l = 0; l < vg->n_lvs; l++) {
        const struct lvm_lv *lv = &vg->lvs[l];
        uint64_t at = 0;
        if (!lv->name || lv->linear == !!lv->type || (lv->linear && !lv->n_segs))
            abort();
        for (size_t s = 0; s < lv->n_segs; s++) {
            const struct lvm_seg *seg = &lv->segs[s];
            if (seg->start != at || !seg->count || seg->pv >= vg->n_pvs ||
                seg->pe + seg->count > vg->pvs[seg->pv].pe_count)
                abort();
            at += seg->count;
        }
        if (lv->linear && at != lv->extents)
            abort();
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
    int r = lvm_vg_parse(text, size, &vg, &why);
    if (r == -1 && !why)
        abort();
    if (r == 0) {
        check_vg(&vg);
        lvm_vg_release(&vg);
    }
    free(text);

    struct byte_reader br = byte_reader_fd(fuzz_memfd(data, size), size);
    struct lvm_pv pv;
    r = lvm_pv_read(&br, &pv, &why, &err);
    if (r < 0 || (r == 0 && (!why || pv.text || pv.vg.root)) ||
        (r > 0 && (!pv.labelled || pv.text[pv.text_len] || pv.index >= pv.vg.n_pvs)))
        abort();
    if (r > 0) {
        check_vg(&pv.vg);
        lvm_pv_release(&pv);
    }
    ab_error_release(&err);
    return 0;
}
