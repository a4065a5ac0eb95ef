/* distro.h: the distribution table, one row per distribution and release.
 *
 * Everything the program knows about a distribution lives in its row
 * (builder/recipe/distro.c): the recipe's name, the family, the tool and
 * the repositories that install it, its kernel, initramfs and add-on
 * packages, its signed boot files, how an OVF names it (CIM OsType id and
 * description, VMware's guest OS ids per vSphere release) and libosinfo's
 * id. The stages ask the table; none keeps a copy. Reading a descriptor
 * back (appliance convert) goes through the same rows by their exact keys:
 * a guest id, a CIM id with its description, an osinfo id.
 *
 * Adding a release is its enum distro name (enums.h) and one row. */
#ifndef APPLIANCE_DISTRO_H
#define APPLIANCE_DISTRO_H

#include <stdbool.h>
#include <stddef.h>

#include "appliance/arch.h"
#include "appliance/enums.h"

/* vSphere releases, as major * 100 + minor * 10 + update: the guest OS IDs
 * a release knows are those of its API (vSphere's GuestOS enum). */
#define VSPHERE_6_5 650
#define VSPHERE_6_7 670
#define VSPHERE_7_0 700
#define VSPHERE_7_0_U1 701
#define VSPHERE_8_0_U1 801

/* The add-ons (enum addon_flags), by bit: 1 << i is add-on i. */
#define DISTRO_N_ADDONS 4
/* At most this many guest ids per row, and signed paths per file. */
#define DISTRO_MAX_GUEST_IDS 5
#define DISTRO_MAX_SIGNED_PATHS 6
#define DISTRO_MAX_KERNEL_GLOBS 4

struct distro_guest_id {
    const char *id; /* vmw:osType, "debian12_64Guest" */
    unsigned since; /* the vSphere release that added it (VSPHERE_*) */
};

/* A file of the signed UEFI boot chain as the distribution installs it. */
struct distro_signed_file {
    const char *paths[DISTRO_MAX_SIGNED_PATHS]; /* in the tree, the first found is used */
    const char *package;                        /* the package that installs it */
};

/* The signed boot chain: shim (BOOTX64.EFI), GRUB (grubx64.efi) and
 * MokManager (mmx64.efi). */
enum distro_signed {
    DISTRO_SIGNED_SHIM = 0,
    DISTRO_SIGNED_GRUB,
    DISTRO_SIGNED_MOK,
    DISTRO_N_SIGNED,
};

struct distro_row {
    struct ab_enum_name key; /* enum distro, and the recipe's name ("debian-12") */
    enum distro_family family;
    const char *title;        /* for people: "Rocky Linux 9" */
    const char *vendor;       /* whose it is: "Rocky Linux" */
    const char *package_tool; /* the program that installs it: "mmdebstrap", "dnf" */
    const char *admin_group;  /* whose members may use sudo: "sudo", "wheel" */
    const char *kernel_package[ARCH_N]; /* by arch_index() */
    const char *kernel_globs[DISTRO_MAX_KERNEL_GLOBS]; /* the installed kernels' packages */
    const char *initramfs_package;
    const char *addon_packages[DISTRO_N_ADDONS]; /* guest tools by add-on bit, NULL: none */
    /* Debian family: the suite, its components, the sources line used when
     * the recipe names no mirror (NULL: the host's apt sources) and the
     * archive keys mmdebstrap needs (NULL: its default) with their package. */
    const char *suite;
    const char *components;
    const char *default_source[ARCH_N];
    const char *keyring;
    const char *keyring_package;
    /* dnf: the release folder holding BaseOS/ and AppStream/, its GPG
     * key, the release package and the release ($releasever, el9). */
    const char *mirror;
    const char *gpgkey;
    const char *release_package;
    const char *release;
    struct distro_signed_file signed_files[ARCH_N][DISTRO_N_SIGNED]; /* by arch_index() */
    /* The OVF's OperatingSystemSection: CIM_OperatingSystem's OsType
     * (a 64-bit one) and its description. */
    unsigned cim_id;
    const char *cim_description;
    /* vmw:osType: newest first, each with the release that added it; the
     * last one is known everywhere. */
    struct distro_guest_id guest_ids[DISTRO_MAX_GUEST_IDS];
    /* A .vmx file's guestOS, by arch_index(): VMware's hosted products
     * (Workstation, Player, Fusion) name guests with ids of their own, not
     * vSphere's guestId ("debian12-64", "arm-debian12-64"); NULL: the
     * "other Linux" id of that architecture. */
    const char *vmx_guest_os[ARCH_N];
    const char *osinfo; /* libosinfo's id, NULL: none */
};

/* The rows a recipe may name, in the order they are listed to users. */
extern const struct distro_row distro_rows[];
extern const size_t distro_n_rows;

/* The row of d; DISTRO_NONE (a root tree of unknown kind) has a row of
 * its own, of family generic, which the recipe cannot name. */
const struct distro_row *distro_row(enum distro d);

/* The guest tools of the add-ons in addons (enum addon_flags) for d, in
 * add-on order: fills out (room for DISTRO_N_ADDONS) and returns their
 * number. */
size_t distro_addon_packages(enum distro d, unsigned addons, const char **out);

/* d's kernel package for arch: "linux-image-arm64". */
const char *distro_kernel_package(enum distro d, enum arch arch);

/* d's signed boot file k for arch (shimaa64.efi.signed, shim-signed). */
const struct distro_signed_file *distro_signed_file(enum distro d, enum arch arch,
                                                    enum distro_signed k);

/* The sources line d's tree is made from when the recipe names no mirror,
 * for arch; NULL: the host's apt sources. */
const char *distro_default_source(enum distro d, enum arch arch);

/* True when package is some row's guest tools package. */
bool distro_is_addon_package(const char *package);

/* True when package is a kernel's in some row (its kernel_globs, as
 * fnmatch(3) patterns). */
bool distro_is_kernel_package(const char *package);

/* The newest guest OS ID for d that release knows (the row's oldest when
 * it knows none of them). */
const char *distro_guest_id(enum distro d, unsigned release);

/* The .vmx guestOS of d on arch (the row's, else "other Linux"'s). */
const char *distro_vmx_guest_os(enum distro d, enum arch arch);

/* The release that introduced guest ID id: 0 and *release set, or -1 when
 * no row and no "other Linux" id is id (it cannot be judged). */
int distro_guest_id_since(const char *id, unsigned *release);

/* What a release knows in id's place: the newest of the same kind (the
 * same distribution's, or "other Linux") that release knows. */
const char *distro_guest_id_fallback(const char *id, unsigned release);

/* Reverse lookups, by exact keys; NULL when no row matches, or when the
 * key does not name one row alone. */

/* The row whose newest guest id is id, when no other row lists id (an
 * older id, such as debian11_64Guest, names an older release). */
const struct distro_row *distro_by_guest_id(const char *id);

/* The row (the unknown one included) whose CIM id and description are
 * exactly these. */
const struct distro_row *distro_by_cim(unsigned id, const char *description);

/* The row whose libosinfo id is id. */
const struct distro_row *distro_by_osinfo(const char *id);

#endif
