/* ovf_read.h: an OVF 1.x descriptor, read back into a summary.
 *
 * The mirror of ovf.h's writer, for `appliance inspect`: it reads what the
 * importers read (IMPORTERS.md) from any OVF 1.x envelope, ours or a peer
 * builder's: References, DiskSection, the product and OS sections, and the
 * virtual hardware (CPUs, memory, controllers, disks and where they hang,
 * NICs, vmw:Config firmware). Facts it cannot make sense of (an unknown
 * allocation unit, a disk without a file, a number that is not one) are
 * kept as problems beside the summary, not fatal errors. */
#ifndef APPLIANCE_OVF_READ_H
#define APPLIANCE_OVF_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"

/* A References/File. */
struct ovf_file {
    char *id;
    char *href;
    bool has_size;
    uint64_t size; /* ovf:size: the file's exact byte size */
};

/* A controller Item: ResourceType 5 (IDE), 6 (SCSI), 20 (SATA) or 1. */
struct ovf_controller {
    char *instance_id;
    unsigned resource_type;
    char *subtype; /* rasd:ResourceSubType ("lsilogic", "AHCI"), may be NULL */
};

struct ovf_nic {
    char *subtype; /* "E1000", "VmxNet3", may be NULL */
    char *network; /* rasd:Connection, may be NULL */
};

/* A DiskSection/Disk, with the Item that attaches it. */
struct ovf_disk {
    char *id;
    int file;          /* index into files, -1: none */
    uint64_t capacity; /* bytes */
    char *capacity_units; /* ovf:capacityAllocationUnits as written, may be NULL */
    bool has_populated;
    uint64_t populated_size;
    char *format;   /* the format URI */
    int controller; /* index into controllers, -1: not attached */
    char *address;  /* rasd:AddressOnParent, may be NULL */
};

struct ovf_summary {
    char *name;                                      /* VirtualSystem/Name, else its ovf:id */
    char *product, *vendor, *version, *full_version; /* each may be NULL */
    bool has_os_id;
    unsigned os_id; /* CIM OsType: 96 Debian 64-bit, ... */
    char *os_type;  /* vmw:osType, may be NULL */
    char *os_description;
    char *system_type; /* vssd:VirtualSystemType, "vmx-13" */
    unsigned cpus;
    uint64_t memory; /* bytes */
    char *firmware;  /* "efi" or "bios" (the default) */
    bool secure_boot; /* vmw:Config uefi.secureBoot.enabled is "true" */
    struct ovf_file *files;
    size_t n_files;
    struct ovf_disk *disks;
    size_t n_disks;
    struct ovf_controller *controllers;
    size_t n_controllers;
    struct ovf_nic *nics;
    size_t n_nics;
    char **problems; /* NULL-terminated; what did not make sense */
    size_t n_problems;
};

/* Reads a descriptor from memory; name is used in messages. Fails (NULL,
 * err set) only when the text is not XML or not an OVF 1.x envelope. */
struct ovf_summary *ovf_read_buffer(const char *name, const char *text, size_t len,
                                    struct ab_error *err);

/* Reads the descriptor at path. */
struct ovf_summary *ovf_read_file(const char *path, struct ab_error *err);

void ovf_summary_free(struct ovf_summary *s);

/* Bytes in one unit of an OVF allocation unit: "byte" 1, "byte * 2^20"
 * 1048576, "byte * 10^3" 1000, "MegaBytes" 1048576 (KiloBytes, GigaBytes
 * too, as VirtualBox writes them). Returns 0, or -1 if unknown. */
int ovf_units_bytes(const char *units, uint64_t *bytes);

/* "IDE", "SCSI", "SATA" or "other" for a controller's ResourceType. */
const char *ovf_controller_kind(unsigned resource_type);

/* The short name of a disk format URI: "streamOptimized" for VMware's
 * ".../vmdk.html#streamOptimized", else the URI's fragment, else the URI. */
const char *ovf_format_name(const char *uri);

static inline void
ovf_summary_cleanup(struct ovf_summary **s)
{
    ovf_summary_free(*s);
}
#define CLEANUP_OVF_SUMMARY __attribute__((cleanup(ovf_summary_cleanup)))

#endif
