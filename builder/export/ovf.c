/* ovf.c: the OVF 1.0 descriptor, built with libxml2's tree API.
 *
 * Every element is made with xmlNewTextChild() (which escapes its text) and
 * every attribute with xmlNewNsProp(); nothing is pasted as a string. The
 * DMTF schema fixes the order of the envelope's sections and of each Item's
 * rasd:* children (alphabetical); put_item() writes those in that order by
 * construction. The importer's choices (family, guest ID, NIC and
 * controller models, digest) are the plan's, resolved from ova.target
 * (ova_target.h); docs/importers.md says what each importer demands. */
#include "appliance/ovf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "appliance/distro.h"
#include "appliance/ova_target.h"
#include "appliance/xmlfile.h"

#define NETWORK_NAME "VM Network"

/* InstanceIDs of the hardware Items. */
enum {
    ID_CPU = 1,
    ID_MEMORY,
    ID_CONTROLLER,
    ID_DISK1,
    ID_DISK2,
    ID_NIC1,
};

/* The OperatingSystemSection's ovf:id and Description are the
 * distribution's row's (distro.h); the vmw:osType is the target's
 * (plan->ova.os_type). */
unsigned
ovf_os_id(const struct plan *plan)
{
    return distro_row(plan->os.distro)->cim_id;
}

const char *
ovf_vmw_os_type(const struct plan *plan)
{
    return plan->ova.os_type;
}

const char *
ovf_capacity_units(uint64_t capacity, uint64_t *quantity, char *buf, size_t size)
{
    unsigned shift = ova_capacity_shift(capacity);
    snprintf(buf, size, "byte * 2^%u", shift);
    *quantity = capacity >> shift;
    return buf;
}

struct ovf_doc {
    xmlDocPtr doc;
    xmlNsPtr def; /* default namespace: the envelope's elements */
    xmlNsPtr ovf; /* the same URI with the "ovf" prefix, for attributes */
    xmlNsPtr rasd;
    xmlNsPtr vssd;
    xmlNsPtr vmw;
    bool failed; /* some libxml2 call returned NULL (out of memory) */
};

/* A child element with escaped text (NULL: empty); NULL-safe in parent so
 * that a failure propagates to the final check. */
static xmlNodePtr
put(struct ovf_doc *d, xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
    return xmlfile_child(&d->failed, parent, ns, name, text);
}

static void
attr(struct ovf_doc *d, xmlNodePtr node, xmlNsPtr ns, const char *name, const char *value)
{
    if (!node || !xmlNewNsProp(node, ns, BAD_CAST name, BAD_CAST value))
        d->failed = true;
}

static void
attr_u64(struct ovf_doc *d, xmlNodePtr node, xmlNsPtr ns, const char *name, uint64_t value)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, value);
    attr(d, node, ns, name, buf);
}

/* A hardware Item. The fields are in the schema's order (alphabetical);
 * NULL ones are left out. */
struct rasd_item {
    const char *address;
    const char *address_on_parent;
    const char *allocation_units;
    const char *automatic_allocation;
    const char *connection;
    const char *description;
    const char *element_name;
    const char *host_resource;
    unsigned instance_id;
    unsigned parent; /* 0: none */
    const char *resource_subtype;
    unsigned resource_type;
    uint64_t virtual_quantity; /* 0: none */
};

static void
put_rasd(struct ovf_doc *d, xmlNodePtr item, const char *name, const char *text)
{
    if (text)
        put(d, item, d->rasd, name, text);
}

