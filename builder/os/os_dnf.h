/* os_dnf.h: what the dnf source (the rows of distro.h whose tool is dnf)
 * resolves from a plan before it runs dnf; exposed for its tests. The source itself is os_source_dnf (os_source.h).
 *
 * Repositories. Without `mirror:` the distribution's official BaseOS and
 * AppStream repositories, GPG checking on with its official key (dnf
 * fetches it from its https address): the release folder and the key are
 * the distribution's row's (distro.h, builder/recipe/distro.c), the
 * folder holding BaseOS/x86_64/os/ and AppStream/x86_64/os/. `mirror: M`
 * replaces that base:
 *
 *   http:// or https://  taken as given: M/BaseOS/x86_64/os/ and
 *       M/AppStream/x86_64/os/ (M is a copy of the release folder above),
 *       GPG checking on with the official key.
 *   file:///PATH  looked at on this host, the first layout found wins:
 *       PATH/BaseOS/x86_64/os/repodata/repomd.xml  the official layout;
 *       PATH/BaseOS/repodata/repomd.xml            BaseOS/ and AppStream/;
 *       PATH/repodata/repomd.xml                   PATH is the one repository.
 *       AppStream is used when it is there. Nothing found is an error that
 *       names the three places. GPG checking stays on (official key) when
 *       every repository's metadata is signed (repodata/repomd.xml.asc
 *       beside repomd.xml); a local repository without that signature is
 *       taken as the builder's own unsigned packages: gpgcheck=0, written
 *       in the .repo file and as --nogpgcheck on dnf's command line (so
 *       the build log shows it).
 *
 * Packages: @core when the repositories carry groups (always for http
 * mirrors and the defaults; for file:// ones when a repomd.xml lists
 * group data), the row's release, kernel and initramfs packages, lvm2, GRUB for BIOS
 * and UEFI, shim, NetworkManager, openssh-server, the filesystem tools,
 * the add-ons' packages, the locale's glibc langpack and the recipe's
 * packages, in that order. */
#ifndef APPLIANCE_OS_DNF_H
#define APPLIANCE_OS_DNF_H

#include <stdbool.h>
#include <stddef.h>

#include "appliance/error.h"
#include "appliance/plan.h"

#define DNF_MAX_REPOS 2

struct dnf_repo {
    const char *id; /* "baseos", "appstream" or "mirror" */
    char *url;      /* baseurl, ending in '/' */
    char *local;    /* file:// repositories: the folder on this host, else NULL */
};

struct dnf_setup {
    const struct plan *plan;
    struct dnf_repo repos[DNF_MAX_REPOS];
    size_t n_repos;
    bool gpgcheck; /* false only for an unsigned file:// mirror */
    bool groups;   /* the repositories carry groups: @core is installed */
};

/* Resolves plan's repositories (looking at file:// mirrors on this host).
 * Errors name the recipe's mirror. */
int dnf_setup_init(struct dnf_setup *s, const struct plan *plan, struct ab_error *err);
void dnf_setup_release(struct dnf_setup *s);

/* The .repo file: one section per repository. Returns malloc'd text. */
char *dnf_setup_repo_file(const struct dnf_setup *s);

/* The private dnf.conf. Returns malloc'd text. */
char *dnf_setup_dnf_conf(const struct dnf_setup *s);

/* The rpm macros dnf runs with: the database where the distribution's
 * rpm looks for it, the locale's languages only. Returns malloc'd text. */
char *dnf_setup_rpm_macros(const struct dnf_setup *s);

/* What dnf installs, in order; a NULL-terminated, malloc'd array of
 * malloc'd strings (ab_strv_free). */
char **dnf_setup_packages(const struct dnf_setup *s);

#endif
