/* userns.c: a build without root, as root of a user namespace mapped to
 * the user and the user's subordinate ids (userns.h). */
#include "appliance/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"

/* Whether line (len bytes) is NAME_OR_ID:START:COUNT with NAME_OR_ID
 * one of name and id, and a range that fits in 32 bits. */
static bool
line_range(const char *line, size_t len, const char *name, const char *id, unsigned long *start,
           unsigned long *count)
{
    char buf[512];
    if (len >= sizeof(buf))
        return false;
    memcpy(buf, line, len);
    buf[len] = '\0';
    char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *end;
    if (!c1 || !c2)
        return false;
    *c1 = *c2 = '\0';
    if ((!name || strcmp(buf, name) != 0) && strcmp(buf, id) != 0)
        return false;
    errno = 0;
    *start = strtoul(c1 + 1, &end, 10);
    if (errno || end == c1 + 1 || *end || c1[1] == '-')
        return false;
    *count = strtoul(c2 + 1, &end, 10);
    if (errno || end == c2 + 1 || (*end && *end != '\r') || c2[1] == '-')
        return false;
    return *start <= UINT_MAX && *count <= UINT_MAX - *start;
}

int
userns_subid_range(const char *text, const char *name, unsigned long id, struct userns_range *r)
{
    char id_text[32];
    snprintf(id_text, sizeof(id_text), "%lu", id);
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        unsigned long start, count;
        if (line_range(line, len, name, id_text, &start, &count) && count >= USERNS_IDS - 1) {
            *r = (struct userns_range){start, count};
            return 1;
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

/* A sysctl's value as a number; -1 when the kernel has no such knob. */
static long
sysctl_value(const char *path)
{
    CLEANUP_FREE char *v = read_text_file(path);
    return v ? strtol(v, NULL, 10) : -1;
}

/* The kernel's knobs that forbid what the build needs: one line each. */
static void
check_kernel(struct ab_error *err)
{
    if (sysctl_value("/proc/sys/kernel/unprivileged_userns_clone") == 0)
        ab_build_error(err, EPERM,
                       "building without root needs user namespaces, which this kernel keeps "
                       "from users (sysctl kernel.unprivileged_userns_clone=0): as root, "
                       "sysctl -w kernel.unprivileged_userns_clone=1, or build as root");
    if (sysctl_value("/proc/sys/user/max_user_namespaces") == 0)
        ab_build_error(err, EPERM,
                       "building without root needs user namespaces, which this kernel allows "
                       "none of (sysctl user.max_user_namespaces=0): as root, sysctl -w "
                       "user.max_user_namespaces=10000, or build as root");
    if (sysctl_value("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
        ab_build_error(err, EPERM,
                       "building without root needs user namespaces, which AppArmor restricts "
                       "(sysctl kernel.apparmor_restrict_unprivileged_userns=1): as root, "
                       "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or build as root");
}

/* What the map helpers need, made before the fork. */
struct helper {
    int go[2];  /* the parent writes a byte once it is in its namespace */
    int msg[2]; /* the helper's error, if any */
    char pid[32];
    char uid[32], gid[32];
    char uid_start[32], uid_count[32], gid_start[32], gid_count[32];
    /* A container's root maps its own ids 0 to ids - 1 itself, without
     * newuidmap: it has CAP_SETUID and CAP_SETGID over them. */
    bool direct;
    /* Who enters a direct namespace, and why one may be refused there,
     * for the error when the kernel refuses it. */
    const char *who, *refused_why;
    char uid_map[1024], gid_map[1024]; /* the maps it writes */
    const struct spawn_ctx *ctx;
};

/* Writes map (userns_identity_map's) to /proc/PID/NAME, or says why it
 * could not. */
static int
write_map(const struct helper *h, const char *name, const char *map, struct ab_error *err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%s/%s", h->pid, name);
    size_t n = strlen(map);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, map, n) != (ssize_t)n) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ab_build_error(err, e, "writing %s: %s", path, strerror(e));
    }
    close(fd);
    return 0;
}

/* In the helper, outside the namespace: the maps of the parent's, once it
 * says it is in it. Its error goes back through h->msg. */
static int
map_helper(void *arg)
{
    struct helper *h = arg;
    close(h->go[1]);
    close(h->msg[0]);
    char c;
    ssize_t n;
    while ((n = read(h->go[0], &c, 1)) < 0 && errno == EINTR)
        ;
    if (n != 1)
        return 2; /* the parent did not get there */
    struct ab_error err = AB_ERROR_INIT;
    const char *uids[] = {"newuidmap", h->pid, "0", h->uid, "1", "1", h->uid_start, h->uid_count,
                          NULL};
    const char *gids[] = {"newgidmap", h->pid, "0", h->gid, "1", "1", h->gid_start, h->gid_count,
                          NULL};
    struct spawn_opts o = {.ctx = h->ctx};
    int r = h->direct ? write_map(h, "uid_map", h->uid_map, &err) < 0 ||
                            write_map(h, "gid_map", h->gid_map, &err) < 0
                      : spawn_run(uids, &o, &err) < 0 || spawn_run(gids, &o, &err) < 0;
    if (r && err.n_diags)
        (void)!write(h->msg[1], err.diags[0].msg, strlen(err.diags[0].msg));
    ab_error_release(&err);
    return r;
}

static void
close_pair(int p[2])
{
    for (int i = 0; i < 2; i++)
        if (p[i] >= 0)
            close(p[i]);
    p[0] = p[1] = -1;
}

/* The helper's error after it ended. */
static void
helper_error(struct helper *h, struct ab_error *err)
{
    char text[1024];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(text) - 1 && (n = read(h->msg[0], text + got, sizeof(text) - 1 - got)) > 0)
        got += (size_t)n;
    text[got] = '\0';
    ab_build_error(err, EPERM, "cannot map the user namespace's ids: %s",
                   got ? text : "newuidmap's helper ended without saying why");
}

