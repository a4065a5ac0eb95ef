/* convert.c: `appliance convert`, the driver (include/appliance/convert.h). */
#include "appliance/convert.h"

#include <stdlib.h>

void
convert_hardware_release(struct convert_hardware *hw)
{
    if (!hw)
        return;
    free(hw->name);
    free(hw->version);
    free(hw->from);
    *hw = (struct convert_hardware){0};
}

int
convert_hardware_read(const char *path, struct convert_hardware *hw, struct ab_error *err)
{
    (void)hw;
    return ab_build_error(err, 0, "cannot read the hardware from '%s': not yet implemented", path);
}

int
convert_run(const struct convert_request *req, struct ab_error *err)
{
    (void)req;
    return ab_build_error(err, 0, "convert is not yet implemented");
}
