/* recipe_keys.h: the recipe's key table (recipe_parse.c), for the
 * writers of its documentation (recipe_doc.c). */
#ifndef APPLIANCE_RECIPE_KEYS_H
#define APPLIANCE_RECIPE_KEYS_H

#include "yaml_walk.h"

/* The keys of a recipe's top-level mapping; each mapping key's row leads
 * to the keys below it. */
extern const struct yw_fields recipe_keys;

#endif
