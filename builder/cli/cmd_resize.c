/* cmd_resize.c: `appliance resize IMAGE --size SIZE [--volume NAME=SIZE]... [-o OUT]`. */
#include <json-c/json.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cli.h"
#include "appliance/kvm.h"
#include "appliance/resize.h"
#include "appliance/size.h"
#include "appliance/stop.h"
#include "options.h"

enum { OPT_VOLUME = CLI_OPT_FIRST };

static const struct cli_option resize_options[] = {
    {'s', 's', "size", "SIZE",
     "the disk's new size: 8GiB, or +2GiB, -512MiB\n(a whole number of MiB)", NULL},
    {OPT_VOLUME, 0, "volume", "NAME=SIZE",
     "resize volume NAME to SIZE (absolute, +N or -N);\nmay be given more than once", NULL},
    {'o', 'o', "output", "OUT", "write the result to OUT (a new file), not over IMAGE", NULL},
    {0, 0, NULL, NULL, NULL, NULL},
};

static const struct cli_command resize_command = {
    "resize",
    "Usage: appliance resize IMAGE --size SIZE [--volume NAME=SIZE]... [-o OUT]\n"
    "\n"
    "Grow or shrink one disk of the appliance offline (the OS disk or the\n"
    "application disk, whatever its volume group is named), in its own format:\n"
    "qcow2, vmdk, vhdx, vhd, vdi or raw. The LVM partition follows the disk,\n"
    "then the PV; the volume group's last volume takes what the PV gains or\n"
    "loses, unless --volume names the volumes to resize. ext4 grows and\n"
    "shrinks, xfs only grows. All of it is done on the host, without a VM and\n"
    "for ext4 without root; growing xfs needs it mounted: as root through a\n"
    "loop device, else in the libguestfs appliance (the summary says so). The\n"
    "work is done on a copy beside the destination, which replaces IMAGE (or\n"
    "becomes OUT) only after e2fsck, xfs_repair and pvck (as root vgck too)\n"
    "passed; IMAGE is never written to. A disk image that names another file\n"
    "is refused.\n",
    resize_options,
    "With --json, prints the sizes before and after (bytes) as JSON.\n"
    "Exit status: 0 resized, 1 failed or refused (IMAGE unchanged), 2 usage error,\n"
    "4 IMAGE does not exist, 129, 130 or 143 interrupted (SIGHUP, SIGINT, SIGTERM).\n",
};

/* Each step: on a terminal, else with --verbose; never with --quiet. */
static void
on_step(void *ctx, const char *what)
{
    struct cli *c = ctx;
    if (cli_shows(c, isatty(STDERR_FILENO) ? CLI_NORMAL : CLI_VERBOSE))
        fprintf(stderr, "appliance: %s\n", what);
    if (c->log)
        fprintf(c->log, "%s\n", what);
}

static bool
probe_kvm(void *ctx)
{
    struct cli *c = ctx;
    struct kvm_probe kvm;
    kvm_probe(&kvm, NULL);
    if (!kvm_usable(&kvm) && cli_shows(c, isatty(STDERR_FILENO) ? CLI_NORMAL : CLI_VERBOSE))
        fprintf(stderr, "appliance: notice: %s (%s): the appliance runs under software emulation\n",
                kvm_state_reason(kvm.state), kvm.detail);
    return kvm_usable(&kvm);
}

static void
print_size_change(const char *what, uint64_t a, uint64_t b)
{
    char x[SIZE_BUF], y[SIZE_BUF];
    printf("  %-22s %s -> %s%s\n", what, size_format(a, x, sizeof(x)), size_format(b, y, sizeof(y)),
           a == b ? " (unchanged)" : "");
}

static void
print_summary(const char *image, const char *dest, const struct resize_layout *l)
{
    char what[RESIZE_NAME_MAX * 2 + 16];
    printf("resized %s (%s, %s%s%s%s)%s%s\n", image, l->format, l->vg, *l->role ? ", the " : "",
           l->role, *l->role ? " disk" : "", strcmp(image, dest) ? " to " : "",
           strcmp(image, dest) ? dest : "");
    print_size_change("disk", l->disk_size, l->new_disk_size);
    snprintf(what, sizeof(what), "partition %u", l->part_number);
    print_size_change(what, l->part_sectors * 512, l->new_part_sectors * 512);
    print_size_change("PV", l->pe_count * l->extent_size, l->new_pe_count * l->extent_size);
    for (size_t i = 0; i < l->n_lvs; i++) {
        const struct resize_lv *lv = &l->lvs[i];
        snprintf(what, sizeof(what), "%s/%s", l->vg, lv->name);
        print_size_change(what, lv->extents * l->extent_size, lv->new_extents * l->extent_size);
        if (lv->new_extents != lv->extents && lv->fs_size && lv->new_fs_size) {
            snprintf(what, sizeof(what), "  %s", lv->fs);
            print_size_change(what, lv->fs_size, lv->new_fs_size);
        }
    }
    if (l->moved_extents)
        printf("  moved %" PRIu64 " extents below the new end of the PV\n", l->moved_extents);
    if (l->xfs_in_appliance)
        printf("  xfs grown in the libguestfs appliance (%u volume%s)\n", l->xfs_in_appliance,
               l->xfs_in_appliance == 1 ? "" : "s");
}

