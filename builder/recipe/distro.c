/* distro.c: the distribution table (distro.h), one row per release.
 *
 * Sources of the OVF columns:
 *   CIM ids: CIM_OperatingSystem's OsType values (the 64-bit ones), with
 *   the descriptions VMware writes for them.
 *   Guest ids: the vSphere API's GuestOS enum as VMware's vSphere
 *   Automation SDK documents it ("This class attribute was added in vSphere
 *   API X"), cross-checked with govmomi 0.24.2 (vim25/types/enum.go: it has
 *   debian11_64Guest, rhel9_64Guest, centos9_64Guest and
 *   other5xLinux64Guest, and none of the 8.0 Update 1 ids); see
 *   builder/plan/ova_targets.c for the releases of each import target.
 *   osinfo ids: libosinfo's osinfo-db.
 *   .vmx guestOS ids (vmx_guest_os): VMware's hosted products keep their
 *   own list, documented nowhere as a table; each id below is one that
 *   VMware's own tools write or accept (vmcli's "VM Create -g" list of
 *   Workstation 17.5 / Fusion 13.5, .vmx files that Workstation and Fusion
 *   made), with the releases it was seen in: not necessarily the first that
 *   had it, which VMware publishes no table of. The arm-* family exists
 *   from Fusion 13.0 (the first Fusion for Apple Silicon; vmx-20) and its
 *   22H2 tech preview; Workstation runs no arm64 guest. [VMCLI] is the
 *   list that vmcli of Workstation 17.5 and Fusion 13.5 accepts. Fusion has no
 *   arm-* id of CentOS, Rocky or AlmaLinux: their rows name RHEL 9's, the
 *   one their rebuilds' arm64 builds use with Fusion (Rocky's and Alma's
 *   own Packer templates). */
#include "appliance/distro.h"

#include <fnmatch.h>
#include <string.h>

/* The guest tools of each add-on, by add-on bit (vmware, virtualbox,
 * hyperv, kvm): the same package names in both families. VirtualBox has
 * none: the kernel's own vboxguest and vboxsf drivers. */
#define GUEST_TOOLS                                                                                \
    {                                                                                              \
        "open-vm-tools", NULL, "hyperv-daemons", "qemu-guest-agent"                                \
    }

/* The CentOS family's signed chain, by architecture: shim-x64 and
 * grub2-efi-x64 (shim-aa64, grub2-efi-aa64) install into the vendor's
 * folder of the ESP. */
#define ESP_CHAIN_OF(vendor, efi, pkg)                                                             \
    {                                                                                              \
        {{"/boot/efi/EFI/" vendor "/shim" efi ".efi"}, "shim-" pkg},                               \
            {{"/boot/efi/EFI/" vendor "/grub" efi ".efi"}, "grub2-efi-" pkg},                      \
            {{"/boot/efi/EFI/" vendor "/mm" efi ".efi"}, "shim-" pkg},                             \
    }
#define ESP_CHAIN(vendor)                                                                          \
    {                                                                                              \
        ESP_CHAIN_OF(vendor, "x64", "x64"), ESP_CHAIN_OF(vendor, "aa64", "aa64")                   \
    }
/* Debian's and Ubuntu's signed GRUB and MokManager, by architecture (paths
 * from Debian 12's Contents-amd64 and Contents-arm64). */
#define DEBIAN_GRUB_SIGNED(grub_dir, efi, deb)                                                     \
    {                                                                                              \
        {"/usr/lib/grub/" grub_dir "-signed/grub" efi ".efi.signed"}, "grub-efi-" deb "-signed"    \
    }
#define DEBIAN_MOK_PATHS(efi)                                                                      \
    {                                                                                              \
        "/usr/lib/shim/mm" efi ".efi.signed", "/usr/lib/shim/mm" efi ".efi"                        \
    }

#define DNF_ROW                                                                                    \
    .family = FAMILY_RHEL, .package_tool = "dnf", .admin_group = "wheel",                          \
    .kernel_package = {"kernel", "kernel"}, .kernel_globs = {"kernel", "kernel-core", "kernel-modules*"},      \
    .initramfs_package = "dracut", .addon_packages = GUEST_TOOLS
#define DEBIAN_ROW                                                                                 \
    .family = FAMILY_DEBIAN, .package_tool = "mmdebstrap", .admin_group = "sudo",                  \
    .kernel_globs = {"linux-image-*"}, .initramfs_package = "initramfs-tools",                     \
    .addon_packages = GUEST_TOOLS

/* In the order the recipe's names are listed to users. Rocky and Alma are
 * RHEL rebuilds: RHEL's guest ids before their own. */
