/* delivery.c: the output folder's names, what each file is for, and the
 * INSTALL-TARGET.md beside them (delivery.h). */
#include "appliance/delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/enums.h"
#include "appliance/fsutil.h"
#include "appliance/templates.h"

/* One file of an output: STEM + suffix, or STEM-DISK + suffix for each
 * disk, under dir ("" or "ovf/"); key names it in the INSTALL templates
 * (OS_KEY and APP_KEY for a disk's). In a bundle (the folder STEM +
 * bundle: the vmx output's STEM.vmwarevm/, the utm output's STEM.utm/),
 * dir is below that folder, and a file that is not a disk's is STEM +
 * suffix when suffix starts with a dot (STEM.vmx), else suffix alone
 * (a fixed name: config.plist). */
struct file_row {
    unsigned output;
    const char *dir;
    bool per_disk;
    const char *suffix;
    const char *key;
    const char *bundle; /* NULL: in the output folder itself */
};

static const struct file_row file_rows[] = {
    {OUTPUT_OVA, "", false, ".ova", "OVA", NULL},
    {OUTPUT_OVF, "ovf/", false, ".ovf", "OVF", NULL},
    {OUTPUT_OVF, "ovf/", false, ".mf", "OVF_MF", NULL},
    {OUTPUT_OVF, "ovf/", true, ".vmdk", "OVF_VMDK", NULL},
    {OUTPUT_VMDK, "", true, ".vmdk", "VMDK", NULL},
    {OUTPUT_QCOW2, "", true, ".qcow2", "QCOW2", NULL},
    {OUTPUT_LIBVIRT, "", false, ".xml", "XML", NULL},
    {OUTPUT_VHDX, "", true, ".vhdx", "VHDX", NULL},
    {OUTPUT_HYPERV, "", false, ".ps1", "PS1", NULL},
    {OUTPUT_VDI, "", true, ".vdi", "VDI", NULL},
    {OUTPUT_RAW, "", true, ".raw", "RAW", NULL},
    {OUTPUT_AZURE, "", true, ".vhd", "VHD", NULL},
    {OUTPUT_GCE, "", true, ".tar.gz", "GCE", NULL},
    {OUTPUT_CONTAINER, "", false, "-container.tar", "OCI", NULL},
    {OUTPUT_CONTAINER, "", false, "-ct.tar.zst", "CT", NULL},
    {OUTPUT_KUBEVIRT, "", true, ".containerdisk.tar", "CONTAINERDISK", NULL},
    {OUTPUT_KUBEVIRT, "", false, ".kubevirt.yaml", "KUBEVIRT", NULL},
    {OUTPUT_VMX, "", false, ".vmx", "VMX", EXPORT_VMX_FOLDER},
    {OUTPUT_VMX, "", true, ".vmdk", "VMX_VMDK", EXPORT_VMX_FOLDER},
    {OUTPUT_UTM, "", false, DELIVERY_UTM_CONFIG, "UTM_CONFIG", DELIVERY_UTM},
    {OUTPUT_UTM, DELIVERY_UTM_DATA "/", true, ".qcow2", "UTM_QCOW2", DELIVERY_UTM},
};

#define N_FILE_ROWS (sizeof(file_rows) / sizeof(file_rows[0]))

/* The files of every folder (DELIVERY_*): STEM + suffix, or name; the
 * container's SBOMs only with its output. */
static const struct {
    const char *role;
    unsigned output; /* 0: always */
    const char *suffix, *name;
} doc_rows[] = {
    {"sbom", 0, DELIVERY_SPDX, NULL},
    {"sbom", 0, DELIVERY_CDX, NULL},
    {"sbom", OUTPUT_CONTAINER, DELIVERY_CONTAINER_SPDX, NULL},
    {"sbom", OUTPUT_CONTAINER, DELIVERY_CONTAINER_CDX, NULL},
    {"provenance", 0, DELIVERY_PROVENANCE, NULL},
    {"provenance", 0, DELIVERY_DSSE, NULL},
    {"signature", 0, NULL, DELIVERY_SUMS_SIG},
};

