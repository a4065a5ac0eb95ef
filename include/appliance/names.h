/* names.h: the forms of the names and strings a recipe may hold.
 *
 * Each check returns NULL when text is acceptable, else a static reason
 * that completes "invalid X 'text': <reason>". */
#ifndef APPLIANCE_NAMES_H
#define APPLIANCE_NAMES_H

#include <stddef.h>

const char *name_check_appliance(const char *text); /* [a-z0-9][a-z0-9-]{0,62} */
const char *name_check_version(const char *text);
const char *name_check_lvm(const char *text);      /* VG and LV names */
const char *name_check_user(const char *text);     /* user and group names */
const char *name_check_hostname(const char *text);
const char *name_check_timezone(const char *text);
const char *name_check_locale(const char *text);
const char *name_check_package(const char *text);
const char *name_check_mirror(const char *text);
const char *name_check_hardware_family(const char *text);
const char *name_check_password_hash(const char *text);
const char *name_check_ssh_key(const char *text);
const char *name_check_owner(const char *text);
const char *name_check_web_url(const char *text); /* http:// or https://, no white space */

/* An absolute, normalised path: starts with '/', no empty, '.' or '..'
 * component, no trailing '/' (but "/" itself). With allow_trailing_slash,
 * a final '/' is accepted (a folder destination). */
const char *path_check_absolute(const char *text, int allow_trailing_slash);
/* A relative path that stays inside its folder: not absolute, and no
 * '..' component that climbs above the start. */
const char *path_check_relative_inside(const char *text);

/* Copies url into buf with any user:password@ replaced by "***@", for
 * plans, logs and reports. */
void url_redact(const char *url, char *buf, size_t size);

/* Parses "0755" or "755" (octal, up to 07777); returns the mode or -1. */
int mode_parse(const char *text);

#endif