/* Enters the namespace and has the helper write its maps. */
static int
enter(struct helper *h, struct ab_error *err)
{
    struct spawn_child child = SPAWN_CHILD_INIT;
    if (pipe2(h->go, O_CLOEXEC) < 0 || pipe2(h->msg, O_CLOEXEC) < 0)
        return ab_build_error(err, errno, "cannot make a pipe: %s", strerror(errno));
    if (spawn_fork_fn(map_helper, h, &child, err) < 0)
        return -1;
    close(h->go[0]), h->go[0] = -1;
    close(h->msg[1]), h->msg[1] = -1;
    int r = unshare(CLONE_NEWUSER);
    int e = errno;
    if (r == 0 && write(h->go[1], "", 1) != 1)
        r = -1, e = errno;
    close(h->go[1]), h->go[1] = -1; /* the helper reads EOF when r < 0 */
    spawn_reap(&child, true);
    if (r < 0 && h->direct)
        return ab_build_error(err, e,
                              "%s needs a user namespace of the build's own, which was "
                              "refused: %s (%s)",
                              h->who, strerror(e),
                              e == ENOSPC ? "user.max_user_namespaces is reached: raise it"
                                          : h->refused_why);
    if (r < 0)
        return ab_build_error(err, e,
                              "building without root needs a user namespace, which the kernel "
                              "refused: %s (%s), or build as root",
                              strerror(e),
                              e == ENOSPC ? "user.max_user_namespaces is reached: raise it"
                                          : "a container's seccomp profile or a security module "
                                            "forbids unshare(CLONE_NEWUSER): allow it");
    if (!WIFEXITED(child.status) || WEXITSTATUS(child.status) != 0) {
        helper_error(h, err);
        return -1;
    }
    if (getuid() != 0 || getgid() != 0)
        return ab_build_error(err, EPERM, "the user namespace's maps did not make the build root");
    return 0;
}

/* The first id after every range of text (at least 100000, where
 * useradd starts): a range given from there is no other user's. */
static unsigned long
free_start(const char *text, unsigned long from)
{
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n'), *c1 = strchr(line, ':');
        const char *c2 = c1 && (!nl || c1 < nl) ? strchr(c1 + 1, ':') : NULL;
        if (c2 && (!nl || c2 < nl)) {
            unsigned long end = strtoul(c1 + 1, NULL, 10) + strtoul(c2 + 1, NULL, 10);
            if (end > from && end <= UINT_MAX)
                from = end;
        }
        line = nl ? nl + 1 : NULL;
    }
    return from;
}

/* The user's subordinate ranges, or one line that says which file gives
 * none and the usermod(8) command that gives both. */
