/* size.h: recipe sizes ("20GiB") to bytes and back. */
#ifndef APPLIANCE_SIZE_H
#define APPLIANCE_SIZE_H

#include <stddef.h>
#include <stdint.h>

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

/* Parses an integer followed by a binary unit (B, KiB, MiB, GiB, TiB, or
 * K, M, G, T). Returns 0, or -1 with *why set to a static explanation. */
int size_parse(const char *text, uint64_t *bytes, const char **why);

/* Formats bytes for people: exact in the largest unit that divides it
 * ("4GiB", "512MiB"), else one decimal rounded down ("1.2GiB").
 * Returns buf. A buffer of SIZE_BUF bytes always suffices. */
#define SIZE_BUF 32
char *size_format(uint64_t bytes, char *buf, size_t size);

/* Like size_format() but never rounded: "1025MiB", "1073741825B". For
 * messages about sizes that are not whole, where rounding hides why. */
char *size_format_exact(uint64_t bytes, char *buf, size_t size);

/* For amounts people compare at a glance ("1.2GiB left"): in the largest
 * unit not above bytes, one decimal rounded down, none when exact. */
char *size_format_round(uint64_t bytes, char *buf, size_t size);

#endif
