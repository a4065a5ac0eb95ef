/* suggest.c: "did you mean" hints (suggest.h). */
#include "appliance/suggest.h"

#include <string.h>

size_t
suggest_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];

    if (la >= 63 || lb >= 63)
        return 64;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

bool
suggest_is_close(const char *name, const char *known)
{
    size_t d = suggest_distance(name, known);
    size_t shorter = strlen(name) < strlen(known) ? strlen(name) : strlen(known);
    bool prefix = shorter >= 3 && strncmp(name, known, shorter) == 0;
    return (d <= 2 && 2 * d <= strlen(known)) || prefix;
}