static json_object *
size_change(uint64_t a, uint64_t b)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "from", json_object_new_int64((int64_t)a));
    json_object_object_add(o, "to", json_object_new_int64((int64_t)b));
    return o;
}

static json_object *
summary_json(const char *image, const char *dest, const struct resize_layout *l)
{
    json_object *o = json_object_new_object(), *lvs = json_object_new_array();
    json_object_object_add(o, "image", json_object_new_string(image));
    json_object_object_add(o, "output", json_object_new_string(dest));
    json_object_object_add(o, "format", json_object_new_string(l->format));
    json_object_object_add(o, "vg", json_object_new_string(l->vg));
    json_object_object_add(o, "role", *l->role ? json_object_new_string(l->role) : NULL);
    json_object_object_add(o, "disk", size_change(l->disk_size, l->new_disk_size));
    json_object_object_add(o, "partition", size_change(l->part_sectors * 512,
                                                       l->new_part_sectors * 512));
    json_object_object_add(o, "pv", size_change(l->pe_count * l->extent_size,
                                                l->new_pe_count * l->extent_size));
    for (size_t i = 0; i < l->n_lvs; i++) {
        const struct resize_lv *lv = &l->lvs[i];
        json_object *v = size_change(lv->extents * l->extent_size, lv->new_extents * l->extent_size);
        json_object_object_add(v, "name", json_object_new_string(lv->name));
        json_object_object_add(v, "fs", json_object_new_string(lv->fs));
        json_object_array_add(lvs, v);
    }
    json_object_object_add(o, "lvs", lvs);
    json_object_object_add(o, "moved_extents", json_object_new_int64((int64_t)l->moved_extents));
    json_object_object_add(o, "xfs_in_appliance", json_object_new_int((int)l->xfs_in_appliance));
    return o;
}

static int
add_volume(struct resize_volume **v, size_t *n, const char *arg)
{
    const char *why = NULL;
    struct resize_volume *grown = realloc(*v, (*n + 1) * sizeof(**v));
    if (!grown)
        return cli_usage_error("resize", "out of memory");
    *v = grown;
    if (resize_volume_parse(arg, &grown[*n], &why) < 0)
        return cli_usage_error("resize", "--volume '%s': %s", arg, why);
    for (size_t i = 0; i < *n; i++)
        if (strcmp(grown[i].name, grown[*n].name) == 0)
            return cli_usage_error("resize", "--volume '%s' is given twice", grown[i].name);
    (*n)++;
    return 0;
}

struct resize_args {
    struct resize_opts o;
    struct resize_volume *volumes;
    const char *size;
};

static int
on_resize_option(void *ctx, int id, const char *arg)
{
    struct resize_args *a = ctx;
    switch (id) {
    case 's':
        a->size = arg;
        return 0;
    case OPT_VOLUME:
        return add_volume(&a->volumes, &a->o.n_volumes, arg);
    case 'o':
        a->o.output = arg;
        return 0;
    default:
        return -1;
    }
}

static int
check_usage(struct cli *c, struct resize_args *a)
{
    const char *why = NULL;
    if (c->n_args < 1)
        return cli_usage_error("resize", "missing IMAGE");
    if (c->n_args > 1)
        return cli_usage_error("resize", "unexpected argument '%s'", c->args[1]);
    if (!a->size)
        return cli_usage_error("resize", "missing --size SIZE");
    if (resize_amount_parse(a->size, &a->o.size, &why) < 0)
        return cli_usage_error("resize", "--size '%s': %s", a->size, why);
    a->o.image = c->args[0];
    a->o.volumes = a->volumes;
    return 0;
}

static int
resize(struct cli *c, const struct resize_opts *o)
{
    cli_stop_on_signals(CLI_STOP_CHILDREN);
    struct ab_error err = AB_ERROR_INIT;
    struct resize_layout l;
    int status = 0;
    const char *dest = o->output ? o->output : o->image;
    if (resize_run(o, &l, &err) < 0) {
        status = stop_signal() ? 128 + stop_signal() : cli_report_to(c, &err);
        if (stop_signal())
            fprintf(stderr, "appliance: interrupted: '%s' is unchanged\n", o->image);
    } else if (c->json) {
        status = cli_print_json(summary_json(o->image, dest, &l));
    } else {
        print_summary(o->image, dest, &l);
        if (fflush(stdout) != 0) {
            perror("appliance: error: writing the summary");
            status = 1;
        }
    }
    ab_error_release(&err);
    return status;
}

int
cmd_resize(int argc, char **argv)
{
    struct cli c;
    struct resize_args a = {.o = {.step = on_step, .kvm = probe_kvm, .ctx = &c}};
    int status = cli_parse(&c, &resize_command, argc, argv, on_resize_option, &a);
    if (status < 0 && (status = check_usage(&c, &a)) == 0 && (status = cli_open_log(&c)) == 0 &&
        (status = cli_check_inputs(&c, c.args, 1)) == 0) {
        a.o.spawn.log = c.log;
        status = resize(&c, &a.o);
    }
    free(a.volumes);
    return cli_release(&c, status);
}