/* Whether path is one of doc_rows: its role, else NULL. */
static const char *
doc_role(const char *stem, unsigned outputs, const char *path)
{
    size_t n = strlen(stem);
    for (size_t i = 0; i < sizeof(doc_rows) / sizeof(doc_rows[0]); i++) {
        if (doc_rows[i].output && !(outputs & doc_rows[i].output))
            continue;
        if (doc_rows[i].name ? strcmp(path, doc_rows[i].name) == 0
                             : strncmp(path, stem, n) == 0 &&
                                   strcmp(path + n, doc_rows[i].suffix) == 0)
            return doc_rows[i].role;
    }
    return NULL;
}

/* One way a target is served: when the plan has output (and none of
 * unless), its INSTALL file gets templates/TEMPLATE and names the files
 * of the outputs in files. */
struct target_row {
    const char *target, *title;
    unsigned output, unless, files;
    const char *template;
};

static const struct target_row target_rows[] = {
    {"vsphere", "VMware vSphere (ESXi, vCenter)", OUTPUT_OVA, 0, OUTPUT_OVA,
     "install-vsphere-ova.md"},
    {"vsphere", NULL, OUTPUT_OVF, 0, OUTPUT_OVF, "install-vsphere-ovf.md"},
    {"workstation", "VMware Workstation and Player", OUTPUT_OVA, 0, OUTPUT_OVA,
     "install-workstation-ova.md"},
    {"workstation", NULL, OUTPUT_VMX, 0, OUTPUT_VMX, "install-workstation-vmx.md"},
    {"virtualbox", "Oracle VirtualBox", OUTPUT_OVA, 0, OUTPUT_OVA, "install-virtualbox-ova.md"},
    {"virtualbox", NULL, OUTPUT_VDI, 0, OUTPUT_VDI, "install-virtualbox-vdi.md"},
    {"hyperv", "Microsoft Hyper-V", OUTPUT_HYPERV, 0, OUTPUT_HYPERV | OUTPUT_VHDX,
     "install-hyperv-ps1.md"},
    {"hyperv", NULL, OUTPUT_VHDX, OUTPUT_HYPERV, OUTPUT_VHDX, "install-hyperv-vhdx.md"},
    {"proxmox", "Proxmox VE", OUTPUT_OVA, 0, OUTPUT_OVA, "install-proxmox-ova.md"},
    {"proxmox", NULL, OUTPUT_QCOW2, 0, OUTPUT_QCOW2, "install-proxmox-qcow2.md"},
    {"proxmox", NULL, OUTPUT_CONTAINER, 0, OUTPUT_CONTAINER, "install-proxmox-ct.md"},
    {"kvm", "KVM with libvirt", OUTPUT_LIBVIRT, 0, OUTPUT_LIBVIRT | OUTPUT_QCOW2,
     "install-kvm-libvirt.md"},
    {"kvm", NULL, OUTPUT_QCOW2, OUTPUT_LIBVIRT, OUTPUT_QCOW2, "install-kvm-qcow2.md"},
    {"azure", "Microsoft Azure", OUTPUT_AZURE, 0, OUTPUT_AZURE, "install-azure.md"},
    {"gce", "Google Compute Engine", OUTPUT_GCE, 0, OUTPUT_GCE, "install-gce.md"},
    {"containers", "Containers (Podman, Docker, LXC, Incus)", OUTPUT_CONTAINER, 0, OUTPUT_CONTAINER,
     "install-containers.md"},
    {"kubevirt", "KubeVirt", OUTPUT_KUBEVIRT, 0, OUTPUT_KUBEVIRT, "install-kubevirt.md"},
    {"utm", "UTM on macOS", OUTPUT_UTM, 0, OUTPUT_UTM, "install-utm.md"},
};

#define N_TARGET_ROWS (sizeof(target_rows) / sizeof(target_rows[0]))

const char *const delivery_targets[] = {"vsphere",    "workstation", "virtualbox", "hyperv",
                                        "proxmox",    "kvm",         "azure",      "gce",
                                        "containers", "kubevirt",    "utm",        NULL};

static const char *const disk_ids[PLAN_N_DISKS] = {"os", "app"};

char *
delivery_file(const struct plan *plan, const char *suffix)
{
    return delivery_stem_file(plan->stem, suffix);
}

