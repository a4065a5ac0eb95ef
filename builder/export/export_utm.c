/* export_utm.c: the utm output, a bundle NAME-VERSION.utm/ that UTM on
 * macOS opens: config.plist, and Data/ with the two disks as qcow2 (the
 * qcow2 output's files, export_qcow2_file, or the build cache's copies).
 *
 * config.plist is UTM's own format for its QEMU backend, as UTM's source
 * reads it (github.com/utmapp/UTM, Configuration/UTMConfiguration.swift and
 * UTMQemuConfiguration*.swift at e4a4c34b671284263fc69f81b607de494d7e9b65,
 * ConfigurationVersion 4, both the oldest and the current version it
 * takes). It holds every key UTM's decoders require and the optional
 * ones UTM itself writes for such a VM (Notes only with a description);
 * values are those UTM gives a new VM of that architecture and machine,
 * except:
 *
 *   Drive      both disks VirtIO (UTM's default on "virt"; on "q35" it
 *              is IDE), as the libvirt output's disks, the OS disk first
 *   Network    one per NIC of the plan, "Shared", virtio-net-pci (UTM's
 *              default on "virt"; e1000 on "q35"), its MAC derived
 *   QEMU       UEFIBoot unless the firmware is bios only (x86_64's
 *              SeaBIOS then); TPMDevice when the plan asks for Secure Boot:
 *              with it UTM boots its "-secure" EDK2 build with the keys
 *              preloaded (UTMQemuConfiguration+Arguments.swift,
 *              isSecureBootUsed), the only Secure Boot switch it has;
 *              those keys are "2023 Microsoft UEFI certificates" (UTM's
 *              patches/qemu-10.0.2-utm.patch): whether the 2011 UEFI CA
 *              that signed older shims is among them is not said there
 *   Sharing    none and no clipboard: the appliance has no SPICE agent
 *   Sound      none
 *   Serial     one, UTM's built-in terminal, beside the display
 *
 * The names UTM knows the architecture and machine by are QEMU's, those of
 * the architecture table (arch.h). Information's UUID, each drive's
 * Identifier and each NIC's MAC are derived from the plan (fsid_digest),
 * never random, so the same recipe gives the same file. */
#include "exporter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/tree.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/fsids.h"
#include "appliance/xmlfile.h"

#define UTM_CONFIGURATION_VERSION 4
#define UTM_BACKEND "QEMU"
#define UTM_ID_DOMAIN "appliance-utm"

/* What UTM gives a new VM, by the architecture table's index: the display
 * device (UTMQemuConfigurationDisplay.swift, for "q35" and "virt"). */
static const char *const utm_display[ARCH_N] = {"virtio-vga", "virtio-ramfb"};

struct plist {
    xmlDocPtr doc;
    bool failed; /* some libxml2 call returned NULL (out of memory) */
};

static xmlNodePtr
node(struct plist *p, xmlNodePtr parent, const char *name, const char *text)
{
    return xmlfile_child(&p->failed, parent, NULL, name, text);
}

/* <key>key</key> in dict, then the value's element. */
static xmlNodePtr
entry(struct plist *p, xmlNodePtr dict, const char *key, const char *type, const char *text)
{
    node(p, dict, "key", key);
    return node(p, dict, type, text);
}

static void
put_str(struct plist *p, xmlNodePtr dict, const char *key, const char *value)
{
    entry(p, dict, key, "string", value);
}

static void
put_int(struct plist *p, xmlNodePtr dict, const char *key, uint64_t value)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, value);
    entry(p, dict, key, "integer", buf);
}

static void
put_bool(struct plist *p, xmlNodePtr dict, const char *key, bool value)
{
    entry(p, dict, key, value ? "true" : "false", NULL);
}

static xmlNodePtr
put_dict(struct plist *p, xmlNodePtr dict, const char *key)
{
    return entry(p, dict, key, "dict", NULL);
}

static xmlNodePtr
put_array(struct plist *p, xmlNodePtr dict, const char *key)
{
    return entry(p, dict, key, "array", NULL);
}

/* 16 bytes derived from the plan, disk (NULL: the VM's) and what. */
static void
derive(const struct plan *plan, const char *disk, const char *what, unsigned char out[16])
{
    char hex[HASH_HEX_MAX];
    fsid_digest(plan, UTM_ID_DOMAIN, disk ? disk : "", what, hex);
    for (int i = 0; i < 16; i++) {
        unsigned byte = 0;
        sscanf(hex + 2 * i, "%2x", &byte);
        out[i] = (unsigned char)byte;
    }
}

/* A derived UUID as Foundation's uuidString writes it: uppercase, with
 * the version (4) and variant bits of a random one. */
