/* guest_read.c: the disks read on the host, the appliance only for what
 * the host cannot read (guest_read.h). */
#include "appliance/guest_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/diskread.h"
#include "appliance/engine_inspect.h"
#include "appliance/kvm.h"
#include "appliance/stop.h"

static void notice(const struct guest_read_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
notice(const struct guest_read_opts *o, const char *fmt, ...)
{
    CLEANUP_FREE char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && o->notice)
        o->notice(o->ctx, msg);
}

/* The appliance launched on the drives, KVM if it works. */
static struct engine_inspect *
launch(const struct inspect_drive *drives, size_t n, const struct guest_read_opts *o,
       const char *why, const char *what, struct ab_error *err)
{
    struct kvm_probe kvm;
    kvm_probe(&kvm, o->spawn);
    if (kvm_usable(&kvm))
        notice(o, "%s: the libguestfs appliance (a VM, with KVM) reads %s", why, what);
    else
        notice(o,
               "%s: the libguestfs appliance (a VM) reads %s, under software emulation "
               "since %s (%s): minutes",
               why, what, kvm_state_reason(kvm.state), kvm.detail);
    struct engine_inspect *e = engine_inspect_launch(drives, n, kvm_usable(&kvm), err);
    if (!e && geteuid() != 0)
        ab_build_error(err, 0,
                       "the libguestfs appliance, run as a user, needs the host's "
                       "kernel readable (/boot/vmlinuz-*); as root it needs nothing more, "
                       "and inspect --no-appliance reads what the host can without it");
    return e;
}

/* The whole guest through the appliance. */
static int
read_all(const struct inspect_drive *drives, size_t n, const struct guest_read_opts *o, char *why,
         struct inspect_guest **out, struct ab_error *err)
{
    struct engine_inspect *e = launch(drives, n, o, why, "the disks", err);
    int rc = e ? engine_inspect_read(e, out, err) : -1;
    if (engine_inspect_close(e, err) < 0)
        rc = -1;
    if (rc == 0)
        (*out)->appliance_why = why;
    else
        free(why);
    return rc;
}

/* The appliance's OSes merged into g's: one replaces the host's
 * incomplete OS of its root; a root the host did not find is added. */
static int
merge(struct inspect_guest *g, struct inspect_guest *a, struct ab_error *err)
{
    for (size_t i = 0; i < a->n_oses; i++) {
        struct inspect_os *mine = NULL;
        for (size_t k = 0; k < g->n_oses && !mine; k++)
            if (strcmp(g->oses[k].root, a->oses[i].root) == 0)
                mine = &g->oses[k];
        if (mine && !mine->incomplete)
            continue;
        if (!mine) {
            struct inspect_os *grown = realloc(g->oses, (g->n_oses + 1) * sizeof(*grown));
            if (!grown)
                return ab_oom(err);
            g->oses = grown;
            mine = &grown[g->n_oses++];
        } else {
            /* what the host could not read goes with the host's OS */
            for (size_t k = 0; mine->notes && mine->notes[k]; k++)
                if (inspect_note(&a->oses[i].notes, "%s", mine->notes[k]) < 0)
                    return ab_oom(err);
            inspect_os_release(mine);
        }
        *mine = a->oses[i];
        a->oses[i] = (struct inspect_os){0};
    }
    return 0;
}

/* Why the appliance should read the OSes of g, or NULL. */
static char *
os_gap(const struct inspect_guest *g)
{
    char *why = NULL;
    for (size_t i = 0; i < g->n_oses; i++)
        if (g->oses[i].incomplete)
            return asprintf(&why,
                            "files of the operating system on %s are on a filesystem the "
                            "host does not read",
                            g->oses[i].root) < 0
                       ? NULL
                       : why;
    if (diskread_may_hide_os(g))
        return asprintf(&why, "no operating system on the filesystems read on the host, and "
                              "some it does not read (xfs) may hold one") < 0
                   ? NULL
                   : why;
    return NULL;
}

static int
read_oses(const struct inspect_drive *drives, size_t n, const struct guest_read_opts *o,
          struct inspect_guest *g, char *why, struct ab_error *err)
{
    struct inspect_guest *a = calloc(1, sizeof(*a));
    struct engine_inspect *e = a ? launch(drives, n, o, why, "the operating systems", err) : NULL;
    int rc = !a ? ab_oom(err) : e ? engine_inspect_read_oses(e, a, err) : -1;
    if (engine_inspect_close(e, err) < 0)
        rc = -1;
    if (rc == 0 && merge(g, a, err) == 0) {
        g->launch_seconds = a->launch_seconds;
        g->read_seconds = a->read_seconds;
        g->appliance_why = why;
        why = NULL;
    }
    inspect_guest_free(a);
    free(why);
    return rc;
}

int
guest_read(const struct inspect_drive *drives, size_t n, const struct guest_read_opts *o,
           struct inspect_guest **out, struct ab_error *err)
{
    struct ab_error host_err = AB_ERROR_INIT;
    char *why = NULL;
    int rc = diskread_guest(drives, n, o->spawn, out, &why, &host_err);
    if (rc < 0 && stop_requested()) {
        *err = host_err;
        return -1;
    }
    if (rc < 0) {
        if (asprintf(&why, "reading the disks on the host failed (%s)",
                     host_err.n_diags ? host_err.diags[0].msg : "out of memory") < 0)
            why = NULL;
    }
    if (rc <= 0 && !o->appliance) {
        if (rc < 0) {
            *err = host_err;
            return -1;
        }
        ab_error_release(&host_err);
        int r = ab_build_error(err, 0, "%s: only the libguestfs appliance reads them",
                               why ? why : "the disks are not read on the host");
        free(why);
        return r;
    }
    ab_error_release(&host_err);
    if (rc <= 0)
        return read_all(drives, n, o, why ? why : strdup("the disks are not read on the host"), out,
                        err);
    if (!(why = os_gap(*out)))
        return 0;
    if (!o->appliance) {
        int r = inspect_note(&(*out)->notes, "%s: not read without the libguestfs appliance", why);
        free(why);
        return r < 0 ? ab_oom(err) : 0;
    }
    if (read_oses(drives, n, o, *out, why, err) < 0) {
        inspect_guest_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}
