/* gfs.c: the libguestfs handle every engine starts from. */
#include "appliance/gfs.h"

#include <errno.h>
#include <guestfs.h>

/* Errors reach the caller through guestfs_last_error(), not stderr. */
static void
quiet_errors(guestfs_h *g, void *opaque, const char *msg)
{
    (void)g, (void)opaque, (void)msg;
}

int
gfs_failed(guestfs_h *g, struct ab_error *err, const char *what)
{
    const char *msg = guestfs_last_error(g);
    return ab_build_error(err, guestfs_last_errno(g), "%s: %s", what,
                          msg ? msg : "unknown libguestfs error");
}

guestfs_h *
gfs_create(bool use_kvm, struct ab_error *err)
{
    guestfs_h *g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);
    if (!g) {
        ab_build_error(err, errno, "cannot create a libguestfs handle");
        return NULL;
    }
    guestfs_parse_environment(g);
    guestfs_set_error_handler(g, quiet_errors, NULL);
    char force_tcg[] = "force_tcg";
    char *tcg[] = {force_tcg, NULL};
    if (!use_kvm && guestfs_set_backend_settings(g, tcg) < 0) {
        gfs_failed(g, err, "cannot launch the libguestfs appliance");
        guestfs_close(g);
        return NULL;
    }
    return g;
}
