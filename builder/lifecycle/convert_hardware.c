/* convert_hardware.c: the machine a source describes, from a
 * build-report.json (the plan it embeds), an OVF descriptor (ours or a
 * peer's: VMware, VirtualBox) or a libvirt domain XML (`virsh dumpxml`).
 * Each reader sets only the fields its file gives, so that the source's
 * own description, --hardware-from and the options can be layered. */
#include "appliance/convert.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appliance/cleanup.h"
#include "appliance/distro.h"
#include "appliance/domxml.h"
#include "appliance/enums.h"
#include "appliance/ovf_read.h"
#include "appliance/report.h"
#include "appliance/xmlfile.h"

#define HW_FILE_MAX (16u << 20)

void
convert_hardware_release(struct convert_hardware *hw)
{
    if (!hw)
        return;
    free(hw->name);
    free(hw->version);
    free(hw->description);
    free(hw->vendor);
    free(hw->from);
    *hw = (struct convert_hardware){0};
}

static int
set_str(char **dst, const char *src, struct ab_error *err)
{
    if (!src || !*src)
        return 0;
    char *copy = strdup(src);
    if (!copy)
        return ab_oom(err);
    free(*dst);
    *dst = copy;
    return 0;
}

/* The architecture a file describes (named as the recipe names it, or as
 * libvirt does: the same words): the disks hold that architecture's
 * kernel and boot loader, so a second file that says another is refused,
 * and so is one convert makes no appliance of. */
static int
set_arch(struct convert_hardware *hw, const char *name, struct ab_error *err)
{
    int v;
    if (!name || !*name)
        return 0;
    if (ab_enum_from_string(&arch_table, name, &v) < 0)
        return ab_build_error(err, EINVAL,
                              "'%s' describes a %s machine, and convert makes x86_64 and "
                              "aarch64 appliances only",
                              hw->from ? hw->from : "the source", name);
    if (hw->arch && hw->arch != v)
        return ab_build_error(err, EINVAL,
                              "'%s' describes an %s machine and the source is %s: the disks "
                              "hold one architecture's kernel and boot loader, and convert "
                              "does not change it",
                              hw->from ? hw->from : "the source", arch_to_string((enum arch)v),
                              arch_to_string((enum arch)hw->arch));
    hw->arch = v;
    return 0;
}

/* ---- build-report.json ---- */

/* The machine of a build-report.json, or of a plan as `appliance plan
 * --json` writes it, read by the report's one reader (report.h). */
static int
from_report_plan(const struct report_plan *p, struct convert_hardware *hw, struct ab_error *err)
{
    const struct report_hardware *h = &p->hardware;
    if (!p->has_hardware)
        return ab_build_error(err, 0, "'%s' holds no plan with a hardware section", hw->from);
    int v;
    if (h->cpus > 0 && h->cpus <= 1024)
        hw->cpus = (unsigned)h->cpus;
    if (h->memory > 0)
        hw->memory = (uint64_t)h->memory;
    if (h->nics > 0 && h->nics <= 8)
        hw->nics = (unsigned)h->nics;
    if (h->firmware && ab_enum_from_string(&firmware_table, h->firmware, &v) == 0) {
        hw->firmware = v;
        hw->firmware_from_ovf = false;
    }
    if (h->secure_boot)
        hw->secure_boot = h->secure_boot;
    if (h->controller && ab_enum_from_string(&controller_table, h->controller, &v) == 0)
        hw->controller = v + 1;
    if (p->distro && ab_enum_from_string(&distro_table, p->distro, &v) == 0)
        hw->distro = v;
    if (set_arch(hw, h->arch, err) < 0 || set_str(&hw->name, p->name, err) < 0 || set_str(&hw->version, p->version, err) < 0 ||
        set_str(&hw->description, p->description, err) < 0 ||
        set_str(&hw->vendor, p->vendor, err) < 0)
        return -1;
    return 0;
}

static int
read_report(const char *path, const char *text, struct convert_hardware *hw, struct ab_error *err)
{
    struct report_info r;
    int rc = report_parse(text, path, &r, err);
    if (rc == 0)
        rc = from_report_plan(&r.plan, hw, err);
    report_info_release(&r);
    return rc;
}

/* ---- OVF ---- */

/* The distribution of an OVF, by the distribution table's exact keys
 * (distro.h): a guest ID that names one release (debian12_64Guest), else
 * the CIM id with its description, which ours writes whatever guest ID the
 * import target took (debian10_64Guest for a Debian 12 made for ESXi 6.7,
 * rhel8_64Guest for a Rocky 9, ...). */
static int
ovf_distro(const struct ovf_summary *s)
{
    const struct distro_row *r = s->os_type ? distro_by_guest_id(s->os_type) : NULL;
    if (!r && s->has_os_id && s->os_description)
        r = distro_by_cim(s->os_id, s->os_description);
    return r ? r->key.value : DISTRO_NONE;
}

/* The controller the first disk hangs on: SCSI, SATA or IDE. */
static int
ovf_controller(const struct ovf_summary *s)
{
    for (size_t i = 0; i < s->n_disks; i++) {
        int c = s->disks[i].controller;
        if (c < 0 || (size_t)c >= s->n_controllers)
            continue;
        switch (s->controllers[c].resource_type) {
        case 5:
            return CONTROLLER_IDE + 1;
        case 6:
            return CONTROLLER_SCSI + 1;
        case 20:
            return CONTROLLER_SATA + 1;
        default:
            return 0;
        }
    }
    return 0;
}

