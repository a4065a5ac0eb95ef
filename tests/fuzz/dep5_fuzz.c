/* dep5_fuzz.c: libFuzzer harness for the DEP-5 copyright reader and the
 * declared-license converter (dep5.h: dep5_license, license_to_spdx).
 *
 * Each input is a copyright file of a root tree (which is untrusted):
 * its licenses are read as packages_licenses() reads them, and every
 * expression made must be balanced SPDX (parentheses paired, no operator
 * at either end). The input's first line is also converted alone, as an
 * RPM header's License tag is. Seeds: the host's machine-readable
 * copyright files and the unit test's samples (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/dep5.h"

#include "fuzz.h"

/* An expression license_to_spdx made: parentheses paired, no empty
 * group, no operator first or last. */
static void
check_expression(const char *e)
{
    int depth = 0;
    size_t n = strlen(e);
    for (size_t i = 0; i < n; i++) {
        depth += e[i] == '(';
        depth -= e[i] == ')';
        if (depth < 0 || (e[i] == '(' && e[i + 1] == ')'))
            abort();
    }
    if (depth != 0 || n == 0 || e[0] == ' ' || e[n - 1] == ' ' || strncmp(e, "AND ", 4) == 0 ||
        strncmp(e, "OR ", 3) == 0 || (n >= 4 && strcmp(e + n - 4, " AND") == 0) ||
        (n >= 3 && strcmp(e + n - 3, " OR") == 0))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *expr = NULL;
    int r = dep5_license((const char *)data, size, &expr);
    if ((r == 1) != (expr != NULL))
        abort();
    if (expr)
        check_expression(expr);
    free(expr);
    size_t first = 0;
    while (first < size && data[first] != '\n' && data[first] != '\0')
        first++;
    char *line = strndup((const char *)data, first);
    if (line) {
        char *spdx = license_to_spdx(line);
        if (spdx)
            check_expression(spdx);
        free(spdx);
    }
    free(line);
    return 0;
}