char *
delivery_stem_file(const char *stem, const char *suffix)
{
    char *s;
    return asprintf(&s, "%s%s", stem, suffix) < 0 ? NULL : s;
}

char *
delivery_disk_file(const struct plan *plan, enum plan_disk_id disk, const char *suffix)
{
    char *s;
    return asprintf(&s, "%s-%s%s", plan->stem, plan->disks[disk].id, suffix) < 0 ? NULL : s;
}

char *
delivery_path(const struct plan *plan, const char *dir, const char *suffix)
{
    char *s;
    return asprintf(&s, "%s/%s%s", dir, plan->stem, suffix) < 0 ? NULL : s;
}

char *
delivery_arch_doc(const char *base, const char *arch, const char *ext)
{
    char *s;
    if (asprintf(&s, "%s%s%s%s", base, arch ? "-" : "", arch ? arch : "", ext) < 0)
        return NULL;
    return s;
}

const char *
delivery_arch_doc_of(const char *path, const char *base, const char *ext)
{
    size_t n = strlen(base);
    if (strncmp(path, base, n) != 0)
        return NULL;
    if (strcmp(path + n, ext) == 0)
        return "";
    for (size_t i = 0; path[n] == '-' && i < arch_table.n; i++) {
        const char *arch = ab_enum_at(&arch_table, i)->name;
        size_t a = strlen(arch);
        if (strncmp(path + n + 1, arch, a) == 0 && strcmp(path + n + 1 + a, ext) == 0)
            return arch;
    }
    return NULL;
}

unsigned
delivery_output_flag(const char *output)
{
    int v;
    return output && ab_enum_from_string(&output_table, output, &v) == 0 ? (unsigned)v : 0;
}

/* a and b joined, in a new string. */
static char *
concat(const char *a, const char *b)
{
    char *s;
    return asprintf(&s, "%s%s", a, b) < 0 ? NULL : s;
}

/* The path (relative to the folder) of row f's file, of disk (its id)
 * when the row is per disk; NULL when out of memory. */
static char *
row_path(const struct file_row *f, const char *stem, const char *disk)
{
    const char *b = f->bundle;
    char *s;
    int n;
    if (b && !disk && f->suffix[0] != '.') /* a fixed name in the bundle */
        n = asprintf(&s, "%s%s/%s%s", stem, b, f->dir, f->suffix);
    else
        n = asprintf(&s, "%s%s%s%s%s%s%s%s", b ? stem : "", b ? b : "", b ? "/" : "", f->dir, stem,
                     disk ? "-" : "", disk ? disk : "", f->suffix);
    return n < 0 ? NULL : s;
}

/* Whether path is row f's file (of disk, when per disk). */
static bool
row_names(const struct file_row *f, const char *stem, const char *disk, const char *path)
{
    CLEANUP_FREE char *want = row_path(f, stem, disk);
    return want && strcmp(want, path) == 0;
}

/* The targets served by a file of output: every target row naming it. */
static void
add_targets(unsigned outputs, unsigned output, struct delivery_role *role)
{
    size_t n = 0;
    for (size_t i = 0; i < N_TARGET_ROWS && n < DELIVERY_MAX_TARGETS - 1; i++) {
        const struct target_row *t = &target_rows[i];
        if (!(outputs & t->output) || (outputs & t->unless) || !(t->files & output))
            continue;
        bool seen = false;
        for (size_t j = 0; j < n; j++)
            seen |= strcmp(role->targets[j], t->target) == 0;
        if (!seen)
            role->targets[n++] = t->target;
    }
    role->targets[n] = NULL;
}

