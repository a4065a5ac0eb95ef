/* dep5.h: the licenses a package declares, as SPDX license expressions
 * (builder/common/dep5.c).
 *
 * A Debian package declares its licenses in /usr/share/doc/PKG/copyright;
 * when that file is machine-readable (DEP-5, "copyright-format 1.0": a
 * first paragraph whose Format: names the format), each Files paragraph
 * (and the header) has a License: whose first line names the license. An
 * RPM declares one expression in its header's License tag. Either is
 * made an SPDX license expression by license_to_spdx(): the names the SPDX
 * License List has (and Debian's and Fedora's usual spellings of them:
 * GPL-2+, GPLv2+, Expat, ASL 2.0) become their SPDX ids, "and", "or" and
 * "with" become AND, OR and WITH, and any other name LicenseRef-NAME (its
 * characters outside [A-Za-z0-9.-] made '-', "+" made "-plus").
 * https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
 * https://spdx.github.io/spdx-spec/v2.3/SPDX-license-expressions/
 *
 * A copyright file comes from the root tree, which is untrusted: the
 * parser takes any bytes. */
#ifndef APPLIANCE_DEP5_H
#define APPLIANCE_DEP5_H

#include <stddef.h>

/* The most bytes of a copyright file read. */
#define DEP5_MAX_BYTES (4u << 20)

/* The licenses a copyright file's text declares, as one SPDX expression
 * (malloc'd into *expr): each distinct one of its paragraphs' License:
 * names, in the order they first appear, joined with AND. 1 when the text
 * is machine-readable and names at least one license, 0 when not (*expr
 * NULL: the caller says NOASSERTION), -1 when out of memory. */
int dep5_license(const char *text, size_t len, char **expr);

/* A declared license expression ("GPL-2+ or Artistic", "GPLv2+ and ASL
 * 2.0", "(MIT or GPL-2) and BSD") as an SPDX license expression, malloc'd;
 * NULL when out of memory. "" or blanks give "NOASSERTION". DEP-5's
 * commas end a group: "A or B, and C" is "(A OR B) AND C". */
char *license_to_spdx(const char *declared);

#endif
