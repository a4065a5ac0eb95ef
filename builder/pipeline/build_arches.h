/* build_arches.h: the step of build_run_arches (build.h) that puts each
 * architecture's files into the one folder, for its tests. */
#ifndef APPLIANCE_BUILD_ARCHES_H
#define APPLIANCE_BUILD_ARCHES_H

#include "appliance/error.h"

/* Moves every entry of the folder from (one architecture's build) into
 * to, but from's SHA256SUMS, which stays for export_sums_merge: a folder
 * that to holds already (ovf/, which each architecture fills) is merged
 * entry by entry and removed; any other name that to holds already is an
 * error, two architectures having written it. */
int arches_merge(const char *from, const char *to, struct ab_error *err);

#endif
