/* configure_grow.c: appliance-grow, the service that grows each volume
 * group with its disk at boot (the plan says which volume takes the space:
 * plan_vg.grow_lv). The script is POSIX sh, for both distribution families:
 * sfdisk and partx (util-linux, fdisk on Debian), LVM, resize2fs and
 * xfs_growfs. Written into the tree in one place, install_grow(). */
#include "appliance/configure.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/spawn.h"

#define GROW_SCRIPT "/usr/libexec/appliance/appliance-grow"
#define GROW_UNIT "/etc/systemd/system/appliance-grow.service"
#define GROW_STATE "/var/lib/appliance/grow" /* the script's STATE */

/* The functions; one call per disk follows them (grow_calls()). */
static const char grow_functions[] =
    "#!/bin/sh\n"
    "# appliance-grow: the volume groups follow their disks. At every boot, for\n"
    "# each disk the appliance was built with: when the disk has grown, its LVM\n"
    "# partition (the volume group's only PV, and the disk's last partition) is\n"
    "# grown to the end of the disk, the PV resized, the extents it gained given\n"
    "# to the disk's growing volume and its filesystem grown online. Nothing is\n"
    "# ever shrunk, and a disk laid out otherwise is left alone. One line per\n"
    "# disk on the console and in the journal. When the disk and the partition\n"
    "# are as recorded in $STATE/VG (by the build, then by each run that grew\n"
    "# them), nothing else is read: no LVM command runs.\n"
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
    "export PATH LC_ALL=C\n"
    "STATE=/var/lib/appliance/grow\n"
    "status=0\n"
    "\n"
    "# Milliseconds since boot, from /proc/uptime (10 ms steps), without a fork.\n"
    "ms() {\n"
    "    read -r up _ </proc/uptime\n"
    "    echo $(((${up%.*} * 100 + 1${up#*.} - 100) * 10))\n"
    "}\n"
    "\n"
    "# say TEXT: the disk's one line, to the journal (stdout) and the console.\n"
    "say() {\n"
    "    echo \"$*\"\n"
    "    { printf 'appliance-grow: %s\\n' \"$*\" >/dev/console; } 2>/dev/null\n"
    "}\n"
    "\n"
    "# size BYTES: 3.5GiB, 512MiB.\n"
    "size() {\n"
    "    if [ \"$1\" -ge 1073741824 ]; then\n"
    "        t=$((($1 * 10 + 536870912) / 1073741824))\n"
    "        echo \"$((t / 10)).$((t % 10))GiB\"\n"
    "    else\n"
    "        echo \"$((($1 + 524288) / 1048576))MiB\"\n"
    "    fi\n"
    "}\n"
    "\n"
    "# first_line TEXT: its first non-empty line, trimmed, for a failure line.\n"
    "first_line() {\n"
    "    printf '%s\\n' \"$1\" | sed -n 's/^[[:space:]]*//; /./{p;q;}'\n"
    "}\n"
    "\n"
    "# fast VG DMNAME: true when the record of the PV under the growing LV\n"
    "# (DMNAME in /dev/mapper), \"DISK START SIZE\" in sectors, matches the disk\n"
    "# as it is: sysfs only.\n"
    "fast() {\n"
    "    rec=\n"
    "    [ -r \"$STATE/$1\" ] && read -r rec <\"$STATE/$1\"\n"
    "    [ -n \"$rec\" ] || return 1\n"
    "    for d in /sys/block/dm-*; do\n"
    "        read -r n 2>/dev/null <\"$d/dm/name\" || continue\n"
    "        [ \"$n\" = \"$2\" ] || continue\n"
    "        set -- \"$d\"/slaves/*\n"
    "        [ $# -eq 1 ] && [ -r \"$1/partition\" ] || return 1\n"
    "        read -r s <\"$1/start\" && read -r z <\"$1/size\" && read -r t <\"$1/../size\" || "
    "return 1\n"
    "        [ \"$rec\" = \"$t $s $z\" ]\n"
    "        return\n"
    "    done\n"
    "    return 1\n"
    "}\n"
    "\n"
    "# fail VG STEP OUTPUT: the disk's line when a step failed.\n"
    "fail() {\n"
    "    say \"$1: not grown: $2 failed: $(first_line \"$3\")\"\n"
    "    status=1\n"
    "}\n"
    "\n"
    "# pv_fields VG FIELDS: fields of the VG's PVs, sizes in bytes.\n"
    "pv_fields() {\n"
    "    pvs --noheadings --nosuffix --units b -o \"$2\" -S \"vg_name=$1\" 2>/dev/null\n"
    "}\n"
    "\n"
    "# grow_partition VG PV: grows PV's partition to the end of its disk when\n"
    "# it is the disk's last and the disk has at least one extent more.\n"
    "# Sets grew_part; part_bytes, disk_rec as they are after.\n"
    "grow_partition() {\n"
    "    sys=/sys/class/block/${2##*/} disk= grew_part=\n"
    "    if [ ! -r \"$sys/partition\" ]; then\n"
    "        say \"$1: not grown: $2 is not a partition\"\n"
    "        return 1\n"
    "    fi\n"
    "    read -r num <\"$sys/partition\" && read -r start <\"$sys/start\" && read -r psize "
    "<\"$sys/size\" &&\n"
    "        read -r dsize <\"$sys/../size\" || return 1\n"
    "    while read -r l; do\n"
    "        case $l in DEVNAME=*) disk=/dev/${l#DEVNAME=} ;; esac\n"
    "    done <\"$sys/../uevent\"\n"
    "    for p in \"$sys\"/../*/start; do\n"
    "        read -r s <\"$p\"\n"
    "        if [ \"$s\" -gt \"$start\" ]; then\n"
    "            say \"$1: not grown: $2 is not the last partition of $disk\"\n"
    "            return 1\n"
    "        fi\n"
    "    done\n"
    "    # The plan leaves 1MiB for the backup GPT: grow for 4MiB (an extent) more.\n"
    "    if [ $((dsize - start - psize)) -ge $((2048 + 8192)) ]; then\n"
    "        out=$(sfdisk --relocate gpt-bak-std \"$disk\" 2>&1) || { fail \"$1\" \"sfdisk "
    "--relocate\" \"$out\"; return 1; }\n"
    "        out=$(echo ', +' | sfdisk --no-reread --no-tell-kernel -q -N \"$num\" \"$disk\" 2>&1) "
    "||\n"
    "            { fail \"$1\" \"sfdisk -N $num\" \"$out\"; return 1; }\n"
    "        out=$(partx -u --nr \"$num\" \"$disk\" 2>&1) || { fail \"$1\" \"partx -u\" \"$out\"; "
    "return 1; }\n"
    "        read -r psize <\"$sys/size\"\n"
    "        grew_part=yes\n"
    "    fi\n"
    "    part_bytes=$((psize * 512)) disk_rec=\"$dsize $start $psize\"\n"
    "}\n"
    "\n"
    "# grow_fs VG LV FS MOUNT: grows the LV's filesystem online; sets grew_fs.\n"
    "grow_fs() {\n"
    "    grew_fs=\n"
    "    case $3 in\n"
    "    ext4)\n"
    "        out=$(resize2fs \"/dev/$1/$2\" 2>&1) ||\n"
    "            { fail \"$1\" \"resize2fs\" \"$out\"; return 1; }\n"
    "        case $out in *\"is now\"*) grew_fs=yes ;; esac\n"
    "        ;;\n"
    "    xfs)\n"
    "        out=$(xfs_growfs \"$4\" 2>&1) ||\n"
    "            { fail \"$1\" \"xfs_growfs $4\" \"$out\"; return 1; }\n"
    "        case $out in *\"data blocks changed\"*) grew_fs=yes ;; esac\n"
    "        ;;\n"
    "    esac\n"
    "}\n"
    "\n"
    "# grow VG LV FS MOUNT DMNAME: one disk.\n"
    "grow() {\n"
    "    t0=$(ms)\n"
    "    if fast \"$1\" \"$5\"; then\n"
    "        say \"$1: unchanged, $(($(ms) - t0)) ms\"\n"
    "        return\n"
    "    fi\n"
    "    set -- \"$1\" \"$2\" \"$3\" \"$4\" $(pv_fields \"$1\" pv_name)\n"
    "    if [ $# -ne 5 ]; then\n"
    "        say \"$1: not grown: the group has $(($# - 4)) physical volumes, not one\"\n"
    "        return\n"
    "    fi\n"
    "    pv=$5\n"
    "    grow_partition \"$1\" \"$pv\" || return\n"
    "    set -- \"$1\" \"$2\" \"$3\" \"$4\" $(pv_fields \"$1\" "
    "dev_size,pv_size,vg_extent_size,vg_free_count)\n"
    "    dev=$5 before=$6 extent=$7 free0=$8 after=$6 lv_line=\n"
    "    # The PV data starts 1MiB in: resize when the device holds an extent more.\n"
    "    if [ $((dev - before - 1048576)) -ge \"$extent\" ]; then\n"
    "        out=$(pvresize \"$pv\" 2>&1) || { fail \"$1\" \"pvresize $pv\" \"$out\"; return; }\n"
    "        set -- \"$1\" \"$2\" \"$3\" \"$4\" $(pv_fields \"$1\" pv_size,vg_free_count)\n"
    "        after=$5\n"
    "        gained=$(($6 - free0))\n"
    "        if [ \"$gained\" -gt 0 ]; then\n"
    "            out=$(lvextend -l \"+$gained\" \"$1/$2\" 2>&1) || { fail \"$1\" \"lvextend "
    "$1/$2\" \"$out\"; return; }\n"
    "            bytes=$(lvs --noheadings --nosuffix --units b -o lv_size \"$1/$2\" 2>/dev/null)\n"
    "            lv_line=\", $1/$2 -> $(size $bytes)\"\n"
    "        fi\n"
    "    fi\n"
    "    grow_fs \"$1\" \"$2\" \"$3\" \"$4\" || return\n"
    "    mkdir -p \"$STATE\" && echo \"$disk_rec\" >\"$STATE/$1.tmp\" && mv \"$STATE/$1.tmp\" "
    "\"$STATE/$1\"\n"
    "    if [ -z \"$grew_part$lv_line$grew_fs\" ] && [ \"$after\" = \"$before\" ]; then\n"
    "        say \"$1: unchanged, $(($(ms) - t0)) ms\"\n"
    "        return\n"
    "    fi\n"
    "    line=\"$1: +$(size $((after - before)))\"\n"
    "    [ -n \"$grew_part\" ] && line=\"$line, $pv -> $(size \"$part_bytes\")\"\n"
    "    line=\"$line$lv_line\"\n"
    "    [ -n \"$grew_fs\" ] && line=\"$line ($3 grown)\"\n"
    "    sync\n"
    "    say \"$line, $(($(ms) - t0)) ms\"\n"
    "}\n";

