/* suggest.c: "did you mean" hints (suggest.h). */
#include "appliance/suggest.h"

#include <string.h>

size_t
suggest_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t rows[3][64]; /* rows i-2, i-1 and i of the table, in turn */

    if (la >= 63 || lb >= 63)
        return 64;
    for (size_t j = 0; j <= lb; j++)
        rows[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *prev2 = rows[(i + 1) % 3], *prev = rows[(i - 1) % 3], *cur = rows[i % 3];
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            /* two neighbours swapped: one typo, as git counts it */
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
    }
    return rows[la % 3][lb];
}

bool
suggest_is_close(const char *name, const char *known)
{
    size_t d = suggest_distance(name, known);
    size_t shorter = strlen(name) < strlen(known) ? strlen(name) : strlen(known);
    bool prefix = shorter >= 3 && strncmp(name, known, shorter) == 0;
    return (d <= 2 && 2 * d <= strlen(known)) || prefix;
}
