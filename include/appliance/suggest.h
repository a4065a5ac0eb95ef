/* suggest.h: "did you mean" hints, the known name that a mistyped one most
 * likely stands for (recipe keys, enum values, command-line words). */
#ifndef APPLIANCE_SUGGEST_H
#define APPLIANCE_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

/* The edit distance of a and b (optimal string alignment: an insertion,
 * a deletion, a substitution or a swap of two neighbours costs 1, as git
 * counts typos); 64 when either is 63 characters or longer (too long to
 * be a typo worth a hint). */
size_t suggest_distance(const char *a, const char *b);

/* Whether name is close enough to known to suggest it: a close edit (at
 * most 2, and at most half of known) or a shared prefix of 3 characters
 * or more. */
bool suggest_is_close(const char *name, const char *known);

#endif
