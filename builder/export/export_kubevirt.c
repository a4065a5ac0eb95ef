/* export_kubevirt.c: the kubevirt output: each disk as a KubeVirt
 * containerDisk, and a VirtualMachine that attaches both.
 *
 *   STEM-os.containerdisk.tar   an OCI image layout in a tar (skopeo's
 *   STEM-app.containerdisk.tar  oci-archive:), one image each: one
 *                               uncompressed layer holding the disk's
 *                               qcow2 as /disk/STEM-DISK.qcow2, owned by
 *                               107:107 (the qemu user of KubeVirt's
 *                               launcher), as KubeVirt's user guide builds
 *                               one (FROM scratch, ADD --chown=107:107
 *                               disk.qcow2 /disk/)
 *   STEM.kubevirt.yaml          the VirtualMachine (kubevirt.io/v1): the
 *                               recipe's CPUs, memory and firmware, the
 *                               OS disk first to boot, both disks virtio,
 *                               each a containerDisk volume of image
 *                               NAME:VERSION-os / -app, the tags that
 *                               `appliance push REGISTRY/PATH/NAME:VERSION`
 *                               gives them
 *
 * The same disks and SOURCE_DATE_EPOCH give the same bytes: members in a
 * fixed order, numeric owners, every time the epoch. The layer is not
 * compressed: the qcow2 is already sparse, and gzip would cost the
 * build a pass over it for little. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/export_container.h"
#include "appliance/hash.h"
#include "appliance/jsonutil.h"
#include "appliance/oci.h"
#include "exporter.h"

/* The uid and gid of qemu in KubeVirt's virt-launcher. */
#define KUBEVIRT_QEMU_ID 107

static struct archive *
open_tar(const char *path, struct ab_error *err)
{
    struct archive *a = archive_write_new();
    if (!a) {
        ab_oom(err);
        return NULL;
    }
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open_filename(a, path) != ARCHIVE_OK) {
        ab_build_error(err, archive_errno(a), "cannot write '%s': %s", path,
                       archive_error_string(a));
        archive_write_free(a);
        return NULL;
    }
    return a;
}

static int
close_tar(struct archive *a, const char *path, struct ab_error *err)
{
    int r = 0;
    if (archive_write_close(a) != ARCHIVE_OK)
        r = ab_build_error(err, archive_errno(a), "cannot write '%s': %s", path,
                           archive_error_string(a));
    archive_write_free(a);
    return r;
}

/* The layer: disk/ and disk/NAME, qemu's. */
static int
write_layer(const char *qcow2, const char *name, int64_t epoch, const char *path,
            struct ab_error *err)
{
    char inner[512];
    snprintf(inner, sizeof(inner), "disk/%s", name);
    struct archive *a = open_tar(path, err);
    if (!a)
        return -1;
    if (oci_archive_member(a, "disk/", epoch, KUBEVIRT_QEMU_ID, 0555, NULL, NULL, err) < 0 ||
        oci_archive_member(a, inner, epoch, KUBEVIRT_QEMU_ID, 0440, NULL, qcow2, err) < 0) {
        archive_write_free(a);
        return -1;
    }
    return close_tar(a, path, err);
}

/* The image config: the appliance's architecture (a containerDisk is
 * pulled by nodes of its VM's), linux, the layer's diff_id, no command. */
static char *
config_json(enum arch arch, int64_t epoch, const char *diff_id)
{
    char created[32];
    container_time(epoch, created);
    json_object *o = json_object_new_object(), *rootfs = json_object_new_object(),
                *ids = json_object_new_array();
    if (!o || !rootfs || !ids) {
        json_object_put(o);
        json_object_put(rootfs);
        json_object_put(ids);
        return NULL;
    }
    put_str(o, "created", created);
    put_str(o, "architecture", arch_row(arch)->oci);
    put_str(o, "os", "linux");
    json_object_object_add(o, "config", json_object_new_object());
    put_str(rootfs, "type", "layers");
    json_object_array_add(ids, json_object_new_string(diff_id));
    json_object_object_add(rootfs, "diff_ids", ids);
    json_object_object_add(o, "rootfs", rootfs);
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE);
    char *text = s ? strdup(s) : NULL;
    json_object_put(o);
    return text;
}

