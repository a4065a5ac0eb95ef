/* test_export_hyperv.c: the Hyper-V PowerShell script.
 *
 * No PowerShell runs here, so the script is read by a small tokenizer that
 * follows PowerShell's rules for what matters: comments, double-quoted
 * strings and single-quoted literals (any of ' and U+2018..U+201B closes
 * one, the same character twice stands for itself). Plan text must come
 * back out of the literals exactly, and nothing of it may reach the code.
 * Then the facts Hyper-V cares about (generation, controller type, Secure
 * Boot, memory, adapters), the encoding (BOM, CRLF), and golden files in
 * tests/data/hyperv/ (HYPERV_UPDATE_GOLDEN=1 rewrites them). */
#include "unit.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "appliance/cleanup.h"
#include "appliance/export.h"

#define OS_DISK                                                                                    \
    "{size: 10GiB, volumes: [{name: root, mount: /, size: 4GiB}, "                                 \
    "{name: swap, size: 1GiB, fs: swap}, {name: log, mount: /var/log, size: rest}]}"
#define APP_DISK "{size: 2GiB, volumes: [{name: data, mount: /srv, size: rest}]}"
#define FMT(buf, ...) assert_true(snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))
#define BOM "\xef\xbb\xbf"

static const char *const test_vhdx[PLAN_N_DISKS] = {"t-os.vhdx", "t-app.vhdx"};

/* A recipe; extra holds top-level lines (NULL: none), with a version:
 * line to replace the default one. */
static const char *
recipe_text(const char *firmware, unsigned nics, const char *memory, const char *extra)
{
    static char buf[4096];
    int n = snprintf(buf, sizeof(buf),
                     "recipe: 1\n"
                     "name: t\n"
                     "%s"
                     "%s"
                     "os: {distro: debian-12}\n"
                     "hardware: {cpus: 3, memory: %s, firmware: %s, nics: %u}\n"
                     "disks:\n"
                     "  os: " OS_DISK "\n"
                     "  app: " APP_DISK "\n",
                     extra && strstr(extra, "version:") ? "" : "version: '1.2.3'\n",
                     extra ? extra : "", memory, firmware, nics);
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    return buf;
}

static void
write_script(const struct plan *p, const char *path)
{
    struct ab_error err = AB_ERROR_INIT;
    int rc = export_hyperv_script(p, test_vhdx, path, &err);
    unit_check_ok(rc, &err);
}

/* ---- a tokenizer for the parts of PowerShell that matter here ---- */

#define MAX_LITERALS 64

struct script {
    char *text; /* the file */
    size_t len;
    char *code;                   /* outside comments; literals as '' */
    char *comments;               /* every comment, one per line */
    char *literals[MAX_LITERALS]; /* the values of the single-quoted literals */
    size_t n_literals;
};

/* Length of a PowerShell single-quote character at p, else 0. */
static size_t
squote_len(const char *p)
{
    if (*p == '\'')
        return 1;
    if ((unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] >= 0x98 &&
        (unsigned char)p[2] <= 0x9b)
        return 3;
    return 0;
}

/* Reads a literal starting after its opening quote at *pp into out; leaves
 * *pp after the closing quote. Fails the test if it never closes. */
static void
scan_literal(const char **pp, FILE *out)
{
    const char *p = *pp;
    for (;;) {
        assert_true(*p != '\0'); /* an unterminated literal */
        size_t q = squote_len(p);
        if (q == 0) {
            putc(*p++, out);
            continue;
        }
        size_t q2 = squote_len(p + q);
        if (q2 == 0) { /* the end */
            *pp = p + q;
            return;
        }
        /* PowerShell keeps the second of the two (the tokenizer's rule). */
        fwrite(p + q, 1, q2, out);
        p += q + q2;
    }
}