void
delivery_classify(const char *stem, unsigned outputs, const char *path, struct delivery_role *role)
{
    memset(role, 0, sizeof(*role));
    if ((role->output = doc_role(stem, outputs, path)))
        return;
    if (delivery_arch_doc_of(path, DELIVERY_REPORT, ".json")) {
        role->output = "report";
        return;
    }
    if (strncmp(path, DELIVERY_INSTALL, strlen(DELIVERY_INSTALL)) == 0) {
        for (size_t i = 0; delivery_targets[i]; i++) {
            CLEANUP_FREE char *base = concat(DELIVERY_INSTALL, delivery_targets[i]);
            if (base && delivery_arch_doc_of(path, base, ".md")) {
                role->output = "install";
                role->targets[0] = delivery_targets[i];
                return;
            }
        }
        return;
    }
    for (size_t i = 0; i < N_FILE_ROWS; i++) {
        const struct file_row *f = &file_rows[i];
        if (!(outputs & f->output))
            continue;
        for (int d = 0; d < (f->per_disk ? PLAN_N_DISKS : 1); d++) {
            const char *disk = f->per_disk ? disk_ids[d] : NULL;
            if (row_names(f, stem, disk, path)) {
                role->output = ab_enum_to_string(&output_table, (int)f->output);
                role->disk = disk;
                add_targets(outputs, f->output, role);
                return;
            }
        }
    }
}

/* ---- INSTALL-TARGET.md ----------------------------------------------------- */

/* The file of files at path, or NULL. */
static const struct export_file *
find_file(const struct export_files *files, const char *path)
{
    for (size_t i = 0; i < files->n; i++)
        if (strcmp(files->v[i].path, path) == 0)
            return &files->v[i];
    return NULL;
}

#define MAX_VALUES 96

/* The placeholders' values: NAME, VERSION, TITLE, and each file row's
 * KEY (OS_KEY, APP_KEY) with KEY_BYTES, for the files of files only. */
struct values {
    struct template_value v[MAX_VALUES + 1];
    char *owned[2 * MAX_VALUES];
    size_t n, n_owned;
};

static void
values_release(struct values *vs)
{
    for (size_t i = 0; i < vs->n_owned; i++)
        free(vs->owned[i]);
}

static int
values_add(struct values *vs, char *key, char *value)
{
    if (!key || !value || vs->n == MAX_VALUES) {
        free(key);
        free(value);
        return -1;
    }
    vs->owned[vs->n_owned++] = key;
    vs->owned[vs->n_owned++] = value;
    vs->v[vs->n++] = (struct template_value){key, value};
    return 0;
}

/* "@KEY@", in a new string. */
static char *
placeholder(const char *key)
{
    char *s;
    return asprintf(&s, "@%s@", key) < 0 ? NULL : s;
}

static int
values_of_files(const struct plan *plan, const struct export_files *files, struct values *vs)
{
    const char *stem = plan->stem;
    for (size_t i = 0; i < N_FILE_ROWS; i++) {
        const struct file_row *f = &file_rows[i];
        for (int d = 0; d < (f->per_disk ? PLAN_N_DISKS : 1); d++) {
            CLEANUP_FREE char *path = row_path(f, stem, f->per_disk ? plan->disks[d].id : NULL);
            if (!path)
                return -1;
            const struct export_file *ef = find_file(files, path);
            if (!ef)
                continue;
            const char *pre = f->per_disk ? (d == PLAN_DISK_OS ? "OS_" : "APP_") : "";
            char bytes[32];
            snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)ef->size);
            CLEANUP_FREE char *key = concat(pre, f->key);
            if (!key || values_add(vs, strdup(key), strdup(path)) < 0 ||
                values_add(vs, concat(key, "_BYTES"), strdup(bytes)) < 0)
                return -1;
        }
    }
    return 0;
}

/* template rendered with those of vs it names, appended to out. */
static int
render(FILE *out, const char *template, const struct values *vs, struct ab_error *err)
{
    const char *text = templates_get(template);
    if (!text)
        return ab_build_error(err, 0, "no template '%s'", template);
    struct template_value used[MAX_VALUES + 1];
    size_t n = 0;
    for (size_t i = 0; i < vs->n; i++) {
        CLEANUP_FREE char *ph = placeholder(vs->v[i].key);
        if (!ph)
            return ab_oom(err);
        if (strstr(text, ph))
            used[n++] = vs->v[i];
    }
    used[n] = (struct template_value){NULL, NULL};
    CLEANUP_FREE char *s = templates_render(template, used, err);
    if (!s)
        return -1;
    fputs(s, out);
    return 0;
}

