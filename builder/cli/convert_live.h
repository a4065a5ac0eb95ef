/* convert_live.h: `appliance convert --live`, the glue between
 * cmd_convert.c, live.h and convert.h. */
#ifndef APPLIANCE_CLI_CONVERT_LIVE_H
#define APPLIANCE_CLI_CONVERT_LIVE_H

#include <stdbool.h>

#include "appliance/convert.h"
#include "appliance/error.h"
#include "progress.h"

struct convert_live_args {
    const char *uri;    /* --connect */
    const char *domain; /* --domain */
    bool live;          /* --live */
    bool allow_crash_consistent;
};

/* Checks the options against each other and the positional arguments
 * (n_args); prints a usage error and returns 2, or returns 0. */
int convert_live_check_usage(const struct convert_live_args *a, int n_args);

/* Holds the domain's disks still (live_begin), converts its original
 * disk files with the domain's XML as the hardware (convert_run), and
 * brings the domain back onto them (live_end), whatever convert did. */
int convert_live_run(struct convert_request *req, const struct convert_live_args *a,
                     struct progress *p, struct ab_error *err);

#endif
