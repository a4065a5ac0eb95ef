/* export_hyperv.c: the PowerShell script (NAME-VERSION.ps1) that creates the
 * appliance's Hyper-V virtual machine from its two VHDX disks.
 *
 * Hyper-V imports no OVF, so the bundle carries a script instead. It makes
 * a Generation 2 VM (UEFI, disks on SCSI) when the image boots with UEFI,
 * a Generation 1 VM (BIOS, disks on IDE) when it is bios-only; static
 * memory (rounded up to the 2 MiB that Hyper-V counts in), the plan's
 * CPUs, the disks attached where they lie (not copied), the OS disk first
 * to boot, and the plan's network adapters on one virtual switch. Secure
 * Boot (Generation 2) is on with the "Microsoft UEFI Certificate
 * Authority" template when the image boots the distribution's signed shim
 * (hardware.secure_boot), off when it boots a GRUB made with grub-mkimage,
 * which nobody has signed. An aarch64 appliance's script refuses, before
 * anything is made, a host that is not ARM64 Windows (Windows 11 on Arm,
 * Azure's Cobalt hosts): x64 Hyper-V has no arm64 guest.
 *
 * Every string that comes from the plan is written as a PowerShell
 * single-quoted literal (ps_quote), in which nothing expands: only the
 * quote characters need doubling, and PowerShell counts the typographic
 * quotes U+2018..U+201B as quotes too. Comments carry only the plan's name
 * and version, with control characters replaced.
 *
 * The file is UTF-8 with a byte order mark, lines ending in CRLF: Windows
 * PowerShell 5.1 reads a script without a BOM in the ANSI code page, which
 * would garble a non-ASCII vendor or description; PowerShell 7 reads
 * either. It is built in memory and written with write_atomic_data(). */
#include "exporter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/fsutil.h"

#define UTF8_BOM "\xef\xbb\xbf"
#define HYPERV_MEMORY_STEP (UINT64_C(2) << 20) /* MemoryStartupBytes: a multiple of 2 MiB */
#define MAX_QUOTED 64                          /* quoted strings kept by one script */

struct ps {
    FILE *out;
    char *quoted[MAX_QUOTED]; /* freed at the end */
    size_t n_quoted;
    bool failed; /* out of memory */
};

static void line(struct ps *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line of the script, CRLF-terminated. */
static void
line(struct ps *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vfprintf(s->out, fmt, ap) < 0 || fputs("\r\n", s->out) < 0)
        s->failed = true;
    va_end(ap);
}

/* Length of the PowerShell single-quote character at p, else 0: the ASCII
 * apostrophe and U+2018..U+201B (E2 80 98..9B in UTF-8). */
static size_t
quote_len(const char *p)
{
    if (*p == '\'')
        return 1;
    if ((unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] >= 0x98 &&
        (unsigned char)p[2] <= 0x9b)
        return 3;
    return 0;
}

/* text as a single-quoted PowerShell literal, every quote character
 * doubled; owned by s until the script is written. */
static const char *
ps_quote(struct ps *s, const char *text)
{
    char *q = s->n_quoted < MAX_QUOTED ? malloc(2 * strlen(text) + 3) : NULL;
    if (!q) {
        s->failed = true;
        return "''";
    }
    char *o = q;
    *o++ = '\'';
    for (const char *p = text; *p;) {
        size_t len = quote_len(p);
        if (len) { /* the quote character twice */
            memcpy(o, p, len);
            o += len;
        } else {
            len = 1;
        }
        memcpy(o, p, len);
        o += len;
        p += len;
    }
    *o++ = '\'';
    *o = '\0';
    s->quoted[s->n_quoted++] = q;
    return q;
}

/* text for a comment: control characters (a line break would end the
 * comment) become '?'. */
