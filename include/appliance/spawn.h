/* spawn.h: running the well-kept tools the build relies on.
 *
 * Every child's output goes to the build log (when one is open), never to
 * the terminal; when a child fails, the error carries the tool's own last
 * lines of output. Children get their own process group so that the
 * builder can stop them all (spawn_kill_all) on an interrupt. */
#ifndef APPLIANCE_SPAWN_H
#define APPLIANCE_SPAWN_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "appliance/error.h"

struct spawn_opts {
    const char *chroot;     /* run inside this root (NULL: the host) */
    const char *cwd;        /* working folder (inside the chroot, if any) */
    const char *input;      /* written to the child's stdin (NULL: /dev/null) */
    size_t input_len;
    char **output;          /* if set, receives the child's stdout (malloc'd) */
    const char *const *env; /* extra NAME=value entries, NULL-terminated */
    int quiet_argv;         /* do not write the command line to the log */
    const char *cause;      /* how the tool's error lines start (apt's "E: "): when
                               it fails, the error quotes the first few of them
                               instead of its last lines, where the cause may not be */
};

/* Where children's output and the command lines go; NULL: discarded. */
void spawn_set_log(FILE *log);

/* Also hands each command line ("+ TOOL ARGS", as in the log) to echo
 * before it runs, from the thread that runs it (for `build --verbose`);
 * NULL: none. Lines of commands run with quiet_argv are not handed. */
void spawn_set_echo(void (*echo)(void *ctx, const char *line), void *ctx);

/* Runs argv[0] (searched in PATH) with argv. Returns 0 when it exits 0;
 * else -1 with "'TOOL' failed (exit N): <its last output lines>". The
 * command line in the log and the output lines in the error go through
 * redact(): values of secret-looking assignments and options are hidden.
 * The child's output itself goes to the log as it is. */
int spawn_run(const char *const *argv, const struct spawn_opts *opts, struct ab_error *err);

/* Convenience: spawn_run with no options. */
int spawn_cmd(struct ab_error *err, const char *first, ...) __attribute__((sentinel));

/* Convenience: runs the command inside root (chroot), no other options. */
int spawn_chroot(const char *root, struct ab_error *err, const char *first, ...)
    __attribute__((sentinel));

/* True if a program of that name is in PATH. */
int spawn_have(const char *program);

/* Sends sig to the process groups of all children still running (and of
 * the adopted ones), and makes every later spawn_run fail at once with
 * "interrupted": meant for a signal handler, where it is safe. */
void spawn_kill_all(int sig);

/* A child started elsewhere, in a process group of its own (the
 * appliance's), that spawn_kill_all must reach too; spawn_forget it once
 * it is reaped. */
void spawn_adopt(pid_t pid);
void spawn_forget(pid_t pid);

#endif
