/* vmdk.h: raw disk images to streamOptimized VMDK, the disk format of OVAs.
 *
 * The writer follows the VMware Virtual Disk Format 1.1 ("Stream-Optimized
 * Compressed Sparse Extents"): a sparse extent header (magic KDMV, version 3,
 * flags newline detection + compressed grains + markers, gdOffset "at end"),
 * the embedded descriptor, then each non-zero 64 KiB grain as a grain marker
 * and its zlib-wrapped deflate data, each grain table (metadata marker) after
 * the grains it maps, the grain directory, a footer marker with a copy of the
 * header holding the real grain directory offset, and an end-of-stream marker.
 * Empty grain tables are left out, as VMware's own writer does.
 *
 * Holes of the raw image (SEEK_DATA/SEEK_HOLE) are never read, all-zero
 * grains are not stored, and grains are compressed on several threads and
 * written in order by the calling thread; memory use is bounded by the
 * number of threads, not by the size of the disk.
 *
 * It links with libc, pthread and libdeflate alone (and error.o): the
 * Makefile builds bench/vmdk-write that way, so a dependency creeping in
 * breaks the build. */
#ifndef APPLIANCE_VMDK_H
#define APPLIANCE_VMDK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"

/* The ddb.adapterType of the descriptor. The zero value is lsilogic, the
 * one SCSI controller that VMware, VirtualBox and virt-v2v all accept. */
enum vmdk_adapter {
    VMDK_ADAPTER_LSILOGIC = 0,
    VMDK_ADAPTER_IDE,
    VMDK_ADAPTER_BUSLOGIC,
    VMDK_ADAPTER_LEGACY_ESX,
};

/* Compression levels are libdeflate's, 1 (fastest) to 12 (smallest). */
#define VMDK_LEVEL_MIN 1
#define VMDK_LEVEL_MAX 12
/* The level used when vmdk_opts.level is 0. Measured on the demo's OS disk
 * against zlib's level 6 (qemu-img's), single-threaded: level 4 stores 1.2%
 * more in a quarter of the CPU time; level 5 stores 1% less in a third;
 * level 6 1.4% less in 38%. */
#define VMDK_LEVEL_DEFAULT 4

/* Called by the thread that called vmdk_stream_write, after each batch of
 * grains is written and once more at the end with done == total (bytes of
 * the raw image). */
typedef void (*vmdk_progress_fn)(uint64_t done, uint64_t total, void *opaque);

/* Every field's zero value is the default. */
struct vmdk_opts {
    enum vmdk_adapter adapter;
    unsigned threads;          /* compression threads; 0: one per CPU it may use */
    int level;                 /* VMDK_LEVEL_MIN..MAX; 0: VMDK_LEVEL_DEFAULT */
    vmdk_progress_fn progress; /* may be NULL */
    void *progress_opaque;     /* passed to progress */
    uint32_t cid;              /* descriptor CID; 0: one derived from the extent's
                                  name and the capacity (never random) */
    /* Once *stop is non-zero, the write fails with EINTR ("interrupted")
     * at the next batch of grains; NULL: never. */
    const volatile sig_atomic_t *stop;
    /* When not NULL, set on success to the bytes of the disk that hold
     * data: its non-zero grains, the last one cut at the disk's end (the
     * OVF's populatedSize; it depends on the contents alone, not on how
     * the raw file is allocated). */
    uint64_t *populated;
    /* ddb.virtualHWVersion, the OVF's vmx-NN; 0: 4, what qemu-img and
     * open-vmdk write. */
    unsigned hw_version;
    /* When not NULL, called by the calling thread with every byte of the
     * output, in the file's order, as it is written (its digest is made
     * without reading it again). */
    void (*written)(const void *buf, size_t len, void *opaque);
    void *written_opaque; /* passed to written */
};

#define VMDK_OPTS_INIT                                                                             \
    {                                                                                              \
        VMDK_ADAPTER_LSILOGIC, 0, 0, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL                      \
    }

/* Writes the raw image raw_path as a streamOptimized VMDK at vmdk_path,
 * whose descriptor names the extent by vmdk_path's basename (so write it
 * under its final name). The virtual size is the raw size rounded up to
 * whole 512-byte sectors. The file appears whole or not at all: it is
 * written under a temporary name beside vmdk_path and renamed at the end;
 * on failure the partial file is removed. opts may be NULL. */
int vmdk_stream_write(const char *raw_path, const char *vmdk_path, const struct vmdk_opts *opts,
                      struct ab_error *err);

/* "lsilogic", "ide", "buslogic", "legacyESX" (qemu-img's and VMware's names). */
const char *vmdk_adapter_to_string(enum vmdk_adapter adapter);
/* Returns 0 and sets *adapter, or -1 if name is none of the above. */
int vmdk_adapter_from_string(const char *name, enum vmdk_adapter *adapter);

#endif