struct blob {
    char name[OCI_DIGEST_LEN + 16];
    char *text;
    const char *path;
};

static int
blob_cmp(const void *a, const void *b)
{
    return strcmp(((const struct blob *)a)->name, ((const struct blob *)b)->name);
}

static void
text_digest(const char *text, char out[OCI_DIGEST_LEN])
{
    char hex[HASH_HEX_MAX] = "0";
    struct digest_ctx *d = digest_new(DIGEST_SHA256);
    if (d) {
        digest_update(d, text, strlen(text));
        digest_hex(d, hex);
    }
    digest_free(d);
    snprintf(out, OCI_DIGEST_LEN, "sha256:%.64s", hex);
}

/* The manifest of config and layer, and index.json naming it tag. */
static int
documents(const char *config, const char *layer_digest, uint64_t layer_size, const char *tag,
          char **manifest, char **index, struct ab_error *err)
{
    struct oci_manifest m;
    char cfg[OCI_DIGEST_LEN], man[OCI_DIGEST_LEN];
    size_t len = 0;
    memset(&m, 0, sizeof(m));
    text_digest(config, cfg);
    struct oci_descriptor *d = NULL;
    int r = oci_descriptor_set(&m.config, OCI_CONFIG_TYPE, cfg, strlen(config), err) < 0 ||
                    !(d = oci_manifest_add_layer(&m, err)) ||
                    oci_descriptor_set(d, OCI_LAYER_TAR_TYPE, layer_digest, layer_size, err) < 0 ||
                    oci_manifest_write(&m, manifest, &len, err) < 0
                ? -1
                : 0;
    oci_manifest_release(&m);
    if (r < 0)
        return -1;
    text_digest(*manifest, man);
    if (asprintf(index,
                 "{\"schemaVersion\":2,\"mediaType\":\"" OCI_INDEX_TYPE
                 "\",\"manifests\":[{\"mediaType\":\"" OCI_MANIFEST_TYPE
                 "\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"" OCI_REF_NAME
                 "\":\"%s\"}}]}",
                 man, len, tag) < 0)
        return ab_oom(err);
    return 0;
}