static void
derive_uuid(const struct plan *plan, const char *disk, const char *what, char out[FSID_UUID_BUF])
{
    unsigned char b[16];
    derive(plan, disk, what, b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, FSID_UUID_BUF,
             "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

/* NIC i's MAC, unicast and locally administered as UTM makes its random
 * ones, "XX:XX:XX:XX:XX:XX". */
static void
derive_mac(const struct plan *plan, unsigned i, char out[18])
{
    char what[32];
    unsigned char b[16];
    snprintf(what, sizeof(what), "mac-%u", i);
    derive(plan, NULL, what, b);
    b[0] = (unsigned char)((b[0] & 0xfc) | 0x02);
    snprintf(out, 18, "%02X:%02X:%02X:%02X:%02X:%02X", b[0], b[1], b[2], b[3], b[4], b[5]);
}

static void
put_information(struct plist *p, xmlNodePtr root, const struct plan *plan)
{
    char uuid[FSID_UUID_BUF];
    derive_uuid(plan, NULL, "uuid", uuid);
    xmlNodePtr d = put_dict(p, root, "Information");
    put_bool(p, d, "IconCustom", false);
    put_str(p, d, "Name", plan->name);
    if (plan->description[0])
        put_str(p, d, "Notes", plan->description);
    put_str(p, d, "UUID", uuid);
}

static void
put_system(struct plist *p, xmlNodePtr root, const struct plan *plan)
{
    const struct arch_row *a = arch_row(plan->hardware.arch);
    xmlNodePtr d = put_dict(p, root, "System");
    put_str(p, d, "Architecture", a->name);
    put_str(p, d, "CPU", "default");
    put_int(p, d, "CPUCount", plan->hardware.cpus);
    put_array(p, d, "CPUFlagsAdd");
    put_array(p, d, "CPUFlagsRemove");
    put_bool(p, d, "ForceMulticore", false);
    put_int(p, d, "JITCacheSize", 0);
    put_int(p, d, "MemorySize", plan->hardware.memory >> 20);
    put_str(p, d, "Target", a->machine);
}

static void
put_qemu(struct plist *p, xmlNodePtr root, const struct plan *plan)
{
    bool uefi = plan->hardware.firmware & FIRMWARE_UEFI;
    xmlNodePtr d = put_dict(p, root, "QEMU");
    put_array(p, d, "AdditionalArguments");
    put_bool(p, d, "BalloonDevice", false);
    put_bool(p, d, "DebugLog", false);
    put_bool(p, d, "Hypervisor", true); /* used only where the host can */
    put_bool(p, d, "PS2Controller", false);
    put_bool(p, d, "RNGDevice", true);
    put_bool(p, d, "RTCLocalTime", false);
    put_bool(p, d, "TPMDevice", uefi && plan->hardware.secure_boot);
    put_bool(p, d, "TSO", false);
    put_bool(p, d, "UEFIBoot", uefi);
}

static void
put_display(struct plist *p, xmlNodePtr root, const struct plan *plan)
{
    xmlNodePtr d = node(p, put_array(p, root, "Display"), "dict", NULL);
    put_str(p, d, "DownscalingFilter", "Linear");
    put_bool(p, d, "DynamicResolution", true);
    put_str(p, d, "Hardware", utm_display[arch_index(plan->hardware.arch)]);
    put_bool(p, d, "NativeResolution", false);
    put_str(p, d, "UpscalingFilter", "Nearest");
}

static void
put_drives(struct plist *p, xmlNodePtr root, const struct plan *plan,
           const char *const images[PLAN_N_DISKS])
{
    xmlNodePtr a = put_array(p, root, "Drive");
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        char id[FSID_UUID_BUF];
        derive_uuid(plan, plan->disks[i].id, "drive", id);
        xmlNodePtr d = node(p, a, "dict", NULL);
        put_str(p, d, "Identifier", id);
        put_str(p, d, "ImageName", images[i]);
        put_str(p, d, "ImageType", "Disk");
        put_str(p, d, "Interface", "VirtIO");
        put_int(p, d, "InterfaceVersion", 1);
        put_bool(p, d, "ReadOnly", false);
    }
}

static void
put_input(struct plist *p, xmlNodePtr root)
{
    xmlNodePtr d = put_dict(p, root, "Input");
    put_int(p, d, "MaximumUsbShare", 3);
    put_str(p, d, "UsbBusSupport", "3.0");
    put_bool(p, d, "UsbSharing", false);
}

static void
put_networks(struct plist *p, xmlNodePtr root, const struct plan *plan)
{
    xmlNodePtr a = put_array(p, root, "Network");
    for (unsigned i = 0; i < plan->hardware.nics; i++) {
        char mac[18];
        derive_mac(plan, i, mac);
        xmlNodePtr d = node(p, a, "dict", NULL);
        put_str(p, d, "Hardware", "virtio-net-pci");
        put_bool(p, d, "IsolateFromHost", false);
        put_str(p, d, "MacAddress", mac);
        put_str(p, d, "Mode", "Shared");
        put_array(p, d, "PortForward");
    }
}

static void
put_serial(struct plist *p, xmlNodePtr root)
{
    xmlNodePtr d = node(p, put_array(p, root, "Serial"), "dict", NULL);
    put_str(p, d, "Mode", "Terminal");
    put_str(p, d, "Target", "Auto");
    xmlNodePtr t = put_dict(p, d, "Terminal");
    put_str(p, t, "BackgroundColor", "#000000");
    put_bool(p, t, "CursorBlink", true);
    put_str(p, t, "Font", "Menlo");
    put_int(p, t, "FontSize", 12);
    put_str(p, t, "ForegroundColor", "#ffffff");
}

static void
put_sharing(struct plist *p, xmlNodePtr root)
{
    xmlNodePtr d = put_dict(p, root, "Sharing");
    put_bool(p, d, "ClipboardSharing", false);
    put_str(p, d, "DirectoryShareMode", "None");
    put_bool(p, d, "DirectoryShareReadOnly", false);
}

/* Every dict's keys sorted, as Foundation and plistlib write them. */
static void
put_config(struct plist *p, const struct plan *plan, const char *const images[PLAN_N_DISKS])
{
    xmlNodePtr plist = xmlNewDocNode(p->doc, NULL, BAD_CAST "plist", NULL);
    if (!plist ||
        !xmlCreateIntSubset(p->doc, BAD_CAST "plist", BAD_CAST "-//Apple//DTD PLIST 1.0//EN",
                            BAD_CAST "http://www.apple.com/DTDs/PropertyList-1.0.dtd")) {
        p->failed = true;
        xmlFreeNode(plist);
        return;
    }
    xmlDocSetRootElement(p->doc, plist);
    if (!xmlNewProp(plist, BAD_CAST "version", BAD_CAST "1.0"))
        p->failed = true;
    xmlNodePtr root = node(p, plist, "dict", NULL);
    put_str(p, root, "Backend", UTM_BACKEND);
    put_int(p, root, "ConfigurationVersion", UTM_CONFIGURATION_VERSION);
    put_display(p, root, plan);
    put_drives(p, root, plan, images);
    put_information(p, root, plan);
    put_input(p, root);
    put_networks(p, root, plan);
    put_qemu(p, root, plan);
    put_serial(p, root);
    put_sharing(p, root);
    put_array(p, root, "Sound");
    put_system(p, root, plan);
}

int
export_utm_plist(const struct plan *plan, const char *const images[PLAN_N_DISKS], const char *path,
                 struct ab_error *err)
{
    struct xmlfile_quiet quiet;
    xmlfile_quiet_begin(&quiet);
    struct plist p = {.doc = xmlNewDoc(BAD_CAST "1.0")};
    if (p.doc)
        put_config(&p, plan, images);
    int rc = xmlfile_save_built(p.doc, p.failed, path, "UTM configuration", err);
    xmlFreeDoc(p.doc);
    xmlfile_quiet_end(&quiet);
    return rc;
}

/* One disk's qcow2 in Data/: the qcow2 output's way. */
static int
utm_qcow2(const struct export_job *job, enum plan_disk_id disk, const char *raw, const char *path,
          const void *ctx, struct ab_error *err)
{
    (void)raw;
    (void)ctx;
    return export_qcow2_file(job, disk, path, err);
}

static int
make_dir(const char *path, struct ab_error *err)
{
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return ab_build_error(err, errno, "cannot create folder '%s': %s", path, strerror(errno));
    return 0;
}

/* NAME-VERSION.utm/: Data/ with the disks (the build cache's qcow2 when it
 * keeps them: the same bytes as the qcow2 output's), then config.plist. */
static int
utm_write(const struct exporter *self, const struct export_job *job, struct ab_error *err)
{
    (void)self;
    const struct plan *plan = job->plan;
    CLEANUP_FREE char *bundle = delivery_path(plan, job->dir, DELIVERY_UTM), *data = NULL,
                      *config = NULL;
    CLEANUP_FREE char *os = export_disk_file(plan, PLAN_DISK_OS, "qcow2");
    CLEANUP_FREE char *app = export_disk_file(plan, PLAN_DISK_APP, "qcow2");
    if (!bundle || !os || !app || asprintf(&data, "%s/%s", bundle, DELIVERY_UTM_DATA) < 0 ||
        asprintf(&config, "%s/%s", bundle, DELIVERY_UTM_CONFIG) < 0)
        return ab_oom(err);
    const char *const images[PLAN_N_DISKS] = {os, app};
    if (make_dir(bundle, err) < 0 || make_dir(data, err) < 0)
        return -1;
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        CLEANUP_FREE char *path = NULL;
        if (asprintf(&path, "%s/%s", data, images[i]) < 0)
            return ab_oom(err);
        if (export_disk_file_reused(job, (enum plan_disk_id)i, "qcow2", path, false, utm_qcow2,
                                    NULL, err) < 0)
            return -1;
    }
    export_step(job, DELIVERY_UTM_CONFIG);
    return export_utm_plist(plan, images, config, err);
}

const struct exporter exporter_utm = {"utm", OUTPUT_UTM, NULL, utm_write, NULL};