static void
script_read(struct script *s, const char *path)
{
    memset(s, 0, sizeof(*s));
    s->text = unit_slurp(path, &s->len);
    assert_non_null(s->text);
    assert_int_equal(strlen(s->text), s->len);
    size_t code_len = 0, comm_len = 0;
    FILE *code = open_memstream(&s->code, &code_len);
    FILE *comm = open_memstream(&s->comments, &comm_len);
    assert_non_null(code);
    assert_non_null(comm);
    const char *p = s->text;
    if (strncmp(p, BOM, 3) == 0)
        p += 3;
    while (*p) {
        if (*p == '#') { /* to the end of the line */
            while (*p && *p != '\r' && *p != '\n')
                putc(*p++, comm);
            putc('\n', comm);
        } else if (*p == '"') { /* kept as code: the template's own text */
            putc(*p++, code);
            while (*p && *p != '"') {
                if (*p == '`' && p[1])
                    putc(*p++, code);
                putc(*p++, code);
            }
            assert_true(*p == '"');
            putc(*p++, code);
        } else if (squote_len(p)) {
            p += squote_len(p);
            assert_true(s->n_literals < MAX_LITERALS);
            char *lit = NULL;
            size_t lit_len = 0;
            FILE *l = open_memstream(&lit, &lit_len);
            assert_non_null(l);
            scan_literal(&p, l);
            assert_int_equal(fclose(l), 0);
            s->literals[s->n_literals++] = lit;
            fputs("''", code);
        } else {
            putc(*p++, code);
        }
    }
    assert_int_equal(fclose(code), 0);
    assert_int_equal(fclose(comm), 0);
}

static void
script_free(struct script *s)
{
    free(s->text);
    free(s->code);
    free(s->comments);
    for (size_t i = 0; i < s->n_literals; i++)
        free(s->literals[i]);
}

static bool
has_literal(const struct script *s, const char *value)
{
    for (size_t i = 0; i < s->n_literals; i++)
        if (strcmp(s->literals[i], value) == 0)
            return true;
    return false;
}

static unsigned
count_of(const char *text, const char *needle)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* needle occurs want times in the code (outside comments and literals). */
static void
assert_code(const struct script *s, const char *needle, unsigned want)
{
    unsigned got = count_of(s->code, needle);
    if (got != want)
        print_error("'%s' occurs %u times in the code, want %u\n", needle, got, want);
    assert_int_equal(got, want);
}

/* UTF-8 BOM, then CRLF lines only, ending in one; no tab or other control
 * character but those line ends. */
static void
assert_encoding(const struct script *s)
{
    assert_true(s->len > 3);
    assert_memory_equal(s->text, BOM, 3);
    assert_int_equal(count_of(s->text + 3, BOM), 0);
    assert_string_equal(s->text + s->len - 2, "\r\n");
    for (size_t i = 3; i < s->len; i++) {
        unsigned char c = (unsigned char)s->text[i];
        if (c == '\n')
            assert_int_equal(s->text[i - 1], '\r');
        else if (c == '\r')
            assert_int_equal(s->text[i + 1], '\n');
        else
            assert_true(c >= 0x20 && c != 0x7f);
    }
}

