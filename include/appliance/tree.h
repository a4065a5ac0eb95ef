/* tree.h: the root tree on the host: extracted, then split into one
 * folder per filesystem of the plan. */
#ifndef APPLIANCE_TREE_H
#define APPLIANCE_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/plan.h"

/* Extracts a tar archive (plain, gz, xz, zst) into dir with owners,
 * modes, times, ACLs and xattrs. An entry that would land outside dir
 * ('..', an absolute name, a write through a symbolic link) is refused:
 * `what` names the archive in the message. *newest (when not NULL) gets
 * the newest modification time among the members (0 for none): the
 * build's SOURCE_DATE_EPOCH when the environment gives none (epoch.h). */
int tree_extract(const char *archive, const char *dir, const char *what, int64_t *newest,
                 struct ab_error *err);

/* The newest kernel in root/boot (the part after "vmlinuz-"). */
int tree_kernel_version(const char *root, char *out, size_t size, struct ab_error *err);

/* The packages installed in root, one "name\tversion\tarch" line each,
 * sorted, from its dpkg or rpm database read by the host's dpkg-query or
 * rpm; "" for a tree with neither. The database folder is resolved inside
 * the tree and handed to the tool by descriptor, so a link in the tree
 * never makes it read the host's. *list is malloc'd. */
int tree_packages(const char *root, char **list, struct ab_error *err);

/* Moves each mounted subtree but "/" out of root into fsdir/m<i> (i its
 * index in plan->mounts), deepest first, leaving an empty mount point of
 * the same owner and mode. Folders that did not exist are created empty.
 * paths[i] receives the folder of mount i ("/" is root itself). */
int tree_split(const struct plan *plan, const char *root, const char *fsdir, char **paths,
               struct ab_error *err);

#endif
