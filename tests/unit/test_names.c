/* test_names.c: every name_check_*(), the path checks and mode_parse(). */
#include "unit.h"

#include "appliance/names.h"

/* Accepted: the check returns NULL. */
static void
ok_(const char *(*check)(const char *), const char *text, const char *name)
{
    const char *why = check(text);
    if (why)
        print_error("%s(\"%s\") refused: %s\n", name, text, why);
    assert_null(why);
}

/* Refused with exactly the reason want. */
static void
bad_(const char *(*check)(const char *), const char *text, const char *want, const char *name)
{
    const char *why = check(text);
    if (!why || strcmp(why, want) != 0)
        print_error("%s(\"%s\"): got %s, want %s\n", name, text, why ? why : "(accepted)", want);
    assert_non_null(why);
    assert_string_equal(why, want);
}

#define OK(check, text) ok_(check, text, #check)
#define BAD(check, text, want) bad_(check, text, want, #check)

/* A string of n copies of c followed by tail, in one of a few buffers. */
static const char *
rep(char c, size_t n, const char *tail)
{
    static char bufs[4][2100];
    static int next;
    char *b = bufs[next++ % 4];
    assert_true(n + strlen(tail) < sizeof(bufs[0]));
    memset(b, c, n);
    strcpy(b + n, tail);
    return b;
}

static void
test_appliance(void **state)
{
    (void)state;
    const char *len = "must be 1 to 63 characters";
    const char *start = "must start with a lowercase letter or a digit";
    const char *chars = "only lowercase letters, digits and '-' are allowed";
    OK(name_check_appliance, "a");
    OK(name_check_appliance, "acme-crm");
    OK(name_check_appliance, "0day");
    OK(name_check_appliance, rep('a', 63, ""));
    BAD(name_check_appliance, rep('a', 64, ""), len);
    BAD(name_check_appliance, "", len);
    BAD(name_check_appliance, "-crm", start);
    BAD(name_check_appliance, "Crm", start);
    BAD(name_check_appliance, "acme_crm", chars);
    BAD(name_check_appliance, "acmeCrm", chars);
    BAD(name_check_appliance, "acme.crm", chars);
}

static void
test_version(void **state)
{
    (void)state;
    OK(name_check_version, "1.4.2");
    OK(name_check_version, "2.0.0-rc1+build.5");
    OK(name_check_version, rep('1', 64, ""));
    BAD(name_check_version, rep('1', 65, ""), "must be at most 64 characters");
    BAD(name_check_version, "", "must not be empty");
    BAD(name_check_version, "1/2", "must not contain '/'");
    BAD(name_check_version, "1 2", "must not contain white space");
    BAD(name_check_version, "1\t2", "must not contain white space");
    BAD(name_check_version, "1\x01", "must not contain control characters");
}

static void
test_lvm(void **state)
{
    (void)state;
    const char *chars = "only letters, digits and '+', '_', '.', '-' are allowed";
    const char *reserved = "names starting with 'snapshot' or 'pvmove' are reserved by LVM";
    const char *suffix = "contains a suffix reserved by LVM";
    OK(name_check_lvm, "root");
    OK(name_check_lvm, "vg_os");
    OK(name_check_lvm, "A+b_c.d-9");
    OK(name_check_lvm, "...");
    OK(name_check_lvm, "a-");
    OK(name_check_lvm, rep('v', 127, ""));
    BAD(name_check_lvm, rep('v', 128, ""), "must be 1 to 127 characters");
    BAD(name_check_lvm, "", "must be 1 to 127 characters");
    BAD(name_check_lvm, ".", "'.' and '..' are not allowed");
    BAD(name_check_lvm, "..", "'.' and '..' are not allowed");
    BAD(name_check_lvm, "-root", "must not start with '-'");
    BAD(name_check_lvm, "my root", chars);
    BAD(name_check_lvm, "a/b", chars);
    BAD(name_check_lvm, "caf\xc3\xa9", chars);
    BAD(name_check_lvm, "snapshot1", reserved);
    BAD(name_check_lvm, "pvmove", reserved);
    OK(name_check_lvm, "mysnapshot");
    BAD(name_check_lvm, "data_tmeta", suffix);
    BAD(name_check_lvm, "data_rimage_0", suffix);
    BAD(name_check_lvm, "x_cdata", suffix);
}

static void
test_user(void **state)
{
    (void)state;
    const char *start = "must start with a lowercase letter or '_'";
    const char *chars = "only lowercase letters, digits, '_' and '-' are allowed";
    OK(name_check_user, "admin");
    OK(name_check_user, "_svc");
    OK(name_check_user, "www-data");
    OK(name_check_user, "a1_b-c");
    OK(name_check_user, rep('u', 32, ""));
    BAD(name_check_user, rep('u', 33, ""), "must be 1 to 32 characters");
    BAD(name_check_user, "", "must be 1 to 32 characters");
    BAD(name_check_user, "Admin", start);
    BAD(name_check_user, "1admin", start);
    BAD(name_check_user, "-admin", start);
    BAD(name_check_user, "ad.min", chars);
    BAD(name_check_user, "adMin", chars);
}