/* After the volume groups are active and every filesystem is mounted
 * (xfs grows only mounted), before the console report shows the sizes. */
static const char grow_unit[] = "[Unit]\n"
                                "Description=Grow the appliance's volume groups with their disks\n"
                                "Documentation=man:appliance-recipe(5)\n"
                                "After=local-fs.target appliance-lvm.service\n"
                                "Before=appliance-console-report.service getty.target\n"
                                "\n"
                                "[Service]\n"
                                "Type=oneshot\n"
                                "ExecStart=" GROW_SCRIPT "\n"
                                "SyslogIdentifier=appliance-grow\n"
                                "StandardOutput=journal\n"
                                "TimeoutStartSec=900\n"
                                "\n"
                                "[Install]\n"
                                "WantedBy=multi-user.target\n";

/* " 'text'": one more word for sh, in single quotes, ' as '\''. */
static void
sh_quote(FILE *f, const char *text)
{
    fputs(" '", f);
    for (const char *c = text; *c; c++) {
        if (*c == '\'')
            fputs("'\\''", f);
        else
            fputc(*c, f);
    }
    fputc('\'', f);
}

/* One line per disk: `grow VG LV FS MOUNT DMNAME`, or why it does not. */
static int
grow_calls(const struct plan *plan, FILE *f)
{
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        const struct plan_vg *vg = &plan->disks[i].vg;
        if (!vg->grow_lv) {
            CLEANUP_FREE char *line = NULL;
            if (asprintf(&line, "%s: not grown: %s", vg->name,
                         vg->grow == PLAN_GROW_OFF ? "'grow: false'" : vg->grow_why) < 0)
                return -1;
            fputs("say", f);
            sh_quote(f, line);
            fputc('\n', f);
            continue;
        }
        CLEANUP_FREE char *dm = configure_dm_name(vg->name, vg->grow_lv->name);
        if (!dm)
            return -1;
        fputs("grow", f);
        sh_quote(f, vg->name);
        sh_quote(f, vg->grow_lv->name);
        sh_quote(f, fs_to_string(vg->grow_lv->fs));
        sh_quote(f, vg->grow_lv->mount);
        sh_quote(f, dm + strlen("/dev/mapper/"));
        fputc('\n', f);
    }
    return 0;
}