static int
subid_ranges(const char *name, unsigned long id, struct userns_range *ur,
             struct userns_range *gr, struct ab_error *err)
{
    CLEANUP_FREE char *uids = read_text_file("/etc/subuid"), *gids = read_text_file("/etc/subgid");
    bool u = uids && userns_subid_range(uids, name, id, ur);
    bool g = gids && userns_subid_range(gids, name, id, gr);
    if (u && g)
        return 0;
    unsigned long first = free_start(gids, free_start(uids, 100000));
    return ab_build_error(err, ENOENT,
                          "building without root needs %lu subordinate ids for '%s', and %s "
                          "it none: as root, usermod --add-subuids %lu-%lu --add-subgids "
                          "%lu-%lu %s, or build as root",
                          USERNS_IDS, name,
                          !u && !g ? "/etc/subuid and /etc/subgid give"
                          : !u     ? "/etc/subuid gives"
                                   : "/etc/subgid gives",
                          first, first + USERNS_IDS - 1, first, first + USERNS_IDS - 1, name);
}

int
userns_enter(const struct spawn_ctx *ctx, struct ab_error *err)
{
    size_t before = err->n_diags;
    uid_t uid = getuid();
    gid_t gid = getgid();
    struct passwd pw, *found = NULL;
    char buf[4096], id_name[32];
    snprintf(id_name, sizeof(id_name), "%lu", (unsigned long)uid);
    const char *name = getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found
                           ? found->pw_name
                           : id_name;
    struct userns_range ur = {0}, gr = {0};
    check_kernel(err);
    if (!spawn_have("newuidmap") || !spawn_have("newgidmap"))
        ab_build_error(err, ENOENT,
                       "building without root needs newuidmap and newgidmap: apt-get install "
                       "uidmap, or build as root");
    subid_ranges(name, uid, &ur, &gr, err);
    if (err->n_diags > before)
        return -1;
    struct helper h = {.go = {-1, -1}, .msg = {-1, -1}, .ctx = ctx};
    snprintf(h.pid, sizeof(h.pid), "%ld", (long)getpid());
    snprintf(h.uid, sizeof(h.uid), "%lu", (unsigned long)uid);
    snprintf(h.gid, sizeof(h.gid), "%lu", (unsigned long)gid);
    snprintf(h.uid_start, sizeof(h.uid_start), "%lu", ur.start);
    snprintf(h.uid_count, sizeof(h.uid_count), "%lu", ur.count);
    snprintf(h.gid_start, sizeof(h.gid_start), "%lu", gr.start);
    snprintf(h.gid_count, sizeof(h.gid_count), "%lu", gr.count);
    int r = enter(&h, err);
    close_pair(h.go);
    close_pair(h.msg);
    return r;
}

unsigned long
userns_ids_from_zero(const char *map_text)
{
    unsigned long n = 0;
    for (bool grew = true; grew;) {
        grew = false;
        for (const char *line = map_text; line && *line;) {
            unsigned long inner, outer, count;
            if (sscanf(line, "%lu %lu %lu", &inner, &outer, &count) == 3 && inner <= n &&
                count > n - inner && inner + count > n) {
                n = inner + count;
                grew = true;
            }
            line = strchr(line, '\n');
            line = line ? line + 1 : NULL;
        }
    }
    return n;
}