static void
test_hostname(void **state)
{
    (void)state;
    const char *label = "each label must be 1 to 63 characters";
    const char *dash = "labels must not start or end with '-'";
    const char *chars = "only lowercase letters, digits, '-' and '.' are allowed";
    OK(name_check_hostname, "crm");
    OK(name_check_hostname, "crm.example.org");
    OK(name_check_hostname, "a-b");
    OK(name_check_hostname, "1");
    OK(name_check_hostname, rep('h', 63, ".x"));
    BAD(name_check_hostname, rep('h', 64, ".x"), label);
    /* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters. */
    char host[300];
    snprintf(host, sizeof(host), "%s.%s.%s.%s", rep('a', 63, ""), rep('b', 63, ""),
             rep('c', 63, ""), rep('d', 61, ""));
    assert_int_equal(strlen(host), 253);
    OK(name_check_hostname, host);
    strcat(host, "d");
    BAD(name_check_hostname, host, "must be 1 to 253 characters");
    BAD(name_check_hostname, "", "must be 1 to 253 characters");
    BAD(name_check_hostname, "a..b", label);
    BAD(name_check_hostname, ".a", label);
    BAD(name_check_hostname, "a.", label);
    BAD(name_check_hostname, "-a", dash);
    BAD(name_check_hostname, "a-.b", dash);
    BAD(name_check_hostname, "Crm", chars);
    BAD(name_check_hostname, "c_rm", chars);
}

static void
test_timezone(void **state)
{
    (void)state;
    const char *form = "must be a zone name such as 'Europe/Rome' or 'UTC'";
    OK(name_check_timezone, "UTC");
    OK(name_check_timezone, "Europe/Rome");
    OK(name_check_timezone, "America/Argentina/Buenos_Aires");
    OK(name_check_timezone, "Etc/GMT+5");
    OK(name_check_timezone, "Etc/GMT-14");
    OK(name_check_timezone, rep('Z', 64, ""));
    BAD(name_check_timezone, rep('Z', 65, ""), "must be at most 64 characters");
    BAD(name_check_timezone, "", form);
    BAD(name_check_timezone, "/etc/localtime", form);
    BAD(name_check_timezone, "../etc/passwd", form);
    BAD(name_check_timezone, "Europe//Rome", form);
    BAD(name_check_timezone, "Europe/Rome ", form);
    BAD(name_check_timezone, "Europe.Rome", form);
}

static void
test_locale(void **state)
{
    (void)state;
    const char *form = "must be a locale such as 'en_US.UTF-8' or 'C.UTF-8'";
    OK(name_check_locale, "C");
    OK(name_check_locale, "POSIX");
    OK(name_check_locale, "C.UTF-8");
    OK(name_check_locale, "en_US.UTF-8");
    OK(name_check_locale, "sr_RS@latin");
    OK(name_check_locale, rep('e', 64, ""));
    BAD(name_check_locale, rep('e', 65, ""), "must be at most 64 characters");
    BAD(name_check_locale, "", form);
    BAD(name_check_locale, "1en", form);
    BAD(name_check_locale, "_en", form);
    BAD(name_check_locale, "en US", form);
    BAD(name_check_locale, "en/US", form);
}

static void
test_package(void **state)
{
    (void)state;
    const char *start = "must start with a letter, a digit or '@' (a group)";
    const char *chars = "only letters, digits and '+', '.', '_', ':', '=', '~', '-' are allowed";
    OK(name_check_package, "nginx");
    OK(name_check_package, "@core");
    OK(name_check_package, "postgresql-server");
    OK(name_check_package, "libstdc++6");
    OK(name_check_package, "python3.11");
    OK(name_check_package, "curl=7.88.1-10+deb12u5");
    OK(name_check_package, "bash:amd64");
    OK(name_check_package, "pkg~rc1_x");
    OK(name_check_package, "0ad");
    OK(name_check_package, rep('p', 200, ""));
    BAD(name_check_package, rep('p', 201, ""), "must be at most 200 characters");
    BAD(name_check_package, "", start);
    BAD(name_check_package, "-rf", start);
    BAD(name_check_package, ".hidden", start);
    BAD(name_check_package, "a b", chars);
    BAD(name_check_package, "a/b", chars);
    BAD(name_check_package, "a;rm", chars);
    BAD(name_check_package, "a@b", chars);
}