static void
assert_facts(const char *path, const struct plan *p)
{
    struct script s;
    script_read(&s, path);
    assert_encoding(&s);
    bool gen2 = (p->hardware.firmware & FIRMWARE_UEFI) != 0;
    char buf[256];

    /* The parameters, their defaults, and the disks beside the script. */
    assert_code(&s, "[string]$Name = '',", 1);
    assert_true(has_literal(&s, p->name));
    assert_code(&s, "[string]$SwitchName = '',", 1);
    assert_true(has_literal(&s, "Default Switch"));
    assert_code(&s, "[string]$Path = $PSScriptRoot\r\n)", 1);
    assert_code(&s, "$ErrorActionPreference = ''", 1);
    assert_true(has_literal(&s, "Stop"));
    assert_code(&s, "$osDisk = Join-Path $Path ''", 1);
    assert_code(&s, "$appDisk = Join-Path $Path ''", 1);
    assert_true(has_literal(&s, test_vhdx[0]));
    assert_true(has_literal(&s, test_vhdx[1]));

    uint64_t mem =
        (p->hardware.memory + (UINT64_C(2) << 20) - 1) / (UINT64_C(2) << 20) * (UINT64_C(2) << 20);
    FMT(buf, "New-VM -Name $Name -Generation %d -MemoryStartupBytes %" PRIu64 " -NoVHD",
        gen2 ? 2 : 1, mem);
    assert_code(&s, buf, 1);
    assert_code(&s, "New-VM ", 1);
    assert_code(&s, "Set-VM -VM $vm -StaticMemory", 1);
    FMT(buf, "Set-VMProcessor -VM $vm -Count %u\r\n", p->hardware.cpus);
    assert_code(&s, buf, 1);

    /* Generation 2 boots from SCSI, with Secure Boot on when the image
     * boots the signed shim (off for a grub-mkimage GRUB, which nobody has
     * signed), Generation 1 from IDE. */
    bool sb = p->hardware.secure_boot;
    const char *ctl = gen2 ? "SCSI" : "IDE";
    FMT(buf, "-ControllerType %s -ControllerNumber 0 -ControllerLocation 0 -Path $osDisk", ctl);
    assert_code(&s, buf, 1);
    FMT(buf, "-ControllerType %s -ControllerNumber 0 -ControllerLocation 1 -Path $appDisk", ctl);
    assert_code(&s, buf, 1);
    assert_code(&s, "$osDrive = Add-VMHardDiskDrive ", gen2);
    assert_code(&s, "-Path $osDisk -Passthru\r\n", gen2);
    assert_code(&s, "Add-VMHardDiskDrive ", 2);
    assert_code(&s, "-ControllerType ", 2);
    FMT(buf,
        "Set-VMFirmware -VM $vm -EnableSecureBoot %s -SecureBootTemplate "
        "MicrosoftUEFICertificateAuthority -FirstBootDevice $osDrive\r\n",
        sb ? "On" : "Off");
    assert_code(&s, buf, gen2);
    assert_code(&s, "Set-VMFirmware", gen2);
    assert_code(&s, "EnableSecureBoot On", gen2 && sb);
    assert_code(&s, "EnableSecureBoot Off", gen2 && !sb);
    assert_true(!sb || gen2); /* the plan has it only with UEFI */
    assert_code(&s, "Set-VMBios -VM $vm -StartupOrder @('', '', '', '')", !gen2);
    if (!gen2)
        assert_true(has_literal(&s, "IDE"));

    unsigned nics = p->hardware.nics;
    assert_code(&s, "Connect-VMNetworkAdapter -SwitchName $SwitchName", nics > 0);
    assert_code(&s, "Add-VMNetworkAdapter -VM $vm -SwitchName $SwitchName", nics ? nics - 1 : 0);
    assert_code(&s, "Remove-VMNetworkAdapter", nics == 0);
    assert_code(&s, "Get-VMSwitch -Name $SwitchName", nics > 0);

    /* A failure after New-VM removes the VM, and the error goes on. */
    assert_code(&s, "\r\ntry {\r\n", 1);
    assert_code(&s, "\r\n} catch {\r\n    Remove-VM -VM $vm -Force\r\n    throw\r\n}\r\n", 1);

    /* Help for Get-Help, and the requirements. */
    assert_non_null(strstr(s.comments, "# .SYNOPSIS\n"));
    assert_non_null(strstr(s.comments, "#Requires -Modules Hyper-V\n"));
    script_free(&s);
}

static void
assert_no_temp_files(void)
{
    DIR *dir = opendir(".");
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir)))
        assert_null(strstr(e->d_name, ".tmp"));
    closedir(dir);
}

/* ---- tests ---- */

