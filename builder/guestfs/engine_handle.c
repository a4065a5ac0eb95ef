/* engine_handle.c: libguestfs handles, made alike (engine_handle.h). */
#include "engine_handle.h"

#include <errno.h>
#include <guestfs.h>
#include <stdlib.h>

/* Errors reach the caller through guestfs_last_error(), not stderr. */
static void
quiet_errors(guestfs_h *g, void *opaque, const char *msg)
{
    (void)g, (void)opaque, (void)msg;
}

/* The log of one handle: the appliance's console, kept until a newline,
 * so that each write is one whole line (the build writes into the same
 * log from another process, and a line of its own must not land inside
 * one of the appliance's console lines). Kept as the handle's private
 * data; engine_handle_close() writes what is left and frees it, after
 * guestfs_close() (inside it, from its close event, fwrite hung). */
#define LOG_KEY "appliance_log"

struct handle_log {
    FILE *log;
    char line[1024];
    size_t len;
};

static void
log_flush(struct handle_log *l)
{
    if (!l->len)
        return;
    if (l->line[l->len - 1] != '\n')
        l->line[l->len++] = '\n';
    fwrite(l->line, 1, l->len, l->log);
    fflush(l->log);
    l->len = 0;
}

/* The appliance's console comes in pieces of lines; library messages and
 * warnings whole, without their newline. */
static void
log_event(guestfs_h *g, void *opaque, uint64_t event, int handle, int flags, const char *buf,
          size_t len, const uint64_t *array, size_t array_len)
{
    (void)g, (void)handle, (void)flags, (void)array, (void)array_len;
    struct handle_log *l = opaque;
    for (size_t i = 0; i < len; i++) {
        l->line[l->len++] = buf[i];
        if (buf[i] == '\n' || l->len == sizeof(l->line) - 1)
            log_flush(l);
    }
    if (event != GUESTFS_EVENT_APPLIANCE)
        log_flush(l);
}

void
engine_handle_close(guestfs_h *g)
{
    if (!g)
        return;
    struct handle_log *l = guestfs_get_private(g, LOG_KEY);
    guestfs_close(g);
    if (l) {
        log_flush(l);
        free(l);
    }
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
    struct handle_log *l = log ? calloc(1, sizeof(*l)) : NULL;
    if (log && !l) {
        guestfs_close(g);
        ab_oom(err);
        return NULL;
    }
    if (l) {
        l->log = log;
        guestfs_set_private(g, LOG_KEY, l);
        guestfs_set_verbose(g, 1);
        if (guestfs_set_event_callback(g, log_event,
                                       GUESTFS_EVENT_LIBRARY | GUESTFS_EVENT_WARNING |
                                           GUESTFS_EVENT_APPLIANCE,
                                       0, l) < 0) {
            engine_handle_failed(g, err, "cannot log the libguestfs appliance");
            engine_handle_close(g);
            return NULL;
        }
    }
    char force_tcg[] = "force_tcg";
    char *tcg[] = {force_tcg, NULL};
    if (!use_kvm && guestfs_set_backend_settings(g, tcg) < 0) {
        engine_handle_failed(g, err, "cannot set up the libguestfs appliance");
        engine_handle_close(g);
        return NULL;
    }
    return g;
}

int
engine_handle_report_write_errors(guestfs_h *g, int index, struct ab_error *err)
{
    char set[64];
    /* libguestfs's direct backend names the drives hd0, hd1, ... */
    snprintf(set, sizeof(set), "drive.hd%d.werror=report", index);
    if (guestfs_config(g, "-set", set) < 0)
        return engine_handle_failed(g, err, "cannot configure the appliance's disks");
    return 0;
}
