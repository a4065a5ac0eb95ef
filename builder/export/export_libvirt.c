/* export_libvirt.c: the libvirt domain XML (NAME-VERSION.xml) of an appliance.
 *
 * The domain is what `virsh define` and virt-manager take: type kvm, the
 * architecture's machine (q35 for x86_64, virt for aarch64: arch.h) with
 * the plan's memory and CPUs, the two qcow2 disks as virtio
 * disks (vda the OS disk, booted first; vdb the application disk), virtio
 * NICs on libvirt's "default" network, a serial console (the kernel command
 * line sends the console to ttyS0), the qemu guest agent's channel when the
 * kvm add-on installs the agent, a VNC display, and a virtio RNG so that
 * first-boot key generation does not wait for entropy. No uuid and no MAC
 * addresses: libvirt makes new ones on every define, so copies differ.
 * The disks are named in libvirt's default pool (/var/lib/libvirt/images),
 * not in the output folder, so the file is the same wherever the build
 * wrote it; `appliance deploy` points them at the folder.
 *
 * Firmware: bios and bios+uefi appliances get libvirt's default, SeaBIOS.
 * A uefi-only one gets <os firmware='efi'>, and in <firmware> the features
 * secure-boot and enrolled-keys on when the image boots the distribution's
 * signed shim (hardware.secure_boot), with SMM, which OVMF's Secure Boot
 * build needs; both off for one that boots a GRUB made with grub-mkimage,
 * which nobody has signed. libvirt picks the OVMF build from the firmware
 * descriptors the distribution installs (Debian 12, in
 * /usr/share/qemu/firmware: 40-edk2-x86_64-secure-enrolled.json, else
 * 60-edk2-x86_64.json), so the file names no host path.
 *
 * CPU: host-model on x86_64. The default qemu64 model lacks x86-64-v2,
 * which the RHEL 9 family requires; host-model gives the guest the host's
 * features as a named model and, unlike host-passthrough, keeps the
 * domain migratable. aarch64 has no such model: host-passthrough. The
 * PC's devices (APIC, PIT, HPET, SMM, VGA) only where there is a PC; an
 * aarch64 domain boots AAVMF, whose Secure Boot needs no SMM (Debian's
 * 40-edk2-aarch64-secure-enrolled.json). Where KVM is unusable, `appliance deploy` switches the domain
 * to type qemu and adapts the CPU; the shipped file is for KVM hosts.
 *
 * Built with libxml2's tree API (xmlNewTextChild and xmlNewProp escape
 * every value) and saved through xmlfile_save(), like the OVF descriptor. */
#include "exporter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libxml/tree.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/xmlfile.h"

#define NETWORK_NAME "default"
#define GUEST_AGENT_CHANNEL "org.qemu.guest_agent.0"

struct lv_doc {
    xmlDocPtr doc;
    bool failed; /* some libxml2 call returned NULL (out of memory) */
};

/* A child element with escaped text (NULL: empty); NULL-safe in parent so
 * that a failure propagates to the final check. */
static xmlNodePtr
put(struct lv_doc *d, xmlNodePtr parent, const char *name, const char *text)
{
    return xmlfile_child(&d->failed, parent, NULL, name, text);
}

static xmlNodePtr
put_u64(struct lv_doc *d, xmlNodePtr parent, const char *name, uint64_t value)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, value);
    return put(d, parent, name, buf);
}

static void
attr(struct lv_doc *d, xmlNodePtr node, const char *name, const char *value)
{
    if (!node || !xmlNewProp(node, BAD_CAST name, BAD_CAST value))
        d->failed = true;
}

/* An empty element with up to two attributes (NULL names are skipped). */
static xmlNodePtr
put_empty(struct lv_doc *d, xmlNodePtr parent, const char *name, const char *a1, const char *v1,
          const char *a2, const char *v2)
{
    xmlNodePtr n = put(d, parent, name, NULL);
    if (a1)
        attr(d, n, a1, v1);
    if (a2)
        attr(d, n, a2, v2);
    return n;
}

/* name, title ("NAME VERSION", one line as libvirt wants) and, when the
 * recipe has them, the description and vendor. */
static void
put_identity(struct lv_doc *d, xmlNodePtr dom, const struct plan *plan)
{
    CLEANUP_FREE char *title = NULL, *text = NULL;
    put(d, dom, "name", plan->name);
    if (asprintf(&title, "%s %s", plan->name, plan->version) < 0) {
        title = NULL;
        d->failed = true;
        return;
    }
    put(d, dom, "title", title);

    if (!plan->description[0] && !plan->vendor[0])
        return;
    if (asprintf(&text, "%s%s%s%s", plan->description,
                 plan->description[0] && plan->vendor[0] ? "\n" : "",
                 plan->vendor[0] ? "Vendor: " : "", plan->vendor) < 0) {
        text = NULL;
        d->failed = true;
        return;
    }
    put(d, dom, "description", text);
}

