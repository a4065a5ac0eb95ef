/* outdir.h: the output folder, written whole or not at all.
 *
 * A build writes into a temporary folder beside the final one and swaps
 * it into place only when everything succeeded; a previous good output
 * stays untouched until that moment. A lock file beside the folder keeps
 * two builds from writing the same output at once. build and convert
 * (builder/lifecycle/) both write their folders through it. */
#ifndef APPLIANCE_OUTDIR_H
#define APPLIANCE_OUTDIR_H

#include "appliance/error.h"

struct outdir {
    char *final;   /* the folder the user asked for */
    char *tmp;     /* where this build writes; NULL once committed */
    char *lock;    /* the lock file's path */
    int lock_fd;
};

#define OUTDIR_INIT {NULL, NULL, NULL, -1}

/* Creates the parent folders, takes the lock, makes the temporary folder.
 * Fails with a clear message if another build holds the lock. */
int outdir_begin(struct outdir *o, const char *final, struct ab_error *err);

/* Moves the temporary folder into place (atomically replacing a previous
 * output), then removes the previous one. */
int outdir_commit(struct outdir *o, struct ab_error *err);

/* Removes the temporary folder if still there, drops the lock, frees.
 * Safe to call in every state, and from a cleanup attribute. */
void outdir_release(struct outdir *o);

#endif
