/* deploy.h: an output folder's libvirt domain, defined on a host.
 *
 * Reads the folder's NAME.xml (export.h), points its disks at the qcow2
 * files where the folder is now, and defines it through the libvirt API:
 * type 'qemu' instead of 'kvm' when the host is this machine and KVM
 * cannot run a guest here (kvm.h), user-mode networking for NICs whose
 * network the host does not have, a new name on request. A domain of
 * the same name is redefined in place (keeping its UUID) only when asked;
 * a running one, or a disk another domain already uses, is refused. */
#ifndef APPLIANCE_DEPLOY_H
#define APPLIANCE_DEPLOY_H

#include <stdbool.h>

#include "appliance/error.h"

struct deploy_opts {
    const char *dir;  /* the output folder */
    const char *uri;  /* libvirt connection URI; NULL: libvirt's default */
    const char *name; /* a new name for the domain; NULL: keep NAME.xml's */
    bool start;       /* start the domain once defined */
    bool replace;     /* redefine a domain of the same name that is not running */
    /* One line each about what was changed on the way; may be NULL. */
    void (*notice)(void *ctx, const char *message);
    void *ctx;
    const char *arch; /* which of a folder of several architectures (report_resolve); NULL: not
                         asked */
};

struct deploy_result {
    char *uri;  /* the connection's own URI */
    char *xml;  /* the NAME.xml read */
    char *name; /* of the domain defined */
    char *uuid;
    char *type;   /* "kvm", "qemu", ... as libvirt stored it */
    char **disks; /* NULL-terminated pairs: target dev, source file, as libvirt stored them */
    bool replaced, started;
};

/* Defines (and starts) the domain; fills r (released with
 * deploy_result_release) as far as it got, also on failure. */
int deploy_run(const struct deploy_opts *o, struct deploy_result *r, struct ab_error *err);

void deploy_result_release(struct deploy_result *r);

/* The domain XML of an output folder: the libvirt output's file that its
 * build report (report_resolve's, for arch) lists, else the folder's
 * only *.xml. To be freed. */
char *deploy_find_xml(const char *dir, const char *arch, struct ab_error *err);

/* True when uri names this machine: no host part ("qemu:///system",
 * "test:///default"), or localhost. NULL (libvirt's default) is local. */
bool deploy_uri_is_local(const char *uri);

/* libvirt's errors kept for virGetLastErrorMessage(), not printed (every
 * user of libvirt here: deploy.c, lifecycle/live.c). */
void deploy_virt_quiet(void);
/* "WHAT: libvirt's last message" into err; returns -1. */
int deploy_virt_failed(struct ab_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