const struct distro_row distro_rows[] = {
    {
        .key = {DISTRO_CENTOS_STREAM_9, "centos-stream-9"},
        .title = "CentOS Stream 9",
        .vendor = "CentOS",
        DNF_ROW,
        .mirror = "https://mirror.stream.centos.org/9-stream/",
        .gpgkey = "https://www.centos.org/keys/RPM-GPG-KEY-CentOS-Official",
        .release_package = "centos-stream-release",
        .release = "9",
        .signed_files = ESP_CHAIN("centos"),
        .cim_id = 107,
        .cim_description = "CentOS Stream 9 (64-bit)",
        .guest_ids = {{"centos9_64Guest", VSPHERE_7_0_U1},
                      {"centos8_64Guest", VSPHERE_6_7},
                      {"centos7_64Guest", VSPHERE_6_5}},
        /* [VMCLI]; arm-rhel9-64: Fusion 13 (CentOS Stream's Packer templates). */
        .vmx_guest_os = {"centos9-64", "arm-rhel9-64"},
        .osinfo = "http://centos.org/centos-stream/9",
    },
    {
        .key = {DISTRO_ROCKY_9, "rocky-9"},
        .title = "Rocky Linux 9",
        .vendor = "Rocky Linux",
        DNF_ROW,
        .mirror = "https://dl.rockylinux.org/pub/rocky/9/",
        .gpgkey = "https://dl.rockylinux.org/pub/rocky/RPM-GPG-KEY-Rocky-9",
        .release_package = "rocky-release",
        .release = "9",
        .signed_files = ESP_CHAIN("rocky"),
        .cim_id = 80,
        .cim_description = "Rocky Linux 9 (64-bit)",
        .guest_ids = {{"rockylinux_64Guest", VSPHERE_8_0_U1},
                      {"rhel9_64Guest", VSPHERE_7_0_U1},
                      {"rhel8_64Guest", VSPHERE_6_7},
                      {"rhel7_64Guest", VSPHERE_6_5}},
        /* rockylinux-64: .vmx files of vmx-21 (Workstation 17.5); arm-rhel9-64:
         * Fusion 13 (Rocky's Packer templates). */
        .vmx_guest_os = {"rockylinux-64", "arm-rhel9-64"},
        .osinfo = "http://rockylinux.org/rocky/9",
    },
    {
        .key = {DISTRO_ALMALINUX_9, "almalinux-9"},
        .title = "AlmaLinux 9",
        .vendor = "AlmaLinux",
        DNF_ROW,
        .mirror = "https://repo.almalinux.org/almalinux/9/",
        .gpgkey = "https://repo.almalinux.org/almalinux/RPM-GPG-KEY-AlmaLinux-9",
        .release_package = "almalinux-release",
        .release = "9",
        .signed_files = ESP_CHAIN("almalinux"),
        .cim_id = 80,
        .cim_description = "AlmaLinux 9 (64-bit)",
        .guest_ids = {{"almalinux_64Guest", VSPHERE_8_0_U1},
                      {"rhel9_64Guest", VSPHERE_7_0_U1},
                      {"rhel8_64Guest", VSPHERE_6_7},
                      {"rhel7_64Guest", VSPHERE_6_5}},
        /* almalinux-64: .vmx files Workstation 17.5 made; arm-rhel9-64: Fusion 13
         * (AlmaLinux's Packer templates, vmx-21). */
        .vmx_guest_os = {"almalinux-64", "arm-rhel9-64"},
        .osinfo = "http://almalinux.org/almalinux/9",
    },
    /* Debian 12 runs kernel 6.1, but other6xLinux64Guest (8.0 Update 1) is
     * not used: debian12_64Guest is there from the same release. Without a
     * mirror, the host's apt sources. */
    {
        .key = {DISTRO_DEBIAN_12, "debian-12"},
        .title = "Debian GNU/Linux 12",
        .vendor = "Debian",
        DEBIAN_ROW,
        .kernel_package = {"linux-image-amd64", "linux-image-arm64"},
        .suite = "bookworm",
        .components = "main",
        .signed_files = {{{{"/usr/lib/shim/shimx64.efi.signed"}, "shim-signed"},
                          DEBIAN_GRUB_SIGNED("x86_64-efi", "x64", "amd64"),
                          {DEBIAN_MOK_PATHS("x64"), "shim-helpers-amd64-signed"}},
                         {{{"/usr/lib/shim/shimaa64.efi.signed"}, "shim-signed"},
                          DEBIAN_GRUB_SIGNED("arm64-efi", "aa64", "arm64"),
                          {DEBIAN_MOK_PATHS("aa64"), "shim-helpers-arm64-signed"}}},
        .cim_id = 96,
        .cim_description = "Debian GNU/Linux 12 (64-bit)",
        .guest_ids = {{"debian12_64Guest", VSPHERE_8_0_U1},
                      {"debian11_64Guest", VSPHERE_7_0},
                      {"debian10_64Guest", VSPHERE_6_5}},
        /* [VMCLI]; arm-debian12-64: Fusion 13.5's vmcli takes it, and Packer
         * templates of vmx-20 (Fusion 13.0) write it. */
        .vmx_guest_os = {"debian12-64", "arm-debian12-64"},
        .osinfo = "http://debian.org/debian/12",
    },
    {
        .key = {DISTRO_UBUNTU_24_04, "ubuntu-24.04"},
        .title = "Ubuntu 24.04",
        .vendor = "Ubuntu",
        DEBIAN_ROW,
        .kernel_package = {"linux-image-virtual", "linux-image-virtual"},
        .suite = "noble",
        .components = "main universe",
        /* Ubuntu's arm64 packages are on its ports archive. */
        .default_source = {"deb http://archive.ubuntu.com/ubuntu noble main universe",
                           "deb http://ports.ubuntu.com/ubuntu-ports noble main universe"},
        .keyring = "/usr/share/keyrings/ubuntu-archive-keyring.gpg",
        .keyring_package = "ubuntu-keyring",
        .signed_files = {{{{"/usr/lib/shim/shimx64.efi.signed.latest",
                            "/usr/lib/shim/shimx64.efi.signed"},
                           "shim-signed"},
                          DEBIAN_GRUB_SIGNED("x86_64-efi", "x64", "amd64"),
                          {DEBIAN_MOK_PATHS("x64"), "shim-signed"}},
                         {{{"/usr/lib/shim/shimaa64.efi.signed.latest",
                            "/usr/lib/shim/shimaa64.efi.signed"},
                           "shim-signed"},
                          DEBIAN_GRUB_SIGNED("arm64-efi", "aa64", "arm64"),
                          {DEBIAN_MOK_PATHS("aa64"), "shim-signed"}}},
        .cim_id = 94,
        .cim_description = "Ubuntu Linux (64-bit)",
        .guest_ids = {{"ubuntu64Guest", VSPHERE_6_5}},
        /* [VMCLI], and every Workstation since 5; arm-ubuntu-64: Fusion 13.0. */
        .vmx_guest_os = {"ubuntu-64", "arm-ubuntu-64"},
        .osinfo = "http://ubuntu.com/ubuntu/24.04",
    },
};
const size_t distro_n_rows = sizeof(distro_rows) / sizeof(distro_rows[0]);

