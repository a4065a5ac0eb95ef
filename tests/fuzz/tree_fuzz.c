/* tree_fuzz.c: libFuzzer harness for the extraction of a root tree from
 * an archive (tree.h: tree_extract, tree_archive_newest), a recipe's
 * `rootfs:`, which may come from outside.
 *
 * Each input is an archive, read through a memfd: extracted into
 * FOLDER/root, where nothing may land outside root (the harness's
 * folder holds root alone afterwards), then read for its newest time
 * without extracting, which must agree with the extraction's. The
 * harness runs in a user namespace of its own, root mapped to root: an
 * archive cannot make device nodes, set immutable flags or trusted
 * xattrs on this machine, as it can when a build runs as real root; those
 * entries fail here instead (libarchive's own code either way). Seeds:
 * trees tar writes here and now: a small root with links, a hard link,
 * odd modes, pax and GNU long names (tests/fuzz/seeds.sh). */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/wait.h>

#include "appliance/cleanup.h"
#include "appliance/error.h"
#include "appliance/tree.h"

#include "fuzz.h"

/* Maps every id of the machine to itself in the user namespace pid
 * enters: written by a child left outside it, which may (a process
 * inside can map its own id only). */
static void
map_ids_from_outside(int go, pid_t pid)
{
    char c, path[64];
    int ok = read(go, &c, 1) == 1;
    for (int i = 0; ok && i < 2; i++) {
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, i ? "gid_map" : "uid_map");
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ok = fd >= 0 && write(fd, "0 0 4294967295\n", 15) == 15;
        if (fd >= 0)
            close(fd);
    }
    _exit(ok ? 0 : 1);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    int go[2], status;
    pid_t self = getpid(), child;
    if (pipe(go) < 0 || (child = fork()) < 0)
        abort();
    if (child == 0)
        map_ids_from_outside(go[0], self);
    if (unshare(CLONE_NEWUSER) < 0 || write(go[1], "x", 1) != 1 ||
        waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        abort();
    close(go[0]);
    close(go[1]);
    return 0;
}

/* The harness's folder holds "root" and nothing else. */
static bool
only_root(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool only = d != NULL;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            strcmp(e->d_name, "root") != 0)
            only = false;
    if (d)
        closedir(d);
    return only;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[32], root[PATH_MAX];
    fuzz_memfd_path(data, size, path);
    snprintf(root, sizeof(root), "%s/root", fuzz_dir());
    if (mkdir(root, 0755) < 0)
        abort();
    struct ab_error err = AB_ERROR_INIT;
    int64_t newest = -1, headers = -1;
    int extracted = tree_extract(path, root, "fuzz.tar", &newest, &err);
    ab_error_release(&err);
    if (!only_root(fuzz_dir()))
        abort(); /* an entry landed outside the root */
    fuzz_remove_tree(root);
    char **devices = NULL;
    if (tree_archive_newest(path, "fuzz.tar", &headers, &devices, &err) == 0 && extracted == 0 &&
        headers != newest)
        abort(); /* the two readings of the headers disagree */
    ab_strv_free(devices);
    ab_error_release(&err);
    return 0;
}
