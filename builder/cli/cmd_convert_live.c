/* cmd_convert_live.c: `appliance convert --connect URI --domain NAME
 * --live`: live_begin, convert_run on the original disks, live_end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/live.h"
#include "appliance/stop.h"
#include "convert_live.h"

int
convert_live_check_usage(const struct convert_live_args *a, int n_args)
{
    if (!a->domain && !a->live && !a->uri && !a->allow_crash_consistent)
        return 0;
    if (!a->domain)
        return cli_usage_error("convert", "options '--live', '--connect' and "
                                          "'--allow-crash-consistent' need '--domain NAME'");
    if (!a->live)
        return cli_usage_error("convert",
                               "option '--domain' converts a running domain: give "
                               "'--live' too (shut it down and convert its disks otherwise)");
    if (n_args > 0)
        return cli_usage_error("convert", "option '--live' takes no SRC: the domain's disks "
                                          "are the source");
    return 0;
}

static void
on_live_notice(void *ctx, const char *message)
{
    progress_notice(ctx, message);
}

/* A private folder for the domain's XML, removed at the end. */
static char *
scratch_dir(struct ab_error *err)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/var/tmp";
    char *dir = NULL;
    if (asprintf(&dir, "%s/appliance-live.XXXXXX", tmp) < 0) {
        ab_oom(err);
        return NULL;
    }
    if (!mkdtemp(dir)) {
        ab_build_error(err, errno, "cannot create a folder in '%s': %s", tmp, strerror(errno));
        free(dir);
        return NULL;
    }
    return dir;
}

/* The domain's disks, os then app, as convert's explicit images. */
static int
use_disks(struct convert_request *req, const struct live_session *s, struct ab_error *err)
{
    if (live_disk_count(s) != 2)
        return ab_build_error(err, 0,
                              "domain '%s' has %zu file-backed disks: an appliance has two "
                              "(the OS disk, then the application disk)",
                              live_domain_name(s), live_disk_count(s));
    req->src = NULL;
    req->disks[0] = live_disk_path(s, 0);
    req->disks[1] = live_disk_path(s, 1);
    req->hardware_from = live_domain_xml(s);
    return 0;
}

int
convert_live_run(struct convert_request *req, const struct convert_live_args *a, struct progress *p,
                 struct ab_error *err)
{
    CLEANUP_FREE char *dir = scratch_dir(err);
    if (!dir)
        return -1;
    struct live_opts o = {a->uri, a->domain, a->allow_crash_consistent, dir, on_live_notice, p};
    struct live_session *s = NULL;
    int rc = live_begin(&o, &s, err);
    CLEANUP_FREE char *xml = s && live_domain_xml(s) ? strdup(live_domain_xml(s)) : NULL;
    if (rc == 0)
        rc = use_disks(req, s, err);
    if (rc == 0 && stop_requested())
        rc = ab_build_error(err, EINTR, "interrupted");
    if (rc == 0)
        rc = convert_run(req, err);
    if (s) {
        progress_notice(p, "committing the overlays back into the domain's disks");
        if (live_end(s, err) < 0)
            rc = -1;
        else
            progress_notice(p, "the domain runs on its own disks again, overlays deleted");
    }
    if (xml)
        unlink(xml);
    rmdir(dir);
    return rc;
}