char *
configure_grow_script(const struct plan *plan)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fputs(grow_functions, f);
    fprintf(f, "\n# %s %s: one line per disk\n", plan->name, plan->version);
    int ret = grow_calls(plan, f);
    fputs("exit $status\n", f);
    if (fclose(f) != 0 || ret < 0) {
        free(text);
        return NULL;
    }
    return text;
}

char *
configure_grow_record(const struct plan_disk *d)
{
    const struct plan_partition *pv = &d->parts[d->vg.pv_partition - 1];
    char *text = NULL;
    if (asprintf(&text, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", d->size / 512, pv->start / 512,
                 pv->size / 512) < 0)
        return NULL;
    return text;
}

/* The script, its unit, enabled, and the record of each growing disk as
 * built (so that a first boot on disks of that size reads sysfs only):
 * every write into the tree is here. */
static int
install_grow(const struct plan *plan, const char *root, const char *script,
             const struct spawn_ctx *ctx, struct ab_error *err)
{
    if (write_file(root, GROW_SCRIPT, script, 0755, err) < 0 ||
        write_file(root, GROW_UNIT, grow_unit, 0644, err) < 0)
        return -1;
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        const struct plan_disk *d = &plan->disks[i];
        CLEANUP_FREE char *path = NULL, *record = configure_grow_record(d);
        if (!d->vg.grow_lv)
            continue;
        if (!record || asprintf(&path, GROW_STATE "/%s", d->vg.name) < 0)
            return ab_oom(err);
        if (write_file(root, path, record, 0644, err) < 0)
            return -1;
    }
    return spawn_chroot(ctx, root, err, "systemctl", "enable", "--quiet", "appliance-grow.service",
                        NULL);
}

int
configure_grow(const struct plan *plan, const char *root, const struct spawn_ctx *ctx,
               struct ab_error *err)
{
    CLEANUP_FREE char *script = configure_grow_script(plan);
    if (!script)
        return ab_oom(err);
    if (install_grow(plan, root, script, ctx, err) < 0) {
        ab_error_prefix(err, "while installing appliance-grow");
        return -1;
    }
    return 0;
}