static void
test_mirror(void **state)
{
    (void)state;
    const char *scheme = "must be an http://, https:// or file:/// address";
    OK(name_check_mirror, "https://mirror.example/centos-stream/");
    OK(name_check_mirror, "http://deb.debian.org/debian");
    OK(name_check_mirror, "file:///srv/mirror");
    BAD(name_check_mirror, "", scheme);
    BAD(name_check_mirror, "ftp://mirror.example/", scheme);
    BAD(name_check_mirror, "HTTPS://mirror.example/", scheme);
    BAD(name_check_mirror, "mirror.example", scheme);
    BAD(name_check_mirror, "file://host/x", scheme);
    BAD(name_check_mirror, "https://", "the address has nothing after the scheme");
    BAD(name_check_mirror, "file:///", "the address has nothing after the scheme");
    BAD(name_check_mirror, "https://a b/", "must not contain white space");
    BAD(name_check_mirror, "https://a\x7f/", "must not contain white space");
}

static void
test_hardware_family(void **state)
{
    (void)state;
    const char *prefix = "must be 'vmx-NN' (vSphere rejects other families)";
    const char *number = "must be 'vmx-' and a number, such as 'vmx-13'";
    OK(name_check_hardware_family, "vmx-13");
    OK(name_check_hardware_family, "vmx-4");
    OK(name_check_hardware_family, "vmx-9");
    OK(name_check_hardware_family, "vmx-10");
    OK(name_check_hardware_family, "vmx-99");
    BAD(name_check_hardware_family, "vmx-3", "hardware versions below vmx-4 do not exist");
    BAD(name_check_hardware_family, "vmx-0", "hardware versions below vmx-4 do not exist");
    BAD(name_check_hardware_family, "vmx-", number);
    BAD(name_check_hardware_family, "vmx-100", number);
    BAD(name_check_hardware_family, "vmx-1a", number);
    BAD(name_check_hardware_family, "vmx-a", number);
    BAD(name_check_hardware_family, "vmx-+1", number);
    BAD(name_check_hardware_family, "vmx13", prefix);
    BAD(name_check_hardware_family, "VMX-13", prefix);
    BAD(name_check_hardware_family, "", prefix);
}

static void
test_password_hash(void **state)
{
    (void)state;
    const char *plain = "is not a crypt(3) hash (a plain password is never accepted)";
    OK(name_check_password_hash, "!");
    OK(name_check_password_hash, "*");
    OK(name_check_password_hash, "$6$salt$hAsH./0123456789");
    OK(name_check_password_hash, "$y$j9T$salt$hash");
    OK(name_check_password_hash, "$6$rounds=5000$salt$hash");
    BAD(name_check_password_hash, "", plain);
    BAD(name_check_password_hash, "hunter2", plain);
    BAD(name_check_password_hash, "$6$salt", plain);
    BAD(name_check_password_hash, "x$6$salt$hash", plain);
    BAD(name_check_password_hash, "$6$sa lt$hash", plain);
    BAD(name_check_password_hash, "$6$salt$ha:sh", plain);
    BAD(name_check_password_hash, "!!", plain);
}

