/* packages.h: the packages installed in a root tree, with what an SBOM
 * says of each (builder/os/packages.c).
 *
 * One reader, packages_read(), for every use: the build report's package
 * list, the SBOMs, the provenance's resolved dependencies, and the
 * container's purge. It asks the tree's database through the host's own
 * tool (dpkg-query --admindir, rpm --dbpath), the folder resolved inside
 * the tree and handed over by descriptor, so a link in the tree never
 * makes it read the host's; and for a Debian package, the licenses its
 * machine-readable copyright file declares (dep5.h), read inside the tree
 * too. */
#ifndef APPLIANCE_PACKAGES_H
#define APPLIANCE_PACKAGES_H

#include <stddef.h>

#include "appliance/error.h"
#include "appliance/spawn.h"

enum pkg_format {
    PKG_NONE = 0, /* no package database: a rootfs: tree without one */
    PKG_DEB,
    PKG_RPM,
};

struct pkg {
    char *name;
    char *version;        /* as the database has it: "1:2.38.1-5", "5.1.8-6.el9" */
    char *arch;           /* "amd64", "all", "x86_64", "noarch" */
    char *source;         /* the source package's name; never NULL */
    char *source_version; /* and its version; never NULL */
    char *supplier;       /* Maintainer (deb), Vendor (rpm); NULL: none given */
    char *license;        /* an SPDX expression, or "NOASSERTION"; never NULL */
};

struct pkg_list {
    enum pkg_format format;
    struct pkg *v; /* sorted by name, then arch */
    size_t n;
};

#define PKG_LIST_INIT {PKG_NONE, NULL, 0}

/* The packages installed in root (dpkg: those whose state is installed;
 * rpm: every one), sorted. A tree with neither database gives an empty
 * list of format PKG_NONE. The tool runs with ctx (may be NULL). */
int packages_read(const char *root, struct pkg_list *list, const struct spawn_ctx *ctx,
                  struct ab_error *err);

/* Parses the tool's output as packages_read() asks for it (one package a
 * line, tab-separated: for PKG_DEB "STATUS NAME VERSION ARCH SOURCE
 * SOURCE-VERSION MAINTAINER", for PKG_RPM "NAME EVR ARCH SOURCERPM VENDOR
 * LICENSE"), into list (sorted; licenses of deb packages NOASSERTION
 * until packages_licenses()). */
int packages_parse(const char *text, enum pkg_format format, struct pkg_list *list,
                   struct ab_error *err);

/* Sets each deb package's license from root's /usr/share/doc/NAME/copyright. */
int packages_licenses(const char *root, struct pkg_list *list, struct ab_error *err);

/* The package of that name and arch (any arch when NULL), or NULL. */
const struct pkg *packages_find(const struct pkg_list *list, const char *name, const char *arch);

/* "deb", "rpm" or NULL. */
const char *packages_format_name(enum pkg_format format);

void packages_release(struct pkg_list *list);

#endif
