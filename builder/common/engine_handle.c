/* engine_handle.c: libguestfs handles, made alike (engine_handle.h). */
#include "appliance/engine_handle.h"

#include <errno.h>
#include <guestfs.h>

/* Errors reach the caller through guestfs_last_error(), not stderr. */
static void
quiet_errors(guestfs_h *g, void *opaque, const char *msg)
{
    (void)g, (void)opaque, (void)msg;
}

static void
log_event(guestfs_h *g, void *opaque, uint64_t event, int handle, int flags, const char *buf,
          size_t len, const uint64_t *array, size_t array_len)
{
    (void)g, (void)event, (void)handle, (void)flags, (void)array, (void)array_len;
    FILE *log = opaque;
    fwrite(buf, 1, len, log);
    if (len && buf[len - 1] != '\n' && event != GUESTFS_EVENT_APPLIANCE)
        fputc('\n', log);
}

int
engine_handle_failed(guestfs_h *g, struct ab_error *err, const char *what)
{
    const char *msg = guestfs_last_error(g);
    return ab_build_error(err, guestfs_last_errno(g), "%s: %s", what,
                          msg ? msg : "unknown libguestfs error");
}

guestfs_h *
engine_handle_new(bool use_kvm, FILE *log, struct ab_error *err)
{
    guestfs_h *g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);
    if (!g) {
        ab_build_error(err, errno, "cannot create a libguestfs handle");
        return NULL;
    }
    guestfs_parse_environment(g);
    guestfs_set_error_handler(g, quiet_errors, NULL);
    if (log) {
        guestfs_set_verbose(g, 1);
        guestfs_set_event_callback(
            g, log_event, GUESTFS_EVENT_LIBRARY | GUESTFS_EVENT_WARNING | GUESTFS_EVENT_APPLIANCE,
            0, log);
    }
    char force_tcg[] = "force_tcg";
    char *tcg[] = {force_tcg, NULL};
    if (!use_kvm && guestfs_set_backend_settings(g, tcg) < 0) {
        engine_handle_failed(g, err, "cannot set up the libguestfs appliance");
        guestfs_close(g);
        return NULL;
    }
    return g;
}