int
convert_hardware_from_ovf(const struct ovf_summary *s, struct convert_hardware *hw,
                          struct ab_error *err)
{
    if (s->cpus > 0 && s->cpus <= 1024)
        hw->cpus = s->cpus;
    if (s->memory)
        hw->memory = s->memory;
    if (s->firmware) {
        hw->firmware = strcmp(s->firmware, "efi") == 0 ? FIRMWARE_UEFI : FIRMWARE_BIOS;
        hw->firmware_from_ovf = true;
        hw->secure_boot = s->secure_boot ? 1 : -1;
    }
    if (s->n_nics > 0 && s->n_nics <= 8)
        hw->nics = (unsigned)s->n_nics;
    int c = ovf_controller(s), d = ovf_distro(s);
    if (c)
        hw->controller = c;
    if (d)
        hw->distro = d;
    /* Ours writes the description as the product when there is one. */
    const char *product =
        s->product && (!s->name || strcmp(s->product, s->name)) ? s->product : NULL;
    if (set_str(&hw->name, s->name, err) < 0 || set_str(&hw->version, s->version, err) < 0 ||
        set_str(&hw->description, product, err) < 0 || set_str(&hw->vendor, s->vendor, err) < 0)
        return -1;
    return 0;
}

static int
read_ovf(const char *path, const char *text, size_t len, struct convert_hardware *hw,
         struct ab_error *err)
{
    CLEANUP_OVF_SUMMARY struct ovf_summary *s = ovf_read_buffer(path, text, len, err);
    return s ? convert_hardware_from_ovf(s, hw, err) : -1;
}

/* ---- libvirt domain XML ---- */

/* The machine of a domain XML, read by the format's one reader
 * (domxml.h). */
static int
from_domain(const char *path, const char *text, size_t len, struct convert_hardware *hw,
            struct ab_error *err)
{
    CLEANUP_DOMXML struct domxml *d = domxml_read_buffer(path, text, len, err);
    if (!d)
        return -1;
    struct domxml_machine m;
    domxml_machine(d, &m);
    if (m.vcpus)
        hw->cpus = m.vcpus;
    if (m.memory)
        hw->memory = m.memory;
    if (m.efi) {
        hw->firmware = m.efi > 0 ? FIRMWARE_UEFI : FIRMWARE_BIOS;
        hw->firmware_from_ovf = false;
        hw->secure_boot = m.secure_boot ? 1 : -1;
    }
    int v;
    if (m.bus[0] && ab_enum_from_string(&controller_table, m.bus, &v) == 0)
        hw->controller = v + 1;
    if (m.nics > 0 && m.nics <= 8)
        hw->nics = m.nics;
    if (set_arch(hw, m.arch, err) < 0)
        return -1;
    return set_str(&hw->name, domxml_name(d), err);
}

static int
read_xml(const char *path, const char *text, size_t len, struct convert_hardware *hw,
         struct ab_error *err)
{
    struct xmlfile_quiet q;
    char buf[256];
    xmlfile_quiet_begin(&q);
    xmlDocPtr doc =
        xmlReadMemory(text, (int)len, path, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    int r;
    if (!doc) {
        const char *msg = xmlfile_error_text(buf, sizeof(buf));
        r = ab_build_error(err, 0, "'%s' is not XML: %s", path, msg ? msg : "unknown error");
    } else if (root && strcmp((const char *)root->name, "domain") == 0) {
        r = from_domain(path, text, len, hw, err);
    } else if (root && strcmp((const char *)root->name, "Envelope") == 0) {
        r = read_ovf(path, text, len, hw, err);
    } else {
        r = ab_build_error(err, 0,
                           "'%s' is neither an OVF descriptor nor a libvirt domain XML (root "
                           "element '%s')",
                           path, root ? (const char *)root->name : "");
    }
    xmlFreeDoc(doc);
    xmlfile_quiet_end(&q);
    return r;
}

/* ---- the file ---- */

static char *
slurp(const char *path, size_t *len, struct ab_error *err)
{
    CLEANUP_FCLOSE FILE *f = fopen(path, "re");
    if (!f) {
        ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(HW_FILE_MAX + 1);
    if (!buf) {
        ab_oom(err);
        return NULL;
    }
    *len = fread(buf, 1, HW_FILE_MAX + 1, f);
    if (ferror(f) || *len > HW_FILE_MAX) {
        ab_build_error(err, ferror(f) ? errno : EFBIG, "cannot read '%s': %s", path,
                       ferror(f) ? strerror(errno) : "larger than 16 MiB");
        free(buf);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

int
convert_hardware_read(const char *path, struct convert_hardware *hw, struct ab_error *err)
{
    size_t len = 0;
    CLEANUP_FREE char *text = slurp(path, &len, err);
    if (!text)
        return -1;
    if (set_str(&hw->from, path, err) < 0)
        return -1;
    const char *p = text + strspn(text, " \t\r\n");
    if (*p == '{')
        return read_report(path, text, hw, err);
    if (*p == '<' || !strncmp(p, "\xef\xbb\xbf<", 4))
        return read_xml(path, text, len, hw, err);
    return ab_build_error(err, 0,
                          "cannot tell what '%s' is: expected a build-report.json, an .ovf or "
                          "a libvirt domain XML",
                          path);
}