/* Memory in KiB (the plan's is a whole number of MiB) and CPUs. */
static void
put_resources(struct lv_doc *d, xmlNodePtr dom, const struct plan *plan)
{
    uint64_t kib = plan->hardware.memory >> 10;
    attr(d, put_u64(d, dom, "memory", kib), "unit", "KiB");
    attr(d, put_u64(d, dom, "currentMemory", kib), "unit", "KiB");
    put_u64(d, dom, "vcpu", plan->hardware.cpus);
}

static void
put_os(struct lv_doc *d, xmlNodePtr dom, const struct plan *plan)
{
    xmlNodePtr os = put(d, dom, "os", NULL);
    xmlNodePtr type = put(d, os, "type", "hvm");
    const struct arch_row *a = arch_row(plan->hardware.arch);
    attr(d, type, "arch", a->libvirt);
    attr(d, type, "machine", a->machine);
    if (plan->hardware.firmware != FIRMWARE_UEFI)
        return; /* SeaBIOS, which bios+uefi images boot with too */
    attr(d, os, "firmware", "efi");
    xmlNodePtr fw = put(d, os, "firmware", NULL);
    const char *sb = plan->hardware.secure_boot ? "yes" : "no";
    put_empty(d, fw, "feature", "enabled", sb, "name", "secure-boot");
    put_empty(d, fw, "feature", "enabled", sb, "name", "enrolled-keys");
}

static void
put_platform(struct lv_doc *d, xmlNodePtr dom, const struct plan *plan)
{
    const struct arch_row *a = arch_row(plan->hardware.arch);
    xmlNodePtr features = put(d, dom, "features", NULL);
    put(d, features, "acpi", NULL);
    if (a->pc)
        put(d, features, "apic", NULL);
    if (a->pc && plan->hardware.firmware == FIRMWARE_UEFI && plan->hardware.secure_boot)
        put_empty(d, features, "smm", "state", "on", NULL, NULL);
    put_empty(d, dom, "cpu", "mode", a->libvirt_cpu, NULL, NULL);

    xmlNodePtr clock = put_empty(d, dom, "clock", "offset", "utc", NULL, NULL);
    if (a->pc) {
        put_empty(d, clock, "timer", "name", "rtc", "tickpolicy", "catchup");
        put_empty(d, clock, "timer", "name", "pit", "tickpolicy", "delay");
        put_empty(d, clock, "timer", "name", "hpet", "present", "no");
    }

    put(d, dom, "on_poweroff", "destroy");
    put(d, dom, "on_reboot", "restart");
    put(d, dom, "on_crash", "destroy");
}

static void
put_disks(struct lv_doc *d, xmlNodePtr devs, const char *const qcow2[PLAN_N_DISKS])
{
    static const char *const targets[PLAN_N_DISKS] = {"vda", "vdb"};
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        xmlNodePtr disk = put_empty(d, devs, "disk", "type", "file", "device", "disk");
        xmlNodePtr drv = put_empty(d, disk, "driver", "name", "qemu", "type", "qcow2");
        attr(d, drv, "discard", "unmap"); /* the guest's TRIM keeps the qcow2 thin */
        put_empty(d, disk, "source", "file", qcow2[i], NULL, NULL);
        put_empty(d, disk, "target", "dev", targets[i], "bus", "virtio");
        if (i == PLAN_DISK_OS)
            put_empty(d, disk, "boot", "order", "1", NULL, NULL);
    }
}

static void
put_nics(struct lv_doc *d, xmlNodePtr devs, const struct plan *plan)
{
    for (unsigned i = 0; i < plan->hardware.nics; i++) {
        xmlNodePtr nic = put_empty(d, devs, "interface", "type", "network", NULL, NULL);
        put_empty(d, nic, "source", "network", NETWORK_NAME, NULL, NULL);
        put_empty(d, nic, "model", "type", "virtio", NULL, NULL);
    }
}

/* ttyS0 as the domain's console (`virsh console`), the guest agent's
 * channel, a VNC display with a standard VGA card, and a virtio RNG. */