/* The tokenizer itself reads what PowerShell reads. */
static void
test_tokenizer(void **state)
{
    (void)state;
    unit_write_file("tok.ps1", "$a = 'it''s' # c 'x'\r\n"
                               "$b = \"q 'not a literal' `\" \" + '\xe2\x80\x98\xe2\x80\x98"
                               "x\xe2\x80\x99\xe2\x80\x99'\r\n"
                               "$c = '' + 'multi\r\nline'\r\n"
                               "$d = '\xe2\x80\x99' + '\r\n");
    struct script s;
    script_read(&s, "tok.ps1");
    assert_int_equal(s.n_literals, 5);
    assert_string_equal(s.literals[0], "it's");
    assert_string_equal(s.literals[1], "\xe2\x80\x98x\xe2\x80\x99");
    assert_string_equal(s.literals[2], "");
    assert_string_equal(s.literals[3], "multi\r\nline");
    /* A lone typographic quote and the next ASCII one are one escaped quote. */
    assert_string_equal(s.literals[4], "' + ");
    assert_string_equal(s.comments, "# c 'x'\n");
    assert_string_equal(s.code, "$a = '' \r\n$b = \"q 'not a literal' `\" \" + ''\r\n"
                                "$c = '' + ''\r\n$d = ''\r\n");
    script_free(&s);
}

static void
test_matrix(void **state)
{
    (void)state;
    static const char *const firmwares[] = {"bios", "uefi", "bios+uefi",
                                            "uefi, secure_boot: false"};
    static const unsigned nics[] = {0, 1, 4};
    static const char *const memory[] = {"1GiB", "257MiB"};
    for (size_t f = 0; f < 4; f++)
        for (size_t n = 0; n < 3; n++)
            for (size_t m = 0; m < 2; m++) {
                CLEANUP_PLAN const struct plan *p =
                    unit_plan(recipe_text(firmwares[f], nics[n], memory[m], NULL));
                print_message("%s nics=%u memory=%s\n", firmwares[f], nics[n], memory[m]);
                write_script(p, "t.ps1");
                assert_facts("t.ps1", p);
            }
    assert_no_temp_files();
}

/* 257 MiB is no multiple of Hyper-V's 2 MiB: 258 MiB, never less. */
static void
test_memory_rounding(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe_text("uefi", 1, "257MiB", NULL));
    write_script(p, "t.ps1");
    CLEANUP_FREE char *text = unit_slurp("t.ps1", NULL);
    assert_non_null(strstr(text, "-MemoryStartupBytes 270532608 -NoVHD\r\n"));
}

/* Hostile text stays inside its literals and comes back exactly. The
 * name cannot hold a quote in a recipe; a plan with one checks the writer
 * all the same, with a line break for the comments. */
static void
test_quoting(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p =
        unit_plan(recipe_text("bios+uefi", 2, "1GiB",
                              "version: \"1.0'$(ZZVER)#>\"\n"
                              "description: \"l\xe2\x80\x99"
                              "app \xe2\x80\x98ZZDESC\xe2\x80\x99 $(rm -r /) `n "
                              "\xe2\x80\x9bx\xe2\x80\x9a\"\n"
                              "vendor: \"O'Brien \\\"ZZVEND\\\"; Remove-Item C:\\\\\"\n"));
    struct plan hostile = *p;
    hostile.name = "it's \"x\"; rm -rf / #ZZNAME\r\nZZNL'";
    write_script(&hostile, "t.ps1");
    assert_facts("t.ps1", &hostile);

    struct script s;
    script_read(&s, "t.ps1");
    assert_true(has_literal(&s, hostile.name));
    assert_true(has_literal(&s, p->description));
    assert_true(has_literal(&s, p->vendor));
    assert_true(has_literal(&s, p->version));
    assert_null(strstr(s.code, "ZZ"));
    /* Comments hold the name and version, the line break made harmless. */
    assert_non_null(strstr(s.comments, "# Creates the Hyper-V virtual machine of the appliance "
                                       "it's \"x\"; rm -rf / #ZZNAME??ZZNL' 1.0'$(ZZVER)#>.\n"));
    assert_int_equal(count_of(s.comments, "ZZNL"), 2);
    script_free(&s);

    /* The literals as written: every quote character doubled. */
    CLEANUP_FREE char *text = unit_slurp("t.ps1", NULL);
    assert_non_null(
        strstr(text, "    [string]$Name = 'it''s \"x\"; rm -rf / #ZZNAME\r\nZZNL''',\r\n"));
    assert_non_null(strstr(text, "    'l\xe2\x80\x99\xe2\x80\x99"
                                 "app \xe2\x80\x98\xe2\x80\x98ZZDESC\xe2\x80\x99\xe2\x80\x99 "
                                 "$(rm -r /) `n \xe2\x80\x9b\xe2\x80\x9bx\xe2\x80\x9a\xe2\x80\x9a'"
                                 "\r\n"));
    assert_non_null(strstr(text, "('Vendor: ' + 'O''Brien \"ZZVEND\"; Remove-Item C:\\')\r\n"));
    assert_non_null(strstr(text, "('Version: ' + '1.0''$(ZZVER)#>')\r\n"));
}