/* "    sha256  path  (N bytes)" for each file of an output in mask. */
static char *
checksums(const struct plan *plan, unsigned mask, const struct export_files *files)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        if (mem)
            fclose(mem);
        free(text);
        return NULL;
    }
    for (size_t i = 0; i < files->n; i++) {
        struct delivery_role role;
        delivery_classify(plan->stem, plan->outputs, files->v[i].path, &role);
        if (role.output && (delivery_output_flag(role.output) & mask))
            fprintf(mem, "    %s  %s\n", files->v[i].sha256, files->v[i].path);
    }
    if (fclose(mem) != 0) {
        free(text);
        return NULL;
    }
    if (len)
        text[len - 1] = '\0'; /* the template ends the line */
    return text;
}

/* The machine's CPUs and memory (MiB), and the firmware's and the
 * architecture's words in the steps: an aarch64 appliance's disk and image
 * say Arm64 (Azure's --architecture, GCE's ARM64) and its machine is of an
 * arm64 size (Azure's Dpsv5, GCE's T2A); UEFI where the appliance boots it
 * (Hyper-V Generation 2, Azure V2, GCE's UEFI_COMPATIBLE, as the hyperv
 * output chooses), and a UEFI-only machine where it boots nothing else
 * (VirtualBox, virt-install, Proxmox: as the libvirt output chooses). */
static int
values_of_firmware(const struct plan *plan, struct values *vs)
{
    enum firmware fw = plan->hardware.firmware;
    bool uefi = fw & FIRMWARE_UEFI, only = fw == FIRMWARE_UEFI, sb = plan->hardware.secure_boot;
    char *hv = NULL, *pve = NULL;
    if (uefi && asprintf(&hv, "    Set-VMFirmware -VMName %s %s\n", plan->name,
                         sb ? "-SecureBootTemplate MicrosoftUEFICertificateAuthority"
                            : "-EnableSecureBoot Off") < 0)
        return -1;
    if (only && asprintf(&pve,
                         " \\\n        --bios ovmf --efidisk0 local-lvm:1,efitype=4m,"
                         "pre-enrolled-keys=%d",
                         sb ? 1 : 0) < 0) {
        free(hv);
        return -1;
    }
    bool arm = plan->hardware.arch == ARCH_AARCH64;
    char cpus[16], mib[32];
    snprintf(cpus, sizeof(cpus), "%u", plan->hardware.cpus);
    snprintf(mib, sizeof(mib), "%llu", (unsigned long long)(plan->hardware.memory >> 20));
    if (values_add(vs, strdup("CPUS"), strdup(cpus)) < 0 ||
        values_add(vs, strdup("MEMORY_MIB"), strdup(mib)) < 0) {
        free(hv);
        free(pve);
        return -1;
    }
    return values_add(vs, strdup("FIRMWARE"),
                      strdup(only   ? "UEFI"
                             : uefi ? "BIOS and UEFI"
                                    : "BIOS")) < 0 ||
                   values_add(vs, strdup("HYPERV_GENERATION"), strdup(uefi ? "2" : "1")) < 0 ||
                   values_add(vs, strdup("HYPERV_FIRMWARE"), hv ? hv : strdup("")) < 0 ||
                   values_add(vs, strdup("AZURE_GENERATION"), strdup(uefi ? "V2" : "V1")) < 0 ||
                   values_add(vs, strdup("AZURE_ARCH"),
                              strdup(arm ? " \\\n        --architecture Arm64" : "")) < 0 ||
                   values_add(vs, strdup("AZURE_SIZE"),
                              strdup(arm ? " --size Standard_D2ps_v5" : "")) < 0 ||
                   values_add(vs, strdup("GCE_FEATURES"),
                              strdup(arm    ? " \\\n        --guest-os-features UEFI_COMPATIBLE"
                                              " --architecture ARM64"
                                     : uefi ? " \\\n        --guest-os-features UEFI_COMPATIBLE"
                                            : "")) < 0 ||
                   values_add(vs, strdup("GCE_MACHINE"),
                              strdup(arm ? " \\\n        --machine-type t2a-standard-2" : "")) < 0 ||
                   values_add(vs, strdup("VBOX_FIRMWARE"), strdup(only ? "efi" : "bios")) < 0 ||
                   values_add(vs, strdup("KVM_BOOT"), strdup(only ? " --boot uefi" : "")) < 0 ||
                   values_add(vs, strdup("PROXMOX_FIRMWARE"), pve ? pve : strdup("")) < 0
               ? -1
               : 0;
}