static const char *
comment_text(struct ps *s, const char *text)
{
    char *c = strdup(text);
    if (!c || s->n_quoted >= MAX_QUOTED) {
        free(c);
        s->failed = true;
        return "";
    }
    for (char *p = c; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    s->quoted[s->n_quoted++] = c;
    return c;
}

static bool
is_gen2(const struct plan *plan)
{
    return (plan->hardware.firmware & FIRMWARE_UEFI) != 0;
}

/* The plan's memory, rounded up to Hyper-V's 2 MiB. */
static uint64_t
memory_bytes(const struct plan *plan)
{
    uint64_t step = HYPERV_MEMORY_STEP;
    return (plan->hardware.memory + step - 1) / step * step;
}

/* Comment-based help (Get-Help .\NAME-VERSION.ps1 reads it) and the requirements. */
static void
put_help(struct ps *s, const struct plan *plan, const char *script)
{
    const char *name = comment_text(s, plan->name);
    line(s, "# .SYNOPSIS");
    line(s, "# Creates the Hyper-V virtual machine of the appliance %s %s.", name,
         comment_text(s, plan->version));
    line(s, "#");
    line(s, "# .DESCRIPTION");
    line(s, "# A Generation %d VM (%s) with %u virtual CPU(s),", is_gen2(plan) ? 2 : 1,
         !is_gen2(plan)               ? "BIOS, disks on IDE"
         : plan->hardware.secure_boot ? "UEFI, Secure Boot on, disks on SCSI"
                                      : "UEFI, Secure Boot off, disks on SCSI",
         plan->hardware.cpus);
    if (plan->hardware.nics > 0)
        line(s, "# %" PRIu64 " MiB of static memory and %u network adapter(s) on one switch.",
             memory_bytes(plan) >> 20, plan->hardware.nics);
    else
        line(s, "# %" PRIu64 " MiB of static memory and no network adapter.",
             memory_bytes(plan) >> 20);
    line(s, "# The two VHDX disks of this folder are attached where they are, not");
    line(s, "# copied: put the folder where the VM should live first. It starts");
    line(s, "# nothing; on an error it removes the VM it made (never the disks).");
    line(s, "#");
    line(s, "# .PARAMETER Name");
    line(s, "# The name of the new VM; no VM of that name may exist.");
    line(s, "# .PARAMETER SwitchName");
    line(s, "# The virtual switch for the network adapters (Get-VMSwitch lists them).");
    line(s, "# .PARAMETER Path");
    line(s, "# The folder that holds the VHDX disks; by default the script's own.");
    line(s, "#");
    line(s, "# .EXAMPLE");
    line(s, "# In an elevated PowerShell (or as a member of Hyper-V Administrators):");
    line(s, "#   powershell -ExecutionPolicy Bypass -File .\\%s -SwitchName 'External'",
         comment_text(s, script));
    line(s, "#   Start-VM -Name %s", name);
    line(s, "%s", "");
    line(s, "#Requires -Version 5.1");
    line(s, "#Requires -Modules Hyper-V");
    line(s, "%s", "");
}

static void
put_params(struct ps *s, const struct plan *plan, const char *const vhdx[PLAN_N_DISKS])
{
    line(s, "[CmdletBinding()]");
    line(s, "param(");
    line(s, "    [string]$Name = %s,", ps_quote(s, plan->name));
    line(s, "    [string]$SwitchName = 'Default Switch',");
    line(s, "    [string]$Path = $PSScriptRoot");
    line(s, ")");
    line(s, "%s", "");
    line(s, "Set-StrictMode -Version 2.0");
    line(s, "$ErrorActionPreference = 'Stop'");
    line(s, "if (-not $Path) { $Path = (Get-Location).Path }");
    line(s, "$osDisk = Join-Path $Path %s", ps_quote(s, vhdx[PLAN_DISK_OS]));
    line(s, "$appDisk = Join-Path $Path %s", ps_quote(s, vhdx[PLAN_DISK_APP]));
    line(s, "%s", "");
}

/* Everything that can be checked before the VM exists, so that a failure
 * leaves nothing half made. */
static void
put_checks(struct ps *s, const struct plan *plan)
{
    if (plan->hardware.arch == ARCH_AARCH64) {
        line(s, "# An aarch64 appliance: only Hyper-V on ARM64 Windows runs it.");
        line(s, "$hostArch = $env:PROCESSOR_ARCHITECTURE");
        line(s, "if ($env:PROCESSOR_ARCHITEW6432) { $hostArch = $env:PROCESSOR_ARCHITEW6432 }");
        line(s, "if ($hostArch -ne 'ARM64') {");
        line(s, "    throw \"this appliance is aarch64, which Hyper-V runs only on ARM64 Windows; "
                "this host is $hostArch\"");
        line(s, "}");
    }
    line(s, "foreach ($disk in @($osDisk, $appDisk)) {");
    line(s, "    if (-not (Test-Path -LiteralPath $disk -PathType Leaf)) {");
    line(s, "        throw \"disk '$disk' not found: pass -Path, the folder of the disks\"");
    line(s, "    }");
    line(s, "}");
    line(s, "if (Get-VM -Name $Name -ErrorAction SilentlyContinue) {");
    line(s, "    throw \"a virtual machine named '$Name' exists already: pass another -Name\"");
    line(s, "}");
    if (plan->hardware.nics > 0) {
        line(s, "if (-not (Get-VMSwitch -Name $SwitchName -ErrorAction SilentlyContinue)) {");
        line(s, "    throw \"no virtual switch named '$SwitchName': pass -SwitchName\"");
        line(s, "}");
    }
    line(s, "%s", "");
}

/* The VM with its memory, CPUs and notes (description, vendor, version);
 * what follows runs inside put_build's try block. */
static void
put_vm(struct ps *s, const struct plan *plan)
{
    line(s, "    $notes = @(");
    if (plan->description[0])
        line(s, "        %s", ps_quote(s, plan->description));
    if (plan->vendor[0])
        line(s, "        ('Vendor: ' + %s)", ps_quote(s, plan->vendor));
    line(s, "        ('Version: ' + %s)", ps_quote(s, plan->version));
    line(s, "    ) -join \"`r`n\"");
    line(s, "    Set-VM -VM $vm -StaticMemory -Notes $notes");
    line(s, "    Set-VMProcessor -VM $vm -Count %u", plan->hardware.cpus);
    line(s, "    # Windows Server 2016 has no automatic checkpoints to turn off.");
    line(s,
         "    if ((Get-Command Set-VM).Parameters.ContainsKey('AutomaticCheckpointsEnabled')) {");
    line(s, "        Set-VM -VM $vm -AutomaticCheckpointsEnabled $false");
    line(s, "    }");
}

/* Generation 2 boots from SCSI, Generation 1 from IDE (controller 0: the
 * OS disk at location 0, the application disk at 1). */
static void
put_disks(struct ps *s, const struct plan *plan)
{
    const char *attach = "Add-VMHardDiskDrive -VM $vm -ControllerType";
    const char *where = "-ControllerNumber 0 -ControllerLocation";
    if (is_gen2(plan)) {
        line(s, "    $osDrive = %s SCSI %s 0 -Path $osDisk -Passthru", attach, where);
        line(s, "    %s SCSI %s 1 -Path $appDisk", attach, where);
        line(s,
             "    Set-VMFirmware -VM $vm -EnableSecureBoot %s -SecureBootTemplate "
             "MicrosoftUEFICertificateAuthority -FirstBootDevice $osDrive",
             plan->hardware.secure_boot ? "On" : "Off");
    } else {
        line(s, "    %s IDE %s 0 -Path $osDisk", attach, where);
        line(s, "    %s IDE %s 1 -Path $appDisk", attach, where);
        line(s, "    Set-VMBios -VM $vm -StartupOrder @('IDE', 'CD', 'LegacyNetworkAdapter', "
                "'Floppy')");
    }
}

/* New-VM made one adapter: it is connected, or removed when the plan has
 * none, and the others are added. */
static void
put_nics(struct ps *s, const struct plan *plan)
{
    if (plan->hardware.nics == 0) {
        line(s, "    Get-VMNetworkAdapter -VM $vm | Remove-VMNetworkAdapter");
        return;
    }
    line(s, "    Get-VMNetworkAdapter -VM $vm | Connect-VMNetworkAdapter -SwitchName $SwitchName");
    for (unsigned i = 1; i < plan->hardware.nics; i++)
        line(s, "    Add-VMNetworkAdapter -VM $vm -SwitchName $SwitchName");
}

/* The VM, then its settings; a failure removes the half-made VM (never its
 * disks: Remove-VM leaves them), so that the script can run again. */
static void
put_build(struct ps *s, const struct plan *plan)
{
    line(s, "$vm = New-VM -Name $Name -Generation %d -MemoryStartupBytes %" PRIu64 " -NoVHD",
         is_gen2(plan) ? 2 : 1, memory_bytes(plan));
    line(s, "try {");
    put_vm(s, plan);
    put_disks(s, plan);
    put_nics(s, plan);
    line(s, "} catch {");
    line(s, "    Remove-VM -VM $vm -Force");
    line(s, "    throw");
    line(s, "}");
    line(s, "Write-Output \"created virtual machine '$Name'; start it with: Start-VM -Name "
            "'$Name'\"");
}

static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int
export_hyperv_script(const struct plan *plan, const char *const vhdx[PLAN_N_DISKS],
                     const char *path, struct ab_error *err)
{
    CLEANUP_FREE char *text = NULL;
    size_t len = 0;
    struct ps s = {.out = open_memstream(&text, &len)};
    if (s.out) {
        if (fputs(UTF8_BOM, s.out) < 0)
            s.failed = true;
        put_help(&s, plan, base_name(path));
        put_params(&s, plan, vhdx);
        put_checks(&s, plan);
        put_build(&s, plan);
        if (fclose(s.out) != 0)
            s.failed = true;
    }
    for (size_t i = 0; i < s.n_quoted; i++)
        free(s.quoted[i]);

    int rc = 0;
    if (!s.out || s.failed)
        rc = ab_error_set(err, AB_E_NOMEM, ENOMEM, NULL, "cannot build the script: out of memory");
    else
        rc = write_atomic_data(path, 0644, text, len, err);
    if (rc < 0)
        ab_error_prefix(err, "while writing Hyper-V script '%s'", path);
    return rc;
}

/* NAME-VERSION.ps1, naming the VHDX disks beside it. */
static int
hyperv_write(const struct exporter *self, const struct export_job *job, struct ab_error *err)
{
    (void)self;
    const struct plan *plan = job->plan;
    CLEANUP_FREE char *ps1 = NULL;
    CLEANUP_FREE char *os = export_disk_file(plan, PLAN_DISK_OS, "vhdx");
    CLEANUP_FREE char *app = export_disk_file(plan, PLAN_DISK_APP, "vhdx");
    if (!os || !app || !(ps1 = delivery_path(plan, job->dir, ".ps1")))
        return ab_oom(err);
    const char *const vhdx[PLAN_N_DISKS] = {os, app};
    export_step(job, export_base_name(ps1));
    return export_hyperv_script(plan, vhdx, ps1, err);
}

const struct exporter exporter_hyperv = {"hyperv", OUTPUT_HYPERV, NULL, hyperv_write, NULL};
