/* size.c: recipe sizes to bytes and back. */
#include "appliance/size.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    uint64_t factor;
} units[] = {
    {"B", 1},      {"KiB", KiB}, {"MiB", MiB}, {"GiB", GiB}, {"TiB", TiB},
    {"K", KiB},    {"M", MiB},   {"G", GiB},   {"T", TiB},
};

/* Decimal units that people often write by habit; refused with a hint. */
static const char *const decimal_units[] = {"KB", "MB", "GB", "TB", "kB", "k", "Kb", "Mb", "Gb"};

int
size_parse(const char *text, uint64_t *bytes, const char **why)
{
    const char *p = text;
    uint64_t n = 0;

    if (!isdigit((unsigned char)*p)) {
        *why = "expected an integer with a unit (B, KiB, MiB, GiB, TiB)";
        return -1;
    }
    for (; isdigit((unsigned char)*p); p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (n > (UINT64_MAX - d) / 10) {
            *why = "number is too large";
            return -1;
        }
        n = n * 10 + d;
    }
    if (*p == '\0') {
        *why = "size has no unit (B, KiB, MiB, GiB, TiB)";
        return -1;
    }
    if (*p == ' ' || *p == '\t') {
        *why = "no space between the number and its unit: write them together, as in 8GiB";
        return -1;
    }
    if (*p == '.' || *p == ',') {
        *why = "sizes are whole numbers: use a smaller unit (1536MiB, not 1.5GiB)";
        return -1;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(p, units[i].name) == 0) {
            if (units[i].factor > 1 && n > UINT64_MAX / units[i].factor) {
                *why = "size is too large";
                return -1;
            }
            *bytes = n * units[i].factor;
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof(decimal_units) / sizeof(decimal_units[0]); i++) {
        if (strcmp(p, decimal_units[i]) == 0) {
            *why = "units are binary: write KiB, MiB, GiB or TiB";
            return -1;
        }
    }
    *why = "unknown unit: use B, KiB, MiB, GiB or TiB";
    return -1;
}

char *
size_format_exact(uint64_t bytes, char *buf, size_t size)
{
    if (bytes % KiB == 0)
        return size_format(bytes, buf, size);
    snprintf(buf, size, "%" PRIu64 "B", bytes);
    return buf;
}

static const struct {
    const char *name;
    uint64_t factor;
} big[] = {{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}};

char *
size_format_round(uint64_t bytes, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
        if (bytes < big[i].factor)
            continue;
        uint64_t whole = bytes / big[i].factor;
        uint64_t tenth = (bytes % big[i].factor) * 10 / big[i].factor;
        if (bytes % big[i].factor == 0)
            snprintf(buf, size, "%" PRIu64 "%s", whole, big[i].name);
        else
            snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "%s", whole, tenth, big[i].name);
        return buf;
    }
    snprintf(buf, size, "%" PRIu64 "B", bytes);
    return buf;
}

char *
size_format(uint64_t bytes, char *buf, size_t size)
{
    if (bytes == 0) {
        snprintf(buf, size, "0B");
        return buf;
    }
    for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
        if (bytes % big[i].factor == 0) {
            snprintf(buf, size, "%" PRIu64 "%s", bytes / big[i].factor, big[i].name);
            return buf;
        }
    }
    return size_format_round(bytes, buf, size);
}
