/* domxml_fuzz.c: libFuzzer harness for the libvirt domain XML reader
 * (domxml.h).
 *
 * Each input is a domain XML. When it reads, everything deploy and
 * convert --hardware-from ask of it is asked (the machine, the disks,
 * each disk's attributes, the files, the networks), then it is changed as
 * deploy changes it (type, uuid, name, user networking, disk formats,
 * disks relocated into a folder holding one image) and written out.
 * Seeds: tests/data/libvirt/ (tests/fuzz/seeds.sh). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/domxml.h"
#include "appliance/error.h"

#include "fuzz.h"

static char folder[PATH_MAX];

static void
remove_folder(void)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/os.qcow2", folder);
    unlink(path);
    rmdir(folder);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(folder, sizeof(folder), "%s/domxml-fuzz-XXXXXX", tmp);
    if (!mkdtemp(folder))
        abort();
    atexit(remove_folder);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/os.qcow2", folder);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fclose(f);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ab_error err = AB_ERROR_INIT;
    struct domxml *d = domxml_read_buffer("fuzz.xml", (const char *)data, size, &err);
    if (!d) {
        ab_error_release(&err);
        return 0;
    }
    struct domxml_machine m;
    domxml_machine(d, &m);
    if (strnlen(m.bus, sizeof(m.bus)) == sizeof(m.bus))
        abort();
    struct domxml_disk *disks = NULL;
    size_t n = 0;
    if (domxml_disks(d, &disks, &n, &err) == 0)
        for (size_t i = 0; i < n; i++)
            if (disks[i].target) {
                free(domxml_disk_attr(d, disks[i].target, "source", "file"));
                free(domxml_disk_attr(d, disks[i].target, "mirror", "ready"));
            }
    domxml_disks_free(disks, n);

    char **files = domxml_disk_files(d);
    for (size_t i = 0; files && files[i] && files[i + 1]; i += 2)
        domxml_set_disk_format(d, files[i + 1], "qcow2", &err);
    ab_strv_free(files);
    char **nets = domxml_networks(d);
    for (size_t i = 0; nets && nets[i]; i++)
        domxml_use_user_networking(d, nets[i], &err);
    ab_strv_free(nets);

    domxml_set_type(d, "qemu", &err);
    domxml_set_uuid(d, "8c6f3e57-9d1b-4a4e-9a47-3f1c2b9d0e11", &err);
    domxml_rename(d, "fuzz <&> 'renamed'", &err);
    domxml_relocate_disks(d, folder, &err);
    free(domxml_to_string(d, &err));
    domxml_free(d);
    ab_error_release(&err);
    return 0;
}
