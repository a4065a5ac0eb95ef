/* recipe_params.h: values from outside a recipe's text (recipe_params.c),
 * put into its loaded YAML document before the walk. */
#ifndef APPLIANCE_RECIPE_PARAMS_H
#define APPLIANCE_RECIPE_PARAMS_H

#include "appliance/recipe.h"
#include "yaml_walk.h"

/* Expands $$ and ${VAR} / ${VAR:-DEFAULT} in every scalar value of the
 * document but the lines of `run`, with o's getenv; records each value
 * changed in r's params. Returns 0, or -1 with every bad reference
 * reported at its value. */
int recipe_expand_env(struct yw *w, const struct recipe_opts *o, struct recipe *r);

/* Puts o's --set values into the document, each a new scalar whose place
 * in diagnostics is "--set KEY", creating the mappings on its path;
 * records each in r's params. Returns 0, or -1 (reported; a malformed
 * argument is a usage error). */
int recipe_apply_set(struct yw *w, const struct recipe_opts *o, struct recipe *r);

#endif
