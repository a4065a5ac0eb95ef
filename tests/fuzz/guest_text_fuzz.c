/* guest_text_fuzz.c: libFuzzer harness for the parsers of a guest's own
 * files (diskread's guest_text.c): the whole input, copied to a buffer
 * of exactly its size (no NUL after it), is an os-release, a release
 * file, an fstab, dpkg's status database and an ELF header in turn; what
 * they return is read to its end. Seeds: the host's own os-release,
 * fstab, dpkg status and /bin/sh's first bytes (seeds.sh). */
#include <string.h>

#include "diskread/guest_text.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    static const char *const keys[] = {"ID", "VERSION_ID", "PRETTY_NAME", "DISTRIB_ID"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char *v = text_kv_get(text, size, keys[i]);
        if (fuzz_len(v) > size)
            abort();
        free(v);
    }
    char *line = text_first_line(text, size);
    int major = 0, minor = 0;
    if (line && text_version(line, &major, &minor) && (major < 0 || minor < 0))
        abort();
    free(line);
    size_t n = 0;
    struct fstab_entry *e = text_fstab(text, size, &n);
    for (size_t i = 0; e && i < n; i++)
        if (fuzz_len(e[i].spec) + fuzz_len(e[i].path) + fuzz_len(e[i].type) > size)
            abort();
    if (e && e[n].spec)
        abort();
    text_fstab_free(e, n);
    if (text_dpkg_installed(text, size) < 0)
        abort();
    fuzz_len(text_elf_arch((const unsigned char *)text, size));
    free(text);
    return 0;
}
