/* convert.c: `appliance convert`, the driver (include/appliance/convert.h). */
#include "appliance/convert.h"

#include <stdlib.h>

int
convert_run(const struct convert_request *req, struct ab_error *err)
{
    (void)req;
    return ab_build_error(err, 0, "convert is not yet implemented");
}
