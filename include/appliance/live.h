/* live.h: a running libvirt domain's disks, held still for a copy.
 *
 * live_begin freezes the guest's filesystems through the qemu guest
 * agent (virDomainFSFreeze), takes a disk-only external snapshot of every
 * file-backed disk (one atomic call, no snapshot metadata kept), and
 * thaws them again, whatever happened in between. From then on the guest
 * writes into the overlays and its original disk files are read-only
 * images, consistent as of the freeze, that the caller copies (convert.h).
 * live_end commits each overlay back into its disk while the guest runs
 * (active block commit), pivots the domain back onto the original file
 * and deletes the overlay: the domain runs throughout, and ends on its
 * own disks.
 *
 * Without a guest agent that answers, live_begin refuses unless the
 * caller allows a crash-consistent snapshot (the state a power cut would
 * leave, which journalling filesystems recover from); a notice says which
 * one was taken.
 *
 * The disk files must be reachable here under the paths the domain gives
 * them (a local URI, or shared storage mounted alike): they are read here,
 * and the overlays are deleted here. Each overlay is made beside its disk,
 * as DISK.live-overlay.qcow2, where the hypervisor can write. */
#ifndef APPLIANCE_LIVE_H
#define APPLIANCE_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "appliance/error.h"

struct live_opts {
    const char *uri;             /* libvirt connection URI; NULL: libvirt's default */
    const char *domain;          /* name, UUID or id of a running domain */
    bool allow_crash_consistent; /* snapshot without a freeze when the agent cannot freeze */
    const char *scratch_dir;     /* existing folder for the domain's XML (live_domain_xml) */
    /* One line each about what was done on the way; may be NULL. */
    void (*notice)(void *ctx, const char *message);
    void *ctx;
};

struct live_session;

/* Connects, reads the domain's disks, refuses what cannot be done
 * (a domain that does not run, a disk that is not a file or already has
 * a backing chain, an overlay file that exists), writes the domain's
 * persistent XML to scratch_dir/NAME.xml, then freezes, snapshots and
 * thaws. On success *out holds the session (for live_end); on failure
 * nothing is left changed (an overlay made is committed back) and *out
 * is NULL. */
int live_begin(const struct live_opts *o, struct live_session **out, struct ab_error *err);

/* The domain's file-backed disks in its own order (for the appliance:
 * the OS disk, then the application disk): the original files, read-only
 * while the session lasts, and their formats ("qcow2", "raw"). */
size_t live_disk_count(const struct live_session *s);
const char *live_disk_path(const struct live_session *s, size_t i);
const char *live_disk_format(const struct live_session *s, size_t i);
const char *live_disk_target(const struct live_session *s, size_t i); /* "vda" */

/* The domain's persistent XML as written by live_begin (a libvirt domain
 * XML, for convert's --hardware-from), its name, and whether the
 * filesystems were frozen for the snapshot (false: crash-consistent). */
const char *live_domain_xml(const struct live_session *s);
const char *live_domain_name(const struct live_session *s);
bool live_frozen(const struct live_session *s);

/* Commits every overlay back, pivots, deletes the overlays and frees s
 * (NULL-safe). It does not give up on an interrupt (stop.h): the domain
 * is not to be left on an overlay. A disk it could not bring back is
 * named in err with the virsh command that finishes the job; the others
 * are still done. */
int live_end(struct live_session *s, struct ab_error *err);

#endif