int
userns_identity_map(const char *map_text, unsigned long ids, char *out, size_t size)
{
    size_t len = 0;
    if (size)
        out[0] = '\0';
    for (const char *line = map_text; line && *line;) {
        unsigned long inner, outer, count;
        if (sscanf(line, "%lu %lu %lu", &inner, &outer, &count) == 3 && inner < ids && count) {
            unsigned long n = count < ids - inner ? count : ids - inner;
            int w = snprintf(out + len, size - len, "%lu %lu %lu\n", inner, inner, n);
            if (w < 0 || (size_t)w >= size - len)
                return -1;
            len += (size_t)w;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return (int)len;
}

/* This process's effective capabilities (CapEff), 0 when unreadable. */
static unsigned long long
cap_eff(void)
{
    CLEANUP_FREE char *status = read_text_file("/proc/self/status");
    const char *cap = status ? strstr(status, "\nCapEff:") : NULL;
    unsigned long long bits = 0;
    return cap && sscanf(cap + 8, "%llx", &bits) == 1 ? bits : 0;
}

/* Whether this process may mount: CAP_SYS_ADMIN (bit 21). */
static bool
may_mount(void)
{
    return cap_eff() >> 21 & 1;
}

enum userns_need
userns_needed(void)
{
    if (geteuid() != 0)
        return USERNS_USER;
    return may_mount() ? USERNS_NONE : USERNS_CONTAINER_ROOT;
}

/* Enters a namespace whose ids 0 to ids - 1 are the same ids of this
 * one's (uids and gids, this namespace's maps), written by the helper
 * itself, which has CAP_SETUID and CAP_SETGID over them. */
static int
enter_direct(const struct spawn_ctx *ctx, const char *uids, const char *gids, unsigned long ids,
             const char *who, const char *refused_why, struct ab_error *err)
{
    struct helper h = {.go = {-1, -1},
                       .msg = {-1, -1},
                       .ctx = ctx,
                       .direct = true,
                       .who = who,
                       .refused_why = refused_why};
    if (userns_identity_map(uids, ids, h.uid_map, sizeof(h.uid_map)) < 0 ||
        userns_identity_map(gids, ids, h.gid_map, sizeof(h.gid_map)) < 0)
        return ab_build_error(err, E2BIG, "this namespace's id maps have too many lines");
    snprintf(h.pid, sizeof(h.pid), "%ld", (long)getpid());
    int r = enter(&h, err);
    close_pair(h.go);
    close_pair(h.msg);
    return r;
}

int
userns_enter_nested(const struct spawn_ctx *ctx, struct ab_error *err)
{
    size_t before = err->n_diags;
    check_kernel(err);
    CLEANUP_FREE char *uids = read_text_file("/proc/self/uid_map"),
                      *gids = read_text_file("/proc/self/gid_map");
    unsigned long nu = uids ? userns_ids_from_zero(uids) : 0;
    unsigned long ng = gids ? userns_ids_from_zero(gids) : 0;
    if (nu < USERNS_IDS || ng < USERNS_IDS)
        ab_build_error(err, ERANGE,
                       "building in a container needs its ids 0 to %lu mapped, and it has "
                       "%lu user and %lu group ids from 0: give the container a range of "
                       "%lu ids (podman: the user's /etc/subuid and /etc/subgid; Kubernetes: "
                       "a pod with hostUsers: false)",
                       USERNS_IDS - 1, nu, ng, USERNS_IDS);
    /* Writing a map needs CAP_SETUID and CAP_SETGID, and one that maps the
     * container's root CAP_SETFCAP too (the kernel's verify_root_map). */
    static const struct {
        int bit;
        const char *name;
    } caps[] = {{7, "SETUID"}, {6, "SETGID"}, {31, "SETFCAP"}};
    unsigned long long eff = cap_eff();
    char missing[64] = "";
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        if (!(eff >> caps[i].bit & 1))
            snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
                     *missing ? ", " : "", caps[i].name);
    if (*missing)
        ab_build_error(err, EPERM,
                       "building in a container without CAP_SYS_ADMIN maps a user namespace "
                       "of its own, which needs CAP_SETUID, CAP_SETGID and CAP_SETFCAP, and "
                       "this one lacks %s: podman and docker give all three by default; a "
                       "pod that drops ALL adds them back (capabilities: add: [SETUID, "
                       "SETGID, SETFCAP])",
                       missing);
    if (err->n_diags > before)
        return -1;
    return enter_direct(ctx, uids, gids, USERNS_IDS,
                        "building in a container without CAP_SYS_ADMIN",
                        "the container's seccomp profile forbids unshare(CLONE_NEWUSER): "
                        "podman's default allows it; with docker, --security-opt "
                        "seccomp=unconfined or a profile that allows it",
                        err);
}

int
userns_enter_identity(const struct spawn_ctx *ctx, struct ab_error *err)
{
    CLEANUP_FREE char *uids = read_text_file("/proc/self/uid_map"),
                      *gids = read_text_file("/proc/self/gid_map");
    if (!uids || !gids)
        return ab_build_error(err, errno, "cannot read this process's id maps: %s",
                              strerror(errno));
    return enter_direct(ctx, uids, gids, 4294967295UL,
                        "building for another architecture (its binfmt_misc registration)",
                        "a security module forbids unshare(CLONE_NEWUSER), or this is a "
                        "container: allow it, or register qemu-user-static's entry on the "
                        "host (systemctl restart systemd-binfmt)",
                        err);
}

/* The initial user namespace's inode in nsfs, a constant of the kernel
 * (PROC_USER_INIT_INO in linux/proc_ns.h). */
#define USERNS_INIT_INO 0xEFFFFFFDUL

bool
userns_inside(void)
{
    struct stat st;
    /* A kernel without user namespaces has no such file: the host's. */
    return stat("/proc/self/ns/user", &st) == 0 && (unsigned long)st.st_ino != USERNS_INIT_INO;
}