static void
assert_golden(const char *name, const char *firmware, unsigned nics, const char *extra)
{
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe_text(firmware, nics, "1GiB", extra));
    write_script(p, "t.ps1");
    assert_facts("t.ps1", p);
    char golden[PATH_MAX];
    FMT(golden, "tests/data/hyperv/%s.ps1", name);
    unit_assert_golden("t.ps1", golden, "HYPERV_UPDATE_GOLDEN");
}

static void
test_golden(void **state)
{
    (void)state;
    const char *demo = "description: 'a test appliance'\nvendor: 'appliance project'\n";
    assert_golden("bios+uefi", "bios+uefi", 1, demo);
    assert_golden("uefi", "uefi", 1, demo);
    assert_golden("uefi-no-secure-boot", "uefi, secure_boot: false", 1, demo);
    assert_golden("bios", "bios", 1, NULL);
    assert_golden("uefi-4-nics", "uefi", 4, demo);
    assert_golden("bios-no-nic", "bios", 0, demo);
    /* aarch64: refused on a host that is not ARM64 Windows. */
    assert_golden("aarch64", "uefi, arch: aarch64", 1, demo);
    assert_golden("quotes", "bios+uefi", 2,
                  "description: \"it's \\\"x\\\"; rm\"\nvendor: \"O'Brien & S\xc3\xb6hne\"\n");
}

static void
test_write_errors(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe_text("bios", 1, "1GiB", NULL));
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(export_hyperv_script(p, test_vhdx, "missing/t.ps1", &err), -1);
    CLEANUP_FREE char *msg = unit_error_text(&err);
    assert_non_null(strstr(msg, "while writing Hyper-V script 'missing/t.ps1': cannot create "
                                "'missing/t.ps1.tmp"));
    assert_non_null(strstr(msg, "No such file or directory"));
    assert_int_equal(ab_error_exit_status(&err), 1);
    ab_error_release(&err);

    assert_int_equal(mkdir("dir.ps1", 0755), 0);
    assert_int_equal(mkdir("dir.ps1/x", 0755), 0);
    assert_int_equal(export_hyperv_script(p, test_vhdx, "dir.ps1", &err), -1);
    CLEANUP_FREE char *msg2 = unit_error_text(&err);
    assert_non_null(strstr(msg2, "cannot rename"));
    ab_error_release(&err);
    assert_int_equal(rmdir("dir.ps1/x"), 0);
    assert_int_equal(rmdir("dir.ps1"), 0);
    assert_no_temp_files();

    unit_write_file("t.ps1", "old");
    write_script(p, "t.ps1");
    struct stat st;
    assert_int_equal(stat("t.ps1", &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    CLEANUP_FREE char *text = unit_slurp("t.ps1", NULL);
    assert_memory_equal(text, BOM "# .SYNOPSIS\r\n", 16);
    assert_no_temp_files();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer),       cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_memory_rounding), cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_golden),          cmocka_unit_test(test_write_errors),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
