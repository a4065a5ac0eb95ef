/* cmd_resize.c: `appliance resize IMAGE --size SIZE [--volume NAME=SIZE]... [-o OUT]`. */
#include <getopt.h>
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

static const char resize_usage[] =
    "Usage: appliance resize IMAGE --size SIZE [--volume NAME=SIZE]... [-o OUT]\n"
    "\n"
    "Grow or shrink one disk of the appliance offline (the OS disk with vg_os or\n"
    "the application disk with vg_app), in its own format: qcow2, vmdk, vhdx,\n"
    "vhd, vdi or raw. The LVM partition follows the disk, then the PV; the\n"
    "volume group's last volume takes what the PV gains or loses, unless\n"
    "--volume names the volumes to resize. ext4 grows and shrinks, xfs only\n"
    "grows. The work is done on a copy beside the destination, which replaces\n"
    "IMAGE (or becomes OUT) only after e2fsck, xfs_repair and vgck passed;\n"
    "IMAGE is never written to. A disk image that names another file is refused.\n"
    "\n"
    "Options:\n"
    "  -s, --size SIZE           the disk's new size: 8GiB, or +2GiB, -512MiB\n"
    "                            (a whole number of MiB)\n"
    "      --volume NAME=SIZE    resize volume NAME to SIZE (absolute, +N or -N);\n"
    "                            may be given more than once\n"
    "  -o, --output OUT          write the result to OUT (a new file), not over IMAGE\n"
    "  -h, --help                show this help\n"
    "\n"
    "Exit status: 0 resized, 1 failed or refused (IMAGE unchanged), 2 usage error,\n"
    "129, 130 or 143 interrupted (SIGHUP, SIGINT, SIGTERM).\n";

static void
on_step(void *ctx, const char *what)
{
    (void)ctx;
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "appliance: %s\n", what);
}

static bool
probe_kvm(void *ctx)
{
    (void)ctx;
    struct kvm_probe kvm;
    kvm_probe(&kvm, NULL);
    if (!kvm_usable(&kvm) && isatty(STDERR_FILENO))
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
    printf("resized %s (%s, %s)%s%s\n", image, l->format, l->vg, strcmp(image, dest) ? " to " : "",
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

int
cmd_resize(int argc, char **argv)
{
    static const struct option options[] = {
        {"size", required_argument, NULL, 's'},
        {"volume", required_argument, NULL, 'V'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct resize_opts o = {.step = on_step, .kvm = probe_kvm};
    struct resize_volume *volumes = NULL;
    const char *size = NULL, *why = NULL;
    int c, status = 0;
    while (status == 0 && (c = getopt_long(argc, argv, ":s:o:h", options, NULL)) != -1) {
        switch (c) {
        case 's':
            size = optarg;
            break;
        case 'V':
            status = add_volume(&volumes, &o.n_volumes, optarg);
            break;
        case 'o':
            o.output = optarg;
            break;
        case 'h':
            fputs(resize_usage, stdout);
            free(volumes);
            return 0;
        default:
            status = cli_option_error("resize", c, argv);
        }
    }
    if (status == 0 && optind >= argc)
        status = cli_usage_error("resize", "missing IMAGE");
    else if (status == 0 && optind + 1 < argc)
        status = cli_usage_error("resize", "unexpected argument '%s'", argv[optind + 1]);
    else if (status == 0 && !size)
        status = cli_usage_error("resize", "missing --size SIZE");
    else if (status == 0 && resize_amount_parse(size, &o.size, &why) < 0)
        status = cli_usage_error("resize", "--size '%s': %s", size, why);
    if (status != 0) {
        free(volumes);
        return status;
    }
    o.image = argv[optind];
    o.volumes = volumes;

    cli_stop_on_signals(CLI_STOP_CHILDREN);
    struct ab_error err = AB_ERROR_INIT;
    struct resize_layout l;
    if (resize_run(&o, &l, &err) < 0) {
        status = stop_signal() ? 128 + stop_signal() : cli_report(&err);
        if (stop_signal())
            fprintf(stderr, "appliance: interrupted: '%s' is unchanged\n", o.image);
    } else {
        print_summary(o.image, o.output ? o.output : o.image, &l);
        if (fflush(stdout) != 0) {
            perror("appliance: error: writing the summary");
            status = 1;
        }
    }
    ab_error_release(&err);
    free(volumes);
    return status;
}