static void
put_item(struct ovf_doc *d, xmlNodePtr vhs, const struct rasd_item *it)
{
    char instance[16], parent[16], type[16], quantity[32];
    snprintf(instance, sizeof(instance), "%u", it->instance_id);
    snprintf(parent, sizeof(parent), "%u", it->parent);
    snprintf(type, sizeof(type), "%u", it->resource_type);
    snprintf(quantity, sizeof(quantity), "%" PRIu64, it->virtual_quantity);

    xmlNodePtr item = put(d, vhs, d->def, "Item", NULL);
    put_rasd(d, item, "Address", it->address);
    put_rasd(d, item, "AddressOnParent", it->address_on_parent);
    put_rasd(d, item, "AllocationUnits", it->allocation_units);
    put_rasd(d, item, "AutomaticAllocation", it->automatic_allocation);
    put_rasd(d, item, "Connection", it->connection);
    put_rasd(d, item, "Description", it->description);
    put_rasd(d, item, "ElementName", it->element_name);
    put_rasd(d, item, "HostResource", it->host_resource);
    put_rasd(d, item, "InstanceID", instance);
    put_rasd(d, item, "Parent", it->parent ? parent : NULL);
    put_rasd(d, item, "ResourceSubType", it->resource_subtype);
    put_rasd(d, item, "ResourceType", type);
    put_rasd(d, item, "VirtualQuantity", it->virtual_quantity ? quantity : NULL);
}

static void
put_references(struct ovf_doc *d, xmlNodePtr env, const struct ovf_disk_file disks[2])
{
    xmlNodePtr refs = put(d, env, d->def, "References", NULL);
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        char id[16];
        snprintf(id, sizeof(id), "file%d", i + 1);
        xmlNodePtr f = put(d, refs, d->def, "File", NULL);
        attr(d, f, d->ovf, "id", id);
        attr(d, f, d->ovf, "href", disks[i].href);
        attr_u64(d, f, d->ovf, "size", disks[i].size);
    }
}

static void
put_disk_section(struct ovf_doc *d, xmlNodePtr env, const struct ovf_disk_file disks[2])
{
    xmlNodePtr sec = put(d, env, d->def, "DiskSection", NULL);
    put(d, sec, d->def, "Info", "Virtual disk information");
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        char id[32], file[32];
        snprintf(id, sizeof(id), "vmdisk%d", i + 1);
        snprintf(file, sizeof(file), "file%d", i + 1);
        xmlNodePtr disk = put(d, sec, d->def, "Disk", NULL);
        attr(d, disk, d->ovf, "diskId", id);
        attr(d, disk, d->ovf, "fileRef", file);
        /* byte * 2^N, the one form every importer reads (Proxmox shows no
         * size for a bare "byte"). */
        char units[32];
        uint64_t quantity;
        ovf_capacity_units(disks[i].capacity, &quantity, units, sizeof(units));
        attr_u64(d, disk, d->ovf, "capacity", quantity);
        attr(d, disk, d->ovf, "capacityAllocationUnits", units);
        attr(d, disk, d->ovf, "format", OVF_FORMAT_STREAM_OPTIMIZED);
        attr_u64(d, disk, d->ovf, "populatedSize", disks[i].populated_size);
    }
}

static void
put_network_section(struct ovf_doc *d, xmlNodePtr env)
{
    xmlNodePtr sec = put(d, env, d->def, "NetworkSection", NULL);
    put(d, sec, d->def, "Info", "The list of logical networks");
    xmlNodePtr net = put(d, sec, d->def, "Network", NULL);
    attr(d, net, d->ovf, "name", NETWORK_NAME);
    put(d, net, d->def, "Description", "The " NETWORK_NAME " network");
}

static void
put_product_section(struct ovf_doc *d, xmlNodePtr vs, const struct plan *plan)
{
    xmlNodePtr sec = put(d, vs, d->def, "ProductSection", NULL);
    put(d, sec, d->def, "Info", "Meta-information about the installed software");
    put(d, sec, d->def, "Product", plan->description[0] ? plan->description : plan->name);
    if (plan->vendor[0])
        put(d, sec, d->def, "Vendor", plan->vendor);
    put(d, sec, d->def, "Version", plan->version);
    put(d, sec, d->def, "FullVersion", plan->version);
    if (plan->product_url && plan->product_url[0])
        put(d, sec, d->def, "ProductUrl", plan->product_url);
    if (plan->vendor_url && plan->vendor_url[0])
        put(d, sec, d->def, "VendorUrl", plan->vendor_url);
}

/* The license VMware and VirtualBox show, to be accepted, on import. */
static void
put_eula_section(struct ovf_doc *d, xmlNodePtr vs, const struct plan *plan)
{
    xmlNodePtr sec = put(d, vs, d->def, "EulaSection", NULL);
    put(d, sec, d->def, "Info", "An end-user license agreement");
    put(d, sec, d->def, "License", plan->ova.eula);
}

