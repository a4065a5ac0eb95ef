/* domxml.h: a libvirt domain XML, read and changed: the one reader of the
 * format, for `appliance deploy` and `appliance convert --hardware-from`.
 *
 * The libvirt output (NAME.xml, export.h) names its qcow2 disks by the
 * absolute paths they had when they were built; the folder may have moved
 * since. These functions point the disks at where they are now, switch
 * the virtualisation type, rename the domain, and move NICs whose network
 * the target host lacks to user-mode networking, on the libxml2 tree;
 * nothing is pasted as text. */
#ifndef APPLIANCE_DOMXML_H
#define APPLIANCE_DOMXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"

struct domxml;

/* Parses a domain XML (no network access, no entities substituted). */
struct domxml *domxml_read_file(const char *path, struct ab_error *err);
struct domxml *domxml_read_buffer(const char *name, const char *text, size_t len,
                                  struct ab_error *err);
void domxml_free(struct domxml *d);

/* <name>, <uuid> and <domain type=...>; NULL when absent. */
const char *domxml_name(const struct domxml *d);
const char *domxml_uuid(const struct domxml *d);
const char *domxml_type(const struct domxml *d);

/* The machine the domain describes, as far as it says; 0 or "" where it
 * does not, or says it in a way not understood. */
struct domxml_machine {
    unsigned vcpus;   /* <vcpu>, 1 to 1024 */
    uint64_t memory;  /* <memory unit=...> in bytes (libvirt's units; KiB without one) */
    int efi;          /* with <os>: 1 UEFI (firmware='efi', a pflash loader, or an OVMF or
                         edk2 one), -1 BIOS; 0 without <os> */
    bool secure_boot; /* UEFI with secure boot on: <firmware><feature name='secure-boot'
                         enabled='yes'/>, or an older <loader secure='yes'> */
    char bus[16];     /* the first disk's <target bus> ("" none, or too long) */
    unsigned nics;    /* <interface> elements */
    char arch[16];    /* <os><type arch>: "aarch64" ("" none, or too long) */
};
void domxml_machine(const struct domxml *d, struct domxml_machine *m);

/* A <disk device='disk'> of <devices>; a string is NULL where the XML has
 * none. */
struct domxml_disk {
    char *type;   /* the disk's type: "file", "block", "network", ... */
    char *target; /* <target dev> */
    char *file;   /* <source file> */
    char *format; /* <driver type> */
    bool backed;  /* a <backingStore> with a <source>: an overlay on another image */
};

/* The domain's disks (CD-ROMs and floppies left out), in order, into *v
 * (freed with domxml_disks_free) and *n. -1 only when out of memory. */
int domxml_disks(const struct domxml *d, struct domxml_disk **v, size_t *n, struct ab_error *err);
void domxml_disks_free(struct domxml_disk *v, size_t n);

/* An attribute of a child element of the disk (of any device) whose
 * <target dev> is target: its <source file>, its block job's <mirror
 * ready>. NULL when there is none (or no memory); to be freed. */
char *domxml_disk_attr(const struct domxml *d, const char *target, const char *element,
                       const char *attr);

int domxml_set_type(struct domxml *d, const char *type, struct ab_error *err);
/* Sets <uuid> (adding it after <name> when missing). */
int domxml_set_uuid(struct domxml *d, const char *uuid, struct ab_error *err);

/* Sets <name>, and removes <uuid> and every interface's <mac address>, so
 * that libvirt makes new ones: the renamed domain is another machine. */
int domxml_rename(struct domxml *d, const char *name, struct ab_error *err);

/* Points every disk backed by a file at dir/BASENAME, dir made absolute;
 * fails, naming the disk, when a file is not in dir, or when a disk has a
 * source that is not a file (a host's block device, a network volume). */
int domxml_relocate_disks(struct domxml *d, const char *dir, struct ab_error *err);

/* For the disks whose source is file: the <driver type> is format (set
 * when missing; a different one fails), and the disk gets an empty
 * <backingStore/> instead of any the XML gave it: the image has no
 * backing chain (image_check.h saw to that), and libvirt is not to look
 * for one. */
int domxml_set_disk_format(struct domxml *d, const char *file, const char *format,
                           struct ab_error *err);

/* The file-backed disks as NULL-terminated pairs: target dev ("vda", or
 * "" when absent), source file. Freed with ab_strv_free(); NULL: no memory. */
char **domxml_disk_files(const struct domxml *d);

/* The distinct networks the interfaces of type 'network' use; freed with
 * ab_strv_free(); NULL: no memory. */
char **domxml_networks(const struct domxml *d);

/* Interfaces on network becomes user-mode ('user') interfaces, keeping
 * their model and MAC address. */
int domxml_use_user_networking(struct domxml *d, const char *network, struct ab_error *err);

/* The document as text, to be freed. */
char *domxml_to_string(const struct domxml *d, struct ab_error *err);

static inline void
domxml_cleanup(struct domxml **d)
{
    domxml_free(*d);
}
#define CLEANUP_DOMXML __attribute__((cleanup(domxml_cleanup)))

#endif