/* The OCI archive around the layer at layer. */
static int
write_archive(const char *layer, const char *tag, enum arch arch, int64_t epoch, const char *path,
              struct ab_error *err)
{
    char hex[HASH_HEX_MAX], digest[OCI_DIGEST_LEN];
    struct stat st;
    if (digest_file(DIGEST_SHA256, layer, hex, err) < 0)
        return -1;
    if (stat(layer, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", layer, strerror(errno));
    snprintf(digest, sizeof(digest), "sha256:%.64s", hex);
    CLEANUP_FREE char *config = config_json(arch, epoch, digest), *manifest = NULL, *index = NULL;
    if (!config)
        return ab_oom(err);
    if (documents(config, digest, (uint64_t)st.st_size, tag, &manifest, &index, err) < 0)
        return -1;
    struct blob blobs[3] = {{"", config, NULL}, {"", manifest, NULL}, {"", NULL, layer}};
    char d[OCI_DIGEST_LEN];
    text_digest(config, d);
    snprintf(blobs[0].name, sizeof(blobs[0].name), "blobs/sha256/%s", d + 7);
    text_digest(manifest, d);
    snprintf(blobs[1].name, sizeof(blobs[1].name), "blobs/sha256/%s", d + 7);
    snprintf(blobs[2].name, sizeof(blobs[2].name), "blobs/sha256/%.64s", hex);
    qsort(blobs, 3, sizeof(blobs[0]), blob_cmp);
    struct archive *a = open_tar(path, err);
    if (!a)
        return -1;
    int r = oci_archive_member(a, "blobs/", epoch, 0, 0755, NULL, NULL, err) < 0 ||
                    oci_archive_member(a, "blobs/sha256/", epoch, 0, 0755, NULL, NULL, err) < 0
                ? -1
                : 0;
    for (int i = 0; r == 0 && i < 3; i++)
        r = oci_archive_member(a, blobs[i].name, epoch, 0, 0644, blobs[i].text, blobs[i].path, err);
    if (r == 0)
        r = oci_archive_member(a, "index.json", epoch, 0, 0644, index, NULL, err) < 0 ||
                    oci_archive_member(a, "oci-layout", epoch, 0, 0644, "{\"imageLayoutVersion\":\"1.0.0\"}",
                           NULL, err) < 0
                ? -1
                : 0;
    if (r < 0) {
        archive_write_free(a);
        return -1;
    }
    return close_tar(a, path, err);
}

/* One disk's containerDisk at path: its qcow2 (the qcow2 output's when
 * the recipe has it, else made beside), the layer, the archive. */
static int
containerdisk(const struct export_job *job, enum plan_disk_id disk, const char *raw,
              const char *path, const void *ctx, struct ab_error *err)
{
    (void)raw;
    (void)ctx;
    CLEANUP_FREE char *own = export_disk_path(job, disk, "qcow2"), *made = NULL, *layer = NULL,
                      *name = export_disk_file(job->plan, disk, "qcow2"), *tmp = NULL;
    CLEANUP_FREE char *ref = container_ref(job->plan);
    if (!own || !name || !ref || asprintf(&made, "%s/.kubevirt-%s", job->dir, name) < 0 ||
        asprintf(&layer, "%s/.kubevirt-layer.tar", job->dir) < 0 ||
        asprintf(&tmp, "%s.tmp", path) < 0)
        return ab_oom(err);
    bool have = (job->plan->outputs & OUTPUT_QCOW2) && access(own, F_OK) == 0;
    if (!have && export_qcow2_file(job, disk, made, err) < 0)
        return -1;
    /* The tag: NAME:VERSION's tag, and the disk. */
    char tag[160];
    snprintf(tag, sizeof(tag), "%.120s-%s", strchr(ref, ':') + 1, disk == PLAN_DISK_OS ? "os" : "app");
    int r = write_layer(have ? own : made, name, job->epoch, layer, err);
    if (!have)
        unlink(made);
    if (r == 0)
        r = write_archive(layer, tag, job->plan->hardware.arch, job->epoch, tmp, err);
    unlink(layer);
    if (r == 0 && rename(tmp, path) < 0)
        r = ab_build_error(err, errno, "cannot rename '%s': %s", tmp, strerror(errno));
    if (r < 0)
        unlink(tmp);
    return r;
}

/* A YAML double-quoted scalar: JSON's string syntax is YAML's. */
static const char *
quoted(json_object **keep, const char *s)
{
    *keep = json_object_new_string(s);
    return *keep ? json_object_to_json_string_ext(*keep, JSON_C_TO_STRING_NOSLASHESCAPE) : "\"\"";
}

int
kubevirt_vm_write(const struct plan *plan, const char *os_image, const char *app_image, FILE *f)
{
    json_object *q[5] = {NULL};
    const char *bios = plan->hardware.firmware == FIRMWARE_UEFI ? NULL : "bios: {}";
    /* aarch64: scheduled on arm64 nodes; KubeVirt refuses Secure Boot
     * there ("UEFI secure boot is currently not supported on aarch64",
     * its arm64 admission webhook), so the signed chain boots with it off. */
    bool arm = plan->hardware.arch == ARCH_AARCH64;
    char arch_line[64] = "";
    if (arm)
        snprintf(arch_line, sizeof(arch_line), "      architecture: %s\n",
                 arch_row(plan->hardware.arch)->oci);
    fprintf(f,
            "# KubeVirt VirtualMachine of %s %s, written by appliance (the kubevirt output).\n"
            "# Each containerDisk image is the tag 'appliance push' gives it:\n"
            "# push REGISTRY/PATH/NAME:VERSION, then put REGISTRY/PATH/ before each image.\n"
            "apiVersion: kubevirt.io/v1\n"
            "kind: VirtualMachine\n"
            "metadata:\n"
            "  name: %s\n"
            "  labels:\n"
            "    app.kubernetes.io/name: %s\n"
            "    app.kubernetes.io/version: %s\n"
            "spec:\n"
            "  runStrategy: Halted\n"
            "  template:\n"
            "    metadata:\n"
            "      labels:\n"
            "        kubevirt.io/vm: %s\n"
            "    spec:\n"
            "%s"
            "      domain:\n"
            "        cpu:\n"
            "          cores: %u\n"
            "        memory:\n"
            "          guest: %lluMi\n"
            "        firmware:\n"
            "          bootloader:\n"
            "            %s\n"
            "        devices:\n"
            "          disks:\n"
            "            - name: os\n"
            "              bootOrder: 1\n"
            "              disk:\n"
            "                bus: virtio\n"
            "            - name: app\n"
            "              disk:\n"
            "                bus: virtio\n"
            "          interfaces:\n"
            "            - name: default\n"
            "              masquerade: {}\n"
            "      networks:\n"
            "        - name: default\n"
            "          pod: {}\n"
            "      volumes:\n"
            "        - name: os\n"
            "          containerDisk:\n"
            "            image: %s\n"
            "        - name: app\n"
            "          containerDisk:\n"
            "            image: %s\n",
            plan->name, plan->version, quoted(&q[0], plan->name), quoted(&q[0], plan->name),
            quoted(&q[1], plan->version), quoted(&q[0], plan->name), arch_line, plan->hardware.cpus,
            (unsigned long long)(plan->hardware.memory >> 20),
            bios ? bios : (plan->hardware.secure_boot && !arm ? "efi: {secureBoot: true}"
                                                              : "efi: {secureBoot: false}"),
            quoted(&q[2], os_image), quoted(&q[3], app_image));
    for (size_t i = 0; i < 5; i++)
        json_object_put(q[i]);
    return ferror(f) ? -1 : 0;
}

static int
write_vm(const struct export_job *job, struct ab_error *err)
{
    CLEANUP_FREE char *path = delivery_path(job->plan, job->dir, ".kubevirt.yaml"), *tmp = NULL;
    CLEANUP_FREE char *ref = container_ref(job->plan), *os = NULL, *app = NULL;
    if (!path || !ref || asprintf(&tmp, "%s.tmp", path) < 0 ||
        asprintf(&os, "%s-os", ref) < 0 || asprintf(&app, "%s-app", ref) < 0)
        return ab_oom(err);
    export_step(job, export_base_name(path));
    FILE *f = fopen(tmp, "we");
    if (!f)
        return ab_build_error(err, errno, "cannot write '%s': %s", tmp, strerror(errno));
    int r = kubevirt_vm_write(job->plan, os, app, f);
    if (fclose(f) != 0 || r < 0) {
        unlink(tmp);
        return ab_build_error(err, errno, "cannot write '%s': %s", tmp, strerror(errno));
    }
    if (rename(tmp, path) < 0) {
        unlink(tmp);
        return ab_build_error(err, errno, "cannot rename '%s': %s", tmp, strerror(errno));
    }
    return 0;
}

static int
kubevirt_write(const struct exporter *self, const struct export_job *job, struct ab_error *err)
{
    (void)self;
    if (export_each_disk(job, "containerdisk.tar", "containerdisk.tar", true, containerdisk,
                         NULL, err) < 0)
        return -1;
    return write_vm(job, err);
}

const struct exporter exporter_kubevirt = {"kubevirt", OUTPUT_KUBEVIRT, NULL, kubevirt_write,
                                           NULL};