static void
put_os_section(struct ovf_doc *d, xmlNodePtr vs, const struct plan *plan)
{
    const struct distro_row *os = distro_row(plan->os.distro);
    xmlNodePtr sec = put(d, vs, d->def, "OperatingSystemSection", NULL);
    attr_u64(d, sec, d->ovf, "id", os->cim_id);
    attr(d, sec, d->vmw, "osType", plan->ova.os_type);
    put(d, sec, d->def, "Info", "The kind of installed guest operating system");
    put(d, sec, d->def, "Description", os->cim_description);
}

static void
put_system(struct ovf_doc *d, xmlNodePtr vhs, const struct plan *plan)
{
    xmlNodePtr sys = put(d, vhs, d->def, "System", NULL);
    put(d, sys, d->vssd, "ElementName", "Virtual Hardware Family");
    put(d, sys, d->vssd, "InstanceID", "0");
    put(d, sys, d->vssd, "VirtualSystemIdentifier", plan->name);
    put(d, sys, d->vssd, "VirtualSystemType", plan->hardware_family);
}

static void
put_cpu_memory(struct ovf_doc *d, xmlNodePtr vhs, const struct plan *plan)
{
    char cpus[48], mem[48];
    uint64_t mib = plan->hardware.memory >> 20;
    snprintf(cpus, sizeof(cpus), "%u virtual CPU(s)", plan->hardware.cpus);
    snprintf(mem, sizeof(mem), "%" PRIu64 "MB of memory", mib);
    put_item(d, vhs,
             &(struct rasd_item){.allocation_units = "hertz * 10^6",
                                 .description = "Number of Virtual CPUs",
                                 .element_name = cpus,
                                 .instance_id = ID_CPU,
                                 .resource_type = 3,
                                 .virtual_quantity = plan->hardware.cpus});
    put_item(d, vhs,
             &(struct rasd_item){.allocation_units = "byte * 2^20",
                                 .description = "Memory Size",
                                 .element_name = mem,
                                 .instance_id = ID_MEMORY,
                                 .resource_type = 4,
                                 .virtual_quantity = mib});
}

/* One controller holds both disks: a SCSI and a SATA controller have room
 * for many, an IDE one for two (master and slave), and the appliance has no
 * CD-ROM that would need another IDE controller. */
static void
put_storage(struct ovf_doc *d, xmlNodePtr vhs, const struct plan *plan)
{
    static const struct rasd_item controllers[] = {
        [CONTROLLER_SCSI] = {.address = "0",
                             .description = "SCSI Controller",
                             .element_name = "SCSI Controller 0",
                             .instance_id = ID_CONTROLLER,
                             .resource_type = 6},
        [CONTROLLER_SATA] = {.address = "0",
                             .description = "SATA Controller",
                             .element_name = "SATA Controller 0",
                             .instance_id = ID_CONTROLLER,
                             .resource_type = 20},
        [CONTROLLER_IDE] = {.address = "0",
                            .description = "IDE Controller",
                            .element_name = "IDE Controller 0",
                            .instance_id = ID_CONTROLLER,
                            .resource_type = 5},
    };
    struct rasd_item controller = controllers[plan->hardware.controller];
    controller.resource_subtype = plan->ova.controller; /* lsilogic, AHCI, ... */
    put_item(d, vhs, &controller);
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        char addr[16], name[32], host[32];
        snprintf(addr, sizeof(addr), "%d", i);
        snprintf(name, sizeof(name), "Hard Disk %d", i + 1);
        snprintf(host, sizeof(host), "ovf:/disk/vmdisk%d", i + 1);
        put_item(d, vhs,
                 &(struct rasd_item){.address_on_parent = addr,
                                     .element_name = name,
                                     .host_resource = host,
                                     .instance_id = ID_DISK1 + (unsigned)i,
                                     .parent = ID_CONTROLLER,
                                     .resource_type = 17});
    }
}

