/* spawn.h: running the well-kept tools the build relies on.
 *
 * Every child's output goes to the log of the caller's struct spawn_ctx
 * (when it has one), never to the terminal; when a child fails, the error carries the tool's own
 * last lines of output. Children get their own process group so that the builder can stop them all
 * (spawn_kill_all) on an interrupt. */
#ifndef APPLIANCE_SPAWN_H
#define APPLIANCE_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "appliance/error.h"

/* Where a run's command lines and its children's output go: made by the
 * top of a command and handed down to every run, never kept by spawn. Two
 * contexts may be used at once, from different threads. */
struct spawn_ctx {
    FILE *log; /* command lines and children's output; NULL: discarded */
    /* Also hands each command line ("+ TOOL ARGS", as in the log) to echo
     * before it runs, from the thread that runs it (for `build --verbose`);
     * NULL: none. Lines of commands run with quiet_argv are not handed. */
    void (*echo)(void *arg, const char *line);
    void *echo_arg;
    /* NAME=value entries every child gets on top of this process's
     * environment (a build's SOURCE_DATE_EPOCH), NULL-terminated; a run's
     * own spawn_opts.env wins over them. NULL: none. */
    const char *const *env;
};

struct spawn_opts {
    const struct spawn_ctx *ctx; /* the log and the echo; NULL: neither */
    const char *chroot;     /* run inside this root (NULL: the host); with prepare,
                               which must then give the child a mount namespace of
                               its own, entered by pivot_root(2) (spawn.c) */
    const char *cwd;        /* working folder (inside the chroot, if any) */
    const char *input;      /* written to the child's stdin (NULL: /dev/null) */
    size_t input_len;
    char **output;          /* if set, receives the child's stdout (malloc'd) */
    const char *const *env; /* extra NAME=value entries, NULL-terminated */
    int quiet_argv;         /* do not write the command line to the log */
    const char *cause;      /* how the tool's error lines start (apt's "E: "): when
                               it fails, the error quotes the first few of them
                               instead of its last lines, where the cause may not be */
    unsigned ok_exits;      /* bit N (N < 32) set: exit status N is success too
                               (e2fsck's 1, "errors corrected") */
    int *exit_status;       /* if set, receives the exit status of a success */
    /* Run in the child after its descriptors are in place and before it
     * enters chroot and cwd and execs: async-signal-safe calls only (the
     * system calls that set up a mount namespace: nsrun.c). Returns 0, or
     * -1 with errno set: the run then fails with "cannot PREPARE_WHAT for
     * 'TOOL': ERROR". */
    int (*prepare)(const void *arg);
    const void *prepare_arg;
    const char *prepare_what;
};

/* Runs argv[0] (searched in PATH) with argv. Returns 0 when it exits 0;
 * else -1 with "'TOOL' failed (exit N): <its last output lines>". The
 * command line in the log and the output lines in the error go through
 * redact(): values of secret-looking assignments and options are hidden.
 * The child's output itself goes to the log as it is. */
int spawn_run(const char *const *argv, const struct spawn_opts *opts, struct ab_error *err);

/* A command line built word by word, growing as needed. The words are
 * borrowed: they must outlive the run. Out of memory is remembered in
 * failed and reported by the caller (ab_oom) before running. */
struct spawn_argv {
    const char **v; /* NULL-terminated once a word is added */
    size_t n, cap;
    bool failed;
};

#define SPAWN_ARGV_INIT {NULL, 0, 0, false}
#define CLEANUP_SPAWN_ARGV __attribute__((cleanup(spawn_argv_release)))

void spawn_argv_add(struct spawn_argv *a, const char *word);
void spawn_argv_release(struct spawn_argv *a);

/* Convenience: spawn_run with no options but ctx (may be NULL). Any number
 * of words. */
int spawn_cmd(const struct spawn_ctx *ctx, struct ab_error *err, const char *first, ...)
    __attribute__((sentinel));

/* True if a program of that name is in PATH. */
int spawn_have(const char *program);

/* Sends sig to the process groups of all children still running (those
 * of spawn_start and spawn_fork_fn included): meant for a signal handler,
 * where it is safe. Nothing new starts once a stop is requested
 * (stop_request): spawn_run and spawn_start then fail with "interrupted". */
void spawn_kill_all(int sig);

/* ---- children that run beside the caller ------------------------------- */

/* This file is the only place that forks. Every child gets a process group
 * of its own (a Ctrl-C on the terminal is the builder's to handle), its
 * signal handlers reset and no signal blocked, and is known to
 * spawn_kill_all from its fork until spawn_reap. Between fork and exec it
 * does only async-signal-safe work: the command line, the environment and
 * every path are made before the fork. */

enum spawn_flags {
    SPAWN_STDIN_PIPE = 1 << 0,      /* c->in_fd writes its stdin (else /dev/null) */
    SPAWN_STDOUT_PIPE = 1 << 1,     /* c->out_fd reads its stdout (else /dev/null) */
    SPAWN_STDERR_PIPE = 1 << 2,     /* c->err_fd reads its stderr (else /dev/null) */
    SPAWN_DIE_WITH_PARENT = 1 << 3, /* SIGKILL when this process dies (PR_SET_PDEATHSIG) */
};

struct spawn_child {
    pid_t pid;                 /* also its process group; 0: not running */
    int in_fd, out_fd, err_fd; /* the caller's ends of its pipes (O_CLOEXEC); -1: none */
    int status;                /* its wait status, once reaped */
};

#define SPAWN_CHILD_INIT {0, -1, -1, -1, 0}

/* Starts argv[0] (searched in PATH) with opts' chroot, cwd and env (the
 * other options are spawn_run's) and logs its command line as spawn_run
 * does. Returns 0 once the program runs; -1 when it cannot: "cannot run
 * 'TOOL': REASON" or "cannot enter 'DIR': REASON", with nothing left open
 * or running. */
int spawn_start(const char *const *argv, const struct spawn_opts *opts, unsigned flags,
                struct spawn_child *c, struct ab_error *err);

/* Runs fn(arg) in a forked copy of this process, without exec, for work
 * that needs a process of its own (the libguestfs appliance); the child
 * exits with what fn returns. stdio buffers are flushed first so that none
 * is written twice. The child inherits every descriptor: fn closes those
 * it must not hold; call it while no other thread starts children, whose
 * pipes it would inherit too. c's pipes stay -1. */
int spawn_fork_fn(int (*fn)(void *arg), void *arg, struct spawn_child *c, struct ab_error *err);

/* Reaps c once it has ended (block: waits until it has): returns 1 with
 * c->status set and c->pid 0, also when c was not running; 0 when it still
 * runs. spawn_kill_all forgets it. */
int spawn_reap(struct spawn_child *c, bool block);

/* Sends sig to c's process group; nothing when c is not running. */
void spawn_signal(const struct spawn_child *c, int sig);

/* Closes the caller's ends of c's pipes that are still open. */
void spawn_close(struct spawn_child *c);

/* Writes all of buf to fd, a child's stdin: 0, or -1 with errno; a child
 * that has closed its end gives EPIPE, never SIGPIPE. */
int spawn_write(int fd, const void *buf, size_t len);

#endif