/* Said under the head when the OVF carries ova.eula's license. */
static const char eula_note[] =
    "\nThe OVA and OVF carry a license agreement (their EulaSection): the\n"
    "import wizards show it and ask you to accept it; from a terminal,\n"
    "`ovftool` asks, or takes `--acceptAllEulas`, and `VBoxManage import`\n"
    "takes `--vsys 0 --eula accept`, once you have read it.\n";

int
delivery_install_text(const struct plan *plan, const char *target, const struct export_files *files,
                      char **text, struct ab_error *err)
{
    *text = NULL;
    unsigned mask = 0;
    const char *title = NULL;
    for (size_t i = 0; i < N_TARGET_ROWS; i++) {
        const struct target_row *t = &target_rows[i];
        if (strcmp(t->target, target) == 0 && !title)
            title = t->title;
        if (strcmp(t->target, target) == 0 && (plan->outputs & t->output) &&
            !(plan->outputs & t->unless))
            mask |= t->files;
    }
    if (!mask)
        return 0;
    __attribute__((cleanup(values_release))) struct values vs = {.n = 0};
    char *sums = checksums(plan, mask, files);
    if (values_add(&vs, strdup("NAME"), strdup(plan->name)) < 0 ||
        values_add(&vs, strdup("VERSION"), strdup(plan->version)) < 0 ||
        values_add(&vs, strdup("TITLE"), strdup(title)) < 0 ||
        values_add(&vs, strdup("CHECKSUMS"), sums) < 0 ||
        values_add(&vs, strdup("EULA_NOTE"), strdup(plan->ova.eula ? eula_note : "")) < 0 ||
        values_of_files(plan, files, &vs) < 0 || values_of_firmware(plan, &vs) < 0)
        return ab_oom(err);
    size_t len = 0;
    FILE *out = open_memstream(text, &len);
    if (!out)
        return ab_oom(err);
    int r = render(out, "install-head.md", &vs, err);
    for (size_t i = 0; r == 0 && i < N_TARGET_ROWS; i++) {
        const struct target_row *t = &target_rows[i];
        if (strcmp(t->target, target) == 0 && (plan->outputs & t->output) &&
            !(plan->outputs & t->unless))
            r = render(out, t->template, &vs, err);
    }
    if (r == 0)
        r = render(out, "install-verify.md", &vs, err);
    if (fclose(out) != 0 && r == 0)
        r = ab_oom(err);
    if (r < 0) {
        free(*text);
        *text = NULL;
    }
    return r;
}

/* INSTALL-TARGET.md of plan's folder, and its path in dir. */
static int
install_name(const struct plan *plan, const char *target, const char *dir, char **name, char **path)
{
    CLEANUP_FREE char *base = concat(DELIVERY_INSTALL, target);
    if (!base || !(*name = delivery_arch_doc(base, plan->folder_arch, ".md")))
        return -1;
    return asprintf(path, "%s/%s", dir, *name) < 0 ? -1 : 0;
}

int
delivery_write_install(const struct plan *plan, const char *dir, struct export_files *files,
                       struct ab_error *err)
{
    for (size_t i = 0; delivery_targets[i]; i++) {
        CLEANUP_FREE char *text = NULL, *name = NULL, *path = NULL;
        if (delivery_install_text(plan, delivery_targets[i], files, &text, err) < 0)
            return -1;
        if (!text)
            continue;
        if (install_name(plan, delivery_targets[i], dir, &name, &path) < 0)
            return ab_oom(err);
        if (write_file(NULL, path, text, 0644, err) < 0)
            return -1;
    }
    /* Added after all are written: none names another's digest. */
    for (size_t i = 0; delivery_targets[i]; i++) {
        CLEANUP_FREE char *name = NULL, *path = NULL;
        if (install_name(plan, delivery_targets[i], dir, &name, &path) < 0)
            return ab_oom(err);
        if (access(path, F_OK) == 0 && export_files_add(dir, name, files, err) < 0)
            return -1;
    }
    return 0;
}