static void
put_nics(struct ovf_doc *d, xmlNodePtr vhs, const struct plan *plan)
{
    for (unsigned i = 0; i < plan->hardware.nics; i++) {
        char name[32], description[64];
        snprintf(name, sizeof(name), "Network adapter %u", i + 1);
        snprintf(description, sizeof(description), "%s ethernet adapter on \"" NETWORK_NAME "\"",
                 plan->ova.nic);
        put_item(d, vhs,
                 &(struct rasd_item){.automatic_allocation = "true",
                                     .connection = NETWORK_NAME,
                                     .description = description,
                                     .element_name = name,
                                     .instance_id = ID_NIC1 + i,
                                     .resource_subtype = plan->ova.nic,
                                     .resource_type = 10});
    }
}

static void
put_hardware_section(struct ovf_doc *d, xmlNodePtr vs, const struct plan *plan)
{
    xmlNodePtr vhs = put(d, vs, d->def, "VirtualHardwareSection", NULL);
    put(d, vhs, d->def, "Info", "Virtual hardware requirements");
    put_system(d, vhs, plan);
    put_cpu_memory(d, vhs, plan);
    put_storage(d, vhs, plan);
    put_nics(d, vhs, plan);
    /* bios+uefi boots either way; only a UEFI-only appliance needs EFI. */
    if (plan->hardware.firmware == FIRMWARE_UEFI) {
        xmlNodePtr cfg = put(d, vhs, d->vmw, "Config", NULL);
        attr(d, cfg, d->ovf, "required", "false");
        attr(d, cfg, d->vmw, "key", "firmware");
        attr(d, cfg, d->vmw, "value", "efi");
        if (plan->hardware.secure_boot) {
            xmlNodePtr sb = put(d, vhs, d->vmw, "Config", NULL);
            attr(d, sb, d->ovf, "required", "false");
            attr(d, sb, d->vmw, "key", "uefi.secureBoot.enabled");
            attr(d, sb, d->vmw, "value", "true");
        }
    }
}

static void
put_envelope(struct ovf_doc *d, const struct plan *plan, const struct ovf_disk_file disks[2])
{
    xmlNodePtr env = xmlNewDocNode(d->doc, NULL, BAD_CAST "Envelope", NULL);
    if (!env) {
        d->failed = true;
        return;
    }
    xmlDocSetRootElement(d->doc, env);
    d->def = xmlNewNs(env, BAD_CAST OVF_NS, NULL);
    d->ovf = xmlNewNs(env, BAD_CAST OVF_NS, BAD_CAST "ovf");
    d->rasd = xmlNewNs(env, BAD_CAST OVF_NS_RASD, BAD_CAST "rasd");
    d->vmw = xmlNewNs(env, BAD_CAST OVF_NS_VMW, BAD_CAST "vmw");
    d->vssd = xmlNewNs(env, BAD_CAST OVF_NS_VSSD, BAD_CAST "vssd");
    if (!d->def || !d->ovf || !d->rasd || !d->vmw || !d->vssd ||
        !xmlNewNs(env, BAD_CAST OVF_NS_XSI, BAD_CAST "xsi")) {
        d->failed = true;
        return;
    }
    xmlSetNs(env, d->def);

    put_references(d, env, disks);
    put_disk_section(d, env, disks);
    if (plan->hardware.nics > 0)
        put_network_section(d, env);
    xmlNodePtr vs = put(d, env, d->def, "VirtualSystem", NULL);
    attr(d, vs, d->ovf, "id", plan->name);
    put(d, vs, d->def, "Info", "A virtual machine");
    put(d, vs, d->def, "Name", plan->name);
    put_product_section(d, vs, plan);
    if (plan->ova.eula)
        put_eula_section(d, vs, plan);
    put_os_section(d, vs, plan);
    put_hardware_section(d, vs, plan);
}

int
ovf_write(const struct plan *plan, const struct ovf_disk_file disks[2], const char *path,
          struct ab_error *err)
{
    struct xmlfile_quiet quiet;
    xmlfile_quiet_begin(&quiet);

    struct ovf_doc d = {.doc = xmlNewDoc(BAD_CAST "1.0")};
    if (d.doc)
        put_envelope(&d, plan, disks);
    int rc = xmlfile_save_built(d.doc, d.failed, path, "OVF descriptor", err);
    xmlFreeDoc(d.doc);
    xmlfile_quiet_end(&quiet);
    return rc;
}
