/* gpt.h: the GUID partition table (UEFI 2.10, chapter 5), written and read.
 *
 * The one owner of what the program knows of GPT: the partition type
 * GUIDs it writes or names (the table of gpt.c, with fdisk's names for
 * them), how a GUID is stored (the first three groups little-endian, the
 * last two as written), the script that has sfdisk write a table, and a
 * reader of a raw image's table that trusts nothing in it:
 *
 *   LBA 1           header: "EFI PART", ..., at byte 72 the LBA of the
 *                   entries, at 80 their number, at 84 their size
 *   entries         128 bytes (or more) each: the type GUID, the unique
 *                   GUID, at byte 32 the first LBA, at 40 the last LBA
 *
 * The disk engine writes tables through gpt_script_*, the plan names its
 * partitions' types with gpt_type_guid, inspect names the types it finds
 * with gpt_type_name, and convert and resize read tables with gpt_each. */
#ifndef APPLIANCE_GPT_H
#define APPLIANCE_GPT_H

#include <stdint.h>
#include <stdio.h>

#include "appliance/error.h"
#include "appliance/fsutil.h"

#define GPT_GUID_LEN 16    /* a GUID as stored */
#define GPT_HEADER_LBA 1   /* the primary header */
#define GPT_ENTRY_MIN 128  /* the size of an entry, the part the reader reads */
#define GPT_ENTRY_MAX 1024 /* the most entries the reader reads */
#define GPT_BACKUP_LBAS 33 /* at the disk's end: 128 entries of 128 bytes, the header */

enum gpt_type {
    GPT_TYPE_BIOS_BOOT,   /* GRUB's core image for BIOS */
    GPT_TYPE_ESP,         /* EFI system partition */
    GPT_TYPE_XBOOTLDR,    /* the Boot Loader Specification's extended boot */
    GPT_TYPE_LVM,         /* an LVM physical volume */
    GPT_TYPE_LINUX,       /* a Linux filesystem */
    GPT_TYPE_SWAP,        /* Linux swap */
    GPT_TYPE_ROOT_X86_64, /* the Discoverable Partitions' root for x86-64 */
    GPT_TYPE_RAID,        /* Linux RAID */
    GPT_TYPE_MS_BASIC,    /* Microsoft basic data */
    GPT_N_TYPES
};

/* The type's GUID as sfdisk prints it (upper case, with dashes). */
const char *gpt_type_guid(enum gpt_type type);

/* fdisk's name of the type: "EFI System", "Linux LVM", ... */
const char *gpt_type_name(enum gpt_type type);

/* The type of a GUID in text, any case; -1 for one not in the table. */
int gpt_type_from_guid(const char *guid);

/* The 16 bytes a GUID in text ("C12A7328-F81F-11D2-...") is stored as.
 * -1 when text is not a GUID. */
int gpt_guid_encode(const char *text, unsigned char out[GPT_GUID_LEN]);

/* ---- writing: the script sfdisk reads --------------------------------- */

/* "label: gpt", the disk's GUID, sectors as the unit and the first usable
 * LBA. */
void gpt_script_head(FILE *f, const char *disk_guid, uint64_t first_lba);

/* One partition line: start and size in bytes (whole sectors), its type,
 * its unique GUID and its name. */
void gpt_script_part(FILE *f, uint64_t start, uint64_t size, enum gpt_type type, const char *guid,
                     const char *name);

/* ---- reading a raw image ---------------------------------------------- */

#define GPT_NAME_UNITS 36 /* UTF-16 code units of a partition's name */
#define GPT_NAME_BUF 112  /* the name in UTF-8, NUL-terminated */
#define GPT_GUID_TEXT_BUF 37

struct gpt_entry {
    unsigned number;                  /* 1-based: the entry's place in the array */
    unsigned char type[GPT_GUID_LEN]; /* as stored; all zero: an unused entry */
    unsigned char guid[GPT_GUID_LEN]; /* the partition's own, as stored */
    uint64_t first_lba, last_lba;     /* as stored: not checked */
    char name[GPT_NAME_BUF];          /* UTF-8; a unit that is no character is '?' */
};

/* A stored GUID as text, lower case as blkid prints it. */
void gpt_guid_format(const unsigned char guid[GPT_GUID_LEN], char out[GPT_GUID_TEXT_BUF]);

/* True when the entry is in use (its type is not all zero). */
int gpt_entry_used(const struct gpt_entry *e);

/* True when the entry's type is type. */
int gpt_entry_is(const struct gpt_entry *e, enum gpt_type type);

/* Calls fn for each entry of the GPT of the raw image open at fd (size
 * bytes) until fn returns non-zero: that value when one did, 0 when none
 * did or there is no GPT (or one whose entries lie outside the image),
 * -1 on a read error. */
int gpt_each(int fd, uint64_t size, int (*fn)(void *ctx, const struct gpt_entry *e), void *ctx,
             struct ab_error *err);

/* gpt_each on any reader of a disk's bytes (an NBD export, fsutil.h). */
int gpt_read_each(const struct byte_reader *r, int (*fn)(void *ctx, const struct gpt_entry *e),
                  void *ctx, struct ab_error *err);

enum gpt_boot_flags {
    GPT_BOOT_BIOS = 1 << 0, /* a "BIOS boot" partition (GRUB's core image) */
    GPT_BOOT_UEFI = 1 << 1, /* an EFI system partition */
};

/* Which ways the raw image open at fd can boot, from its partitions'
 * types: enum gpt_boot_flags, 0 when it has no GPT; -1 on a read error. */
int gpt_boot_kinds(int fd, uint64_t size, struct ab_error *err);

#endif