static void
test_ssh_key(void **state)
{
    (void)state;
    const char *form = "must be 'TYPE BASE64 [COMMENT]' as in authorized_keys";
    const char *type = "has an unknown key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...)";
    OK(name_check_ssh_key, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHv5 admin@example");
    OK(name_check_ssh_key, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB");
    OK(name_check_ssh_key, "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjE=");
    OK(name_check_ssh_key, "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5");
    OK(name_check_ssh_key, "ssh-ed25519 AAAAAAAAAAAAAAAA"); /* 16 characters of data */
    BAD(name_check_ssh_key, "ssh-ed25519 AAAAAAAAAAAAAAA", "has no key data after its type");
    BAD(name_check_ssh_key, "ssh-ed25519  AAAAAAAAAAAAAAAA", "has no key data after its type");
    BAD(name_check_ssh_key, "", form);
    BAD(name_check_ssh_key, "ssh-ed25519", form);
    BAD(name_check_ssh_key, "ssh-dss AAAAB3NzaC1kc3MAAACBAP", type);
    BAD(name_check_ssh_key, "ssh-ed2551 AAAAC3NzaC1lZDI1NTE5", type);
    BAD(name_check_ssh_key, " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", type);
    BAD(name_check_ssh_key, "ssh-ed25519 AAAAC3NzaC1lZDI1!TE5", "key data is not base64");
}

static void
test_owner(void **state)
{
    (void)state;
    const char *form = "must be 'user', 'user:group' or numeric 'uid:gid'";
    OK(name_check_owner, "root");
    OK(name_check_owner, "root:root");
    OK(name_check_owner, "1000:1000");
    OK(name_check_owner, "www-data:www_data");
    BAD(name_check_owner, "", form);
    BAD(name_check_owner, ":root", form);
    BAD(name_check_owner, "root:", form);
    BAD(name_check_owner, ":", form);
    BAD(name_check_owner, "a:b:c", form);
    BAD(name_check_owner, "ro ot", form);
    BAD(name_check_owner, "root.root", form);
}

static const char *
abs_plain(const char *text)
{
    return path_check_absolute(text, 0);
}

static const char *
abs_folder(const char *text)
{
    return path_check_absolute(text, 1);
}

static void
test_path_absolute(void **state)
{
    (void)state;
    const char *empty = "is not normalised (empty component or trailing '/')";
    const char *dots = "is not normalised ('.' or '..' component)";
    OK(abs_plain, "/");
    OK(abs_folder, "/");
    OK(abs_plain, "/var/log");
    OK(abs_plain, "/opt/.app");
    OK(abs_plain, "/...");
    OK(abs_plain, "/a b");
    OK(abs_folder, "/opt/app/");
    BAD(abs_plain, "/opt/app/", empty);
    BAD(abs_plain, "//", empty);
    BAD(abs_folder, "//", empty);
    BAD(abs_folder, "/opt//app/", empty);
    BAD(abs_plain, "/var//log", empty);
    BAD(abs_plain, "/var/./log", dots);
    BAD(abs_plain, "/var/..", dots);
    BAD(abs_folder, "/./", dots);
    BAD(abs_plain, "", "must be an absolute path");
    BAD(abs_plain, "var/log", "must be an absolute path");
    BAD(abs_folder, "./var", "must be an absolute path");
    BAD(abs_plain, "/var/l\tog", "must not contain control characters");
    OK(abs_plain, rep('/', 1, rep('a', 1023, "")));
    BAD(abs_plain, rep('/', 1, rep('b', 1024, "")), "must be at most 1024 characters");
}

static void
test_path_relative(void **state)
{
    (void)state;
    const char *outside = "is outside the recipe's folder";
    OK(path_check_relative_inside, "app/dist/");
    OK(path_check_relative_inside, "files/motd");
    OK(path_check_relative_inside, "./files");
    OK(path_check_relative_inside, ".");
    OK(path_check_relative_inside, "a/../b");
    OK(path_check_relative_inside, "a//b");
    OK(path_check_relative_inside, "a/b/../../c");
    OK(path_check_relative_inside, "..hidden");
    OK(path_check_relative_inside, rep('r', 1024, ""));
    BAD(path_check_relative_inside, rep('r', 1025, ""), "must be at most 1024 characters");
    BAD(path_check_relative_inside, "", "must not be empty");
    BAD(path_check_relative_inside, "..", outside);
    BAD(path_check_relative_inside, "../secret", outside);
    BAD(path_check_relative_inside, "a/../../b", outside);
    BAD(path_check_relative_inside, "./..", outside);
    BAD(path_check_relative_inside, "/etc/shadow", "must be relative to the recipe's folder");
}

static void
test_mode(void **state)
{
    (void)state;
    assert_int_equal(mode_parse("0755"), 0755);
    assert_int_equal(mode_parse("755"), 0755);
    assert_int_equal(mode_parse("644"), 0644);
    assert_int_equal(mode_parse("000"), 0);
    assert_int_equal(mode_parse("0000"), 0);
    assert_int_equal(mode_parse("4755"), 04755);
    assert_int_equal(mode_parse("07777"), 07777);
    assert_int_equal(mode_parse("00644"), 0644);
    assert_int_equal(mode_parse("17777"), -1);
    assert_int_equal(mode_parse("77"), -1);
    assert_int_equal(mode_parse(""), -1);
    assert_int_equal(mode_parse("123456"), -1);
    assert_int_equal(mode_parse("0800"), -1);
    assert_int_equal(mode_parse("0x1ff"), -1);
    assert_int_equal(mode_parse("-755"), -1);
    assert_int_equal(mode_parse("rwx"), -1);
    assert_int_equal(mode_parse(" 755"), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appliance),     cmocka_unit_test(test_version),
        cmocka_unit_test(test_lvm),           cmocka_unit_test(test_user),
        cmocka_unit_test(test_hostname),      cmocka_unit_test(test_timezone),
        cmocka_unit_test(test_locale),        cmocka_unit_test(test_package),
        cmocka_unit_test(test_mirror),        cmocka_unit_test(test_hardware_family),
        cmocka_unit_test(test_password_hash), cmocka_unit_test(test_ssh_key),
        cmocka_unit_test(test_owner),         cmocka_unit_test(test_path_absolute),
        cmocka_unit_test(test_path_relative), cmocka_unit_test(test_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
