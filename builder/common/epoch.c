/* epoch.c: SOURCE_DATE_EPOCH, read in one place. */
#include "appliance/epoch.h"

#include <errno.h>
#include <stdlib.h>

int64_t
source_date_epoch(void)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    /* Digits only (the specification's rule): no sign, no blank. */
    if (!s || *s < '0' || *s > '9')
        return 0;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return 0;
    return (int64_t)v;
}