/* A root tree of unknown kind: "other Linux", the newest kernel series
 * the release knows up to 5.x (the tree's kernel is not known); the
 * signed chain of RHEL itself, which no row has. */
static const struct distro_row other = {
    .key = {DISTRO_NONE, "none"},
    .family = FAMILY_GENERIC,
    .title = "Linux",
    .vendor = "",
    .signed_files = ESP_CHAIN("redhat"),
    .cim_id = 101,
    .cim_description = "Other Linux (64-bit)",
    .guest_ids = {{"other5xLinux64Guest", VSPHERE_7_0_U1},
                  {"other4xLinux64Guest", VSPHERE_6_7},
                  {"other3xLinux64Guest", VSPHERE_6_5}},
    /* Linux 5.x, as above: Workstation 16 and later; Fusion 22H2 tech
     * preview and 13 (Packer templates of vmx-19 and vmx-20). */
    .vmx_guest_os = {"other5xlinux-64", "arm-other5xlinux-64"},
};

/* The whole "other Linux" line, for judging a descriptor (never written:
 * other's ids come first). */
static const struct distro_guest_id other_linux[] = {
    {"other6xLinux64Guest", VSPHERE_8_0_U1}, {"other5xLinux64Guest", VSPHERE_7_0_U1},
    {"other4xLinux64Guest", VSPHERE_6_7},    {"other3xLinux64Guest", VSPHERE_6_5},
    {"otherLinux64Guest", VSPHERE_6_5},      {NULL, 0},
};

/* The recipe's names: the rows' keys (enums.h). */
const struct ab_enum_table distro_table = {
    &distro_rows[0].key, sizeof(distro_rows) / sizeof(distro_rows[0]), sizeof(distro_rows[0])};

const struct distro_row *
distro_row(enum distro d)
{
    for (size_t i = 0; i < distro_n_rows; i++)
        if (distro_rows[i].key.value == (int)d)
            return &distro_rows[i];
    return &other;
}

const char *
distro_to_string(enum distro d)
{
    return distro_row(d)->key.name;
}

enum distro_family
distro_family(enum distro d)
{
    return distro_row(d)->family;
}

size_t
distro_addon_packages(enum distro d, unsigned addons, const char **out)
{
    const struct distro_row *r = distro_row(d);
    size_t n = 0;
    for (unsigned i = 0; i < DISTRO_N_ADDONS; i++)
        if ((addons & (1u << i)) && r->addon_packages[i])
            out[n++] = r->addon_packages[i];
    return n;
}

