/* epoch.c: SOURCE_DATE_EPOCH, read in one place. */
#include "appliance/epoch.h"

#include <errno.h>
#include <stdlib.h>

int64_t
source_date_epoch(void)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    if (!s || !*s)
        return 0;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 0)
        return 0;
    return (int64_t)v;
}
