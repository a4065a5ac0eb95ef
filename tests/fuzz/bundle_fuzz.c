/* bundle_fuzz.c: libFuzzer harness for the bundle reader (bundle.h), on
 * the bundle that comes from outside whole: an OVA.
 *
 * Each input is written as fuzz.ova in the harness's folder and opened
 * as `inspect --no-disks` opens it (its descriptor read, its manifest's
 * checks listed, its members' order and sizes judged, each disk judged
 * by its bytes in place), then verified (every member digested) and
 * walked as inspect prints it. After a verification that succeeded, no
 * member's check is left pending. The disks are not extracted: that
 * runs qemu-img, and its reader (ova_read) has a harness of its own
 * (ova_fuzz.c), as do the descriptor's and the manifest's. Seeds: the
 * OVAs of ova_fuzz (tests/fuzz/seeds.sh). */
#include <fcntl.h>
#include <string.h>

#include "appliance/bundle.h"
#include "appliance/error.h"

#include "fuzz.h"

static void
write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        abort();
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0)
            abort();
        done += (size_t)n;
    }
    close(fd);
}

static void
walk(const struct bundle *b, bool verified)
{
    size_t sum = fuzz_len(b->name) + fuzz_len(b->ovf_source) + fuzz_len(bundle_kind_name(b->kind));
    for (size_t i = 0; i < b->n_checks; i++) {
        const struct bundle_check *c = &b->checks[i];
        sum += fuzz_len(c->manifest) + fuzz_len(c->file) + fuzz_len(c->path) +
               fuzz_len(check_state_name(c->state)) + strlen(c->expected) + strlen(c->actual);
        if (verified && c->state == CHECK_PENDING)
            abort(); /* a member listed in the manifest, verified, still not checked */
    }
    for (size_t i = 0; i < b->n_problems; i++)
        sum += fuzz_len(b->problems[i]);
    if (b->problems && b->problems[b->n_problems])
        abort(); /* the list is NULL-terminated */
    if (b->n_disks)
        abort(); /* a disk found without BUNDLE_DISKS */
    (void)sum;
    (void)bundle_ok(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[PATH_MAX], scratch[PATH_MAX];
    snprintf(path, sizeof(path), "%s/fuzz.ova", fuzz_dir());
    snprintf(scratch, sizeof(scratch), "%s/scratch", fuzz_dir());
    write_file(path, data, size);
    struct ab_error err = AB_ERROR_INIT;
    struct bundle *b = bundle_open(path, NULL, BUNDLE_VERIFY, scratch, NULL, &err);
    if (b) {
        if (b->kind != BUNDLE_OVA)
            abort();
        walk(b, false);
        walk(b, bundle_verify(b, &err) == 0);
        bundle_free(b);
    }
    ab_error_release(&err);
    if (access(scratch, F_OK) == 0)
        abort(); /* the scratch folder is made only to extract */
    return 0;
}