const char *
distro_kernel_package(enum distro d, enum arch arch)
{
    return distro_row(d)->kernel_package[arch_index(arch)];
}

const struct distro_signed_file *
distro_signed_file(enum distro d, enum arch arch, enum distro_signed k)
{
    return &distro_row(d)->signed_files[arch_index(arch)][k];
}

const char *
distro_default_source(enum distro d, enum arch arch)
{
    return distro_row(d)->default_source[arch_index(arch)];
}

bool
distro_is_addon_package(const char *package)
{
    for (size_t i = 0; i < distro_n_rows; i++)
        for (unsigned a = 0; a < DISTRO_N_ADDONS; a++)
            if (distro_rows[i].addon_packages[a] &&
                strcmp(distro_rows[i].addon_packages[a], package) == 0)
                return true;
    return false;
}

bool
distro_is_kernel_package(const char *package)
{
    for (size_t i = 0; i < distro_n_rows; i++)
        for (size_t k = 0; k < DISTRO_MAX_KERNEL_GLOBS && distro_rows[i].kernel_globs[k]; k++)
            if (fnmatch(distro_rows[i].kernel_globs[k], package, 0) == 0)
                return true;
    return false;
}

/* ---- guest ids ---------------------------------------------------------- */

static size_t
n_ids(const struct distro_guest_id *ids)
{
    size_t n = 0;
    while (n < DISTRO_MAX_GUEST_IDS && ids[n].id)
        n++;
    return n;
}

/* The newest of ids (newest first) that release knows, else the oldest. */
static const char *
newest_known(const struct distro_guest_id *ids, size_t n, unsigned release)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i].since <= release)
            return ids[i].id;
    return ids[n - 1].id;
}

const char *
distro_guest_id(enum distro d, unsigned release)
{
    const struct distro_row *r = distro_row(d);
    return newest_known(r->guest_ids, n_ids(r->guest_ids), release);
}

const char *
distro_vmx_guest_os(enum distro d, enum arch arch)
{
    const char *id = distro_row(d)->vmx_guest_os[arch_index(arch)];
    return id ? id : other.vmx_guest_os[arch_index(arch)];
}

/* The id lists, the rows' then other's then the whole "other Linux" line;
 * NULL after the last. */
static const struct distro_guest_id *
id_list(size_t k)
{
    if (k < distro_n_rows)
        return distro_rows[k].guest_ids;
    if (k == distro_n_rows)
        return other.guest_ids;
    return k == distro_n_rows + 1 ? other_linux : NULL;
}

int
distro_guest_id_since(const char *id, unsigned *release)
{
    const struct distro_guest_id *ids;
    for (size_t k = 0; (ids = id_list(k)); k++)
        for (size_t i = 0; i < n_ids(ids); i++)
            if (strcmp(ids[i].id, id) == 0) {
                *release = ids[i].since;
                return 0;
            }
    return -1;
}

const char *
distro_guest_id_fallback(const char *id, unsigned release)
{
    const struct distro_guest_id *ids;
    for (size_t k = 0; (ids = id_list(k)); k++)
        for (size_t i = 0; i < n_ids(ids); i++)
            if (strcmp(ids[i].id, id) == 0)
                return newest_known(ids + i, n_ids(ids) - i, release);
    return "otherLinux64Guest";
}

/* ---- reverse lookups ---------------------------------------------------- */

static bool
lists_id(const struct distro_row *r, const char *id)
{
    for (size_t i = 0; i < n_ids(r->guest_ids); i++)
        if (strcmp(r->guest_ids[i].id, id) == 0)
            return true;
    return false;
}

const struct distro_row *
distro_by_guest_id(const char *id)
{
    const struct distro_row *found = NULL;
    for (size_t i = 0; i < distro_n_rows; i++) {
        if (!lists_id(&distro_rows[i], id))
            continue;
        if (found || strcmp(distro_rows[i].guest_ids[0].id, id) != 0)
            return NULL; /* listed by two rows, or an older release's */
        found = &distro_rows[i];
    }
    return found;
}

const struct distro_row *
distro_by_cim(unsigned id, const char *description)
{
    for (size_t i = 0; i <= distro_n_rows; i++) {
        const struct distro_row *r = i < distro_n_rows ? &distro_rows[i] : &other;
        if (r->cim_id == id && strcmp(r->cim_description, description) == 0)
            return r;
    }
    return NULL;
}

const struct distro_row *
distro_by_osinfo(const char *id)
{
    for (size_t i = 0; i < distro_n_rows; i++)
        if (strcmp(distro_rows[i].osinfo, id) == 0)
            return &distro_rows[i];
    return NULL;
}