static void
put_consoles(struct lv_doc *d, xmlNodePtr devs, const struct plan *plan)
{
    xmlNodePtr serial = put_empty(d, devs, "serial", "type", "pty", NULL, NULL);
    put_empty(d, serial, "target", "port", "0", NULL, NULL);
    xmlNodePtr console = put_empty(d, devs, "console", "type", "pty", NULL, NULL);
    put_empty(d, console, "target", "type", "serial", "port", "0");
    if (plan->addons & ADDON_KVM) {
        xmlNodePtr chan = put_empty(d, devs, "channel", "type", "unix", NULL, NULL);
        put_empty(d, chan, "target", "type", "virtio", "name", GUEST_AGENT_CHANNEL);
    }
    put_empty(d, devs, "graphics", "type", "vnc", "autoport", "yes");
    /* A PC's display has PS/2 input, which libvirt adds by itself; other
     * machines get a USB keyboard and tablet, as virt-install gives them. */
    if (!arch_row(plan->hardware.arch)->pc) {
        put_empty(d, devs, "input", "type", "keyboard", "bus", "usb");
        put_empty(d, devs, "input", "type", "tablet", "bus", "usb");
    }
    xmlNodePtr video = put(d, devs, "video", NULL);
    put_empty(d, video, "model", "type", arch_row(plan->hardware.arch)->libvirt_video, NULL, NULL);
    xmlNodePtr rng = put_empty(d, devs, "rng", "model", "virtio", NULL, NULL);
    attr(d, put(d, rng, "backend", "/dev/urandom"), "model", "random");
}

static void
put_domain(struct lv_doc *d, const struct plan *plan, const char *const qcow2[PLAN_N_DISKS])
{
    xmlNodePtr dom = xmlNewDocNode(d->doc, NULL, BAD_CAST "domain", NULL);
    if (!dom) {
        d->failed = true;
        return;
    }
    xmlDocSetRootElement(d->doc, dom);
    attr(d, dom, "type", "kvm");
    put_identity(d, dom, plan);
    put_resources(d, dom, plan);
    put_os(d, dom, plan);
    put_platform(d, dom, plan);
    xmlNodePtr devs = put(d, dom, "devices", NULL);
    put_disks(d, devs, qcow2);
    put_nics(d, devs, plan);
    put_consoles(d, devs, plan);
}

/* libvirt refuses relative disk paths; so do we, before writing. */
static int
check_paths(const struct plan *plan, const char *const qcow2[PLAN_N_DISKS], struct ab_error *err)
{
    for (int i = 0; i < PLAN_N_DISKS; i++)
        if (!qcow2[i] || qcow2[i][0] != '/')
            return ab_build_error(err, EINVAL, "path of disk '%s' is not absolute: '%s'",
                                  plan->disks[i].id, qcow2[i] ? qcow2[i] : "(none)");
    return 0;
}

int
export_libvirt_xml(const struct plan *plan, const char *const qcow2[PLAN_N_DISKS], const char *path,
                   struct ab_error *err)
{
    if (check_paths(plan, qcow2, err) < 0) {
        ab_error_prefix(err, "while writing libvirt domain '%s'", path);
        return -1;
    }
    struct xmlfile_quiet quiet;
    xmlfile_quiet_begin(&quiet);

    struct lv_doc d = {.doc = xmlNewDoc(BAD_CAST "1.0")};
    if (d.doc)
        put_domain(&d, plan, qcow2);
    int rc = xmlfile_save_built(d.doc, d.failed, path, "libvirt domain", err);
    xmlFreeDoc(d.doc);
    xmlfile_quiet_end(&quiet);
    return rc;
}

/* NAME-VERSION.xml, its disks the qcow2 files in libvirt's default storage pool:
 * never the output folder's path, so that the file is the same wherever
 * the build wrote it. `appliance deploy` points them at the folder. */
static int
libvirt_write(const struct exporter *self, const struct export_job *job, struct ab_error *err)
{
    (void)self;
    const struct plan *plan = job->plan;
    CLEANUP_FREE char *xml = NULL, *os = NULL, *app = NULL;
    CLEANUP_FREE char *os_name = export_disk_file(plan, PLAN_DISK_OS, "qcow2");
    CLEANUP_FREE char *app_name = export_disk_file(plan, PLAN_DISK_APP, "qcow2");
    if (!os_name || !app_name || !(xml = delivery_path(plan, job->dir, ".xml")) ||
        asprintf(&os, "%s/%s", EXPORT_LIBVIRT_IMAGES, os_name) < 0 ||
        asprintf(&app, "%s/%s", EXPORT_LIBVIRT_IMAGES, app_name) < 0)
        return ab_oom(err);
    const char *const qcow2[PLAN_N_DISKS] = {os, app};
    export_step(job, export_base_name(xml));
    return export_libvirt_xml(plan, qcow2, xml, err);
}

const struct exporter exporter_libvirt = {"libvirt", OUTPUT_LIBVIRT, NULL, libvirt_write, NULL};
