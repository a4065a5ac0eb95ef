/* epoch.h: the one time that shipped files carry.
 *
 * Reproducible outputs take their times (tar members' mtime, VHD's
 * timestamp) from SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/
 * source-date-epoch/), never from the wall clock. */
#ifndef APPLIANCE_EPOCH_H
#define APPLIANCE_EPOCH_H

#include <stdint.h>

/* SOURCE_DATE_EPOCH (seconds since 1970) when it is set to a decimal
 * number (ASCII digits only) that fits, else 0. */
int64_t source_date_epoch(void);

#endif
