/* preflight.h: a build's needs, checked before any long work.
 *
 * preflight_check() reports every problem at once, one line each: not
 * root (of the host or of a user namespace: userns.h), a tool missing (those of every build, of the recipe's OS source
 * and of its outputs; each with the Debian package that installs it), the
 * distribution's archive keys missing (Ubuntu's, in ubuntu-keyring), an
 * output or scratch folder that cannot be written,
 * too little free space for the disks and outputs (an estimate that
 * catches a clearly too small filesystem; it never predicts to the byte). */
#ifndef APPLIANCE_PREFLIGHT_H
#define APPLIANCE_PREFLIGHT_H

#include <stdbool.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/plan.h"

struct preflight_need {
    uint64_t output;  /* bytes in the output's filesystem */
    uint64_t scratch; /* bytes in the scratch folder's */
};

struct preflight_opts {
    const char *output;  /* the output folder (may not exist yet) */
    const char *scratch; /* where the scratch folder will be made */
    bool check_space;
};

void preflight_estimate(const struct plan *plan, struct preflight_need *need);

int preflight_check(const struct plan *plan, const struct preflight_opts *opts,
                    struct ab_error *err);

/* preflight_check for the plans of one recipe, one per architecture: what
 * they share said once, each one's qemu-user (binfmt.h) for its own. */
int preflight_check_all(const struct plan *const *plans, size_t n,
                        const struct preflight_opts *opts, struct ab_error *err);

#endif
