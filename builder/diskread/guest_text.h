/* guest_text.h: the guest's files that say what it is, parsed
 * (builder/diskread/guest_text.c): os-release and lsb-release
 * (KEY=value, shell quoting), a release file's first line and the
 * version in it, fstab's lines, dpkg's status database, an ELF header.
 *
 * Pure functions of the bytes given, which come from a disk image from
 * outside: every length is checked, nothing is trusted to be text or to
 * end (tests/fuzz/guest_text_fuzz.c). */
#ifndef DISKREAD_GUEST_TEXT_H
#define DISKREAD_GUEST_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The value of KEY in an os-release style text (the last assignment
 * wins), unquoted as the shell would ('...', "..." with \ escapes, or a
 * bare word): a new string, or NULL when absent (or out of memory). */
char *text_kv_get(const char *text, size_t len, const char *key);

/* The first line of text, without its newline: a new string ("" for an
 * empty text), NULL out of memory. */
char *text_first_line(const char *text, size_t len);

/* The first "N.M" (or lone "N") in s, as libguestfs finds a version in
 * a release string: true with major and minor set (minor 0 for "N"). */
bool text_version(const char *s, int *major, int *minor);

/* One fstab entry. */
struct fstab_entry {
    char *spec, *path, *type; /* the first three fields, \040-style escapes decoded */
};

/* The entries of an fstab text (comments and short lines skipped),
 * NULL-terminated by an entry with spec NULL; *n their number. NULL out
 * of memory. Free with text_fstab_free. */
struct fstab_entry *text_fstab(const char *text, size_t len, size_t *n);
void text_fstab_free(struct fstab_entry *e, size_t n);

/* The packages dpkg's status database (its text) says are installed: the
 * stanzas with a Package field whose Status's last word is "installed". */
long text_dpkg_installed(const char *text, size_t len);

/* The architecture an ELF header (its first len bytes) is for, by
 * libguestfs's names ("x86_64", "i386", "aarch64", ...); NULL: not an
 * ELF file, or a machine not named here. */
const char *text_elf_arch(const unsigned char *buf, size_t len);

#endif
