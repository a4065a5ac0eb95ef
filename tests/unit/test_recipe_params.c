/* test_recipe_params.c: --set and ${VAR} (recipe_params.c) through
 * recipe_parse_buffer_with(), and plan_warnings() (plan_warn.c). */
#include "unit.h"

#include "appliance/fsutil.h"

static const char base[] =
    "recipe: 1\n"
    "name: m\n"
    "version: '1'\n"
    "os: {distro: debian-12}\n"
    "disks:\n"
    "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: rest}]}\n"
    "  app: {size: 1GiB, volumes: [{name: d, mount: /srv, size: rest}]}\n";

/* A fake environment: NAME=VALUE pairs. */
static const char *const *fake_env;

static const char *
env_get(const char *name, void *ctx)
{
    (void)ctx;
    for (const char *const *e = fake_env; e && *e; e += 2)
        if (strcmp(e[0], name) == 0)
            return e[1];
    return NULL;
}

static struct recipe *
parse_with(const char *text, const char *const *set, size_t n_set, const char *const *env,
           struct ab_error *err)
{
    struct recipe_opts o = {set, n_set, env_get, NULL};
    fake_env = env;
    return recipe_parse_buffer_with(UNIT_RECIPE, text, strlen(text), &o, err);
}

/* The first diagnostic's text, "" when none. */
static const char *
first_msg(const struct ab_error *err)
{
    return err->n_diags ? err->diags[0].msg : "";
}

static void
test_set_scalars(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    const char *set[] = {"os.hostname=web1", "hardware.cpus=4", "disks.app.size=3GiB",
                         "disks.app.volumes.d.size=512MiB", "version=2.0",
                         "description=[a, b]: \"x\" # not a comment"};
    struct recipe *r = parse_with(base, set, 6, NULL, &err);
    assert_non_null(r);
    assert_false(ab_error_is_set(&err));
    assert_string_equal(r->os.hostname, "web1");
    assert_int_equal(r->hardware.cpus, 4);
    assert_true(r->app_disk.size == (UINT64_C(3) << 30));
    assert_true(r->app_disk.volumes[0].size == (UINT64_C(512) << 20));
    assert_string_equal(r->version, "2.0");
    /* YAML syntax in a value stays the value. */
    assert_string_equal(r->description, "[a, b]: \"x\" # not a comment");
    assert_int_equal(r->n_params, 6);
    assert_string_equal(r->params[0].key, "os.hostname");
    assert_string_equal(r->params[0].from, "--set");
    recipe_free(r);
}

static void
test_set_errors_name_origin(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    const char *set[] = {"os.hostnme=x", "os.hostname=a\nb", "hardware.cpus=null", "seed="};
    /* Only refused values and an unknown key: a partial recipe, for
     * plan_new() to judge the rest. */
    struct recipe *r = parse_with(base, set, 4, NULL, &err);
    assert_non_null(r);
    assert_true(r->partial);
    assert_null(r->os.hostname);
    recipe_free(r);
    assert_int_equal(err.n_diags, 4);
    for (size_t i = 0; i < err.n_diags; i++) {
        assert_non_null(err.diags[i].file);
        assert_int_equal(strncmp(err.diags[i].file, "--set ", 6), 0);
        assert_int_equal(err.diags[i].line, 0);
    }
    assert_string_equal(err.diags[0].msg,
                        "unknown key 'hostnme' in 'os' (did you mean 'hostname'?): expected "
                        "'distro', 'rootfs', 'mirror', 'packages', 'hostname', 'timezone', "
                        "'locale' or 'kernel_cmdline'");
    assert_string_equal(err.diags[1].msg, "hostname must be a single line");
    /* "null" from outside is a string, never YAML's null. */
    assert_non_null(strstr(err.diags[2].msg, "must be an integer"));
    assert_string_equal(err.diags[3].msg, "'seed' is empty");
    assert_int_equal(ab_error_exit_status(&err), 3);
    ab_error_release(&err);
}

static void
test_set_usage(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    const char *set[] = {"nokey"};
    assert_null(parse_with(base, set, 1, NULL, &err));
    assert_int_equal(ab_error_exit_status(&err), 2);
    assert_null(err.diags[0].file);
    ab_error_release(&err);

    const char *set2[] = {"os=debian", "disks.os.volumes.7.size=1GiB"};
    assert_null(parse_with(base, set2, 2, NULL, &err));
    assert_string_equal(err.diags[0].msg, "'os' holds a list or mapping: --set sets single values");
    assert_non_null(strstr(err.diags[1].msg, "no item '7'"));
    ab_error_release(&err);
}

static const char with_vars[] =
    "recipe: 1\n"
    "name: ${NAME:-m}\n"
    "version: \"${VERSION}\"\n"
    "description: \"$$5 ${EMPTY:-dflt} ${EMPTY}.\"\n"
    "os: {distro: debian-12, hostname: '${HOST}'}\n"
    "disks:\n"
    "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: rest}]}\n"
    "  app: {size: 1GiB, volumes: [{name: d, mount: /srv, size: rest}]}\n"
    "users: [{name: a, password_hash: '${PW}'}]\n"
    "run: ['echo ${HOME} $$']\n";

static void
test_env_expansion(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    const char *env[] = {"VERSION", "1.2", "EMPTY", "", "HOST", "web", "PW", "$6$s$h", NULL};
    struct recipe *r = parse_with(with_vars, NULL, 0, env, &err);
    assert_non_null(r);
    assert_string_equal(r->name, "m");
    assert_string_equal(r->version, "1.2");
    assert_string_equal(r->description, "$5 dflt .");
    assert_string_equal(r->os.hostname, "web");
    assert_string_equal(r->users[0].password_hash, "$6$s$h");
    /* Run lines are the guest shell's. */
    assert_string_equal(r->run[0], "echo ${HOME} $$");
    int hidden = 0;
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].key, "users.a.password_hash") == 0)
            hidden = strcmp(r->params[i].value, "(hidden)") == 0;
    assert_true(hidden);
    recipe_free(r);
}

static void
test_env_hostile(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    /* A value with YAML in it stays one value, judged as such. */
    const char *env[] = {"VERSION", "1\nname: evil", "HOST", "a: [b]", "PW", "!", "EMPTY", "",
                         NULL};
    struct recipe *r = parse_with(with_vars, NULL, 0, env, &err);
    assert_true(r && r->partial); /* refused values: judged without them */
    recipe_free(r);
    assert_int_equal(err.n_diags, 2);
    assert_string_equal(err.diags[0].msg, "version must be a single line");
    assert_non_null(strstr(err.diags[1].msg, "invalid hostname 'a: [b]'"));
    ab_error_release(&err);

    /* Unset without a default: refused at the value, every one. */
    const char *none[] = {NULL};
    assert_null(parse_with(with_vars, NULL, 0, none, &err));
    assert_int_equal(err.n_diags, 4); /* VERSION, EMPTY (no default there), HOST, PW */
    assert_int_equal(err.diags[0].line, 3);
    assert_non_null(strstr(err.diags[0].msg, "'VERSION' is not set"));
    ab_error_release(&err);
}

static void
test_unknown_keys_then_plan(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    const char *text = "recipe: 1\n"
                       "name: m\n"
                       "version: '1'\n"
                       "hostname: x\n"
                       "os: {distro: debian-12}\n"
                       "disks:\n"
                       "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 9GiB}]}\n"
                       "  app: {size: 1GiB, volumes: [{name: d, mount: /srv, size: rest}]}\n";
    struct recipe *r = parse_with(text, NULL, 0, NULL, &err);
    assert_non_null(r);
    assert_true(r->partial);
    assert_null(plan_new(r, &err));
    assert_int_equal(err.n_diags, 2);
    assert_string_equal(err.diags[0].msg,
                        "unknown key 'hostname' (did you mean 'os.hostname'? it belongs there)");
    assert_non_null(strstr(err.diags[1].msg, "does not fit in disk 'os'"));
    ab_error_release(&err);

    /* The old entry point still refuses outright. */
    assert_null(recipe_parse_buffer(UNIT_RECIPE, text, strlen(text), &err));
    assert_int_equal(err.n_diags, 1);
    ab_error_release(&err);
}

/* ---- warnings ---------------------------------------------------------- */

static const struct plan *
plan_of(const char *text)
{
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *r = recipe_parse_buffer(UNIT_RECIPE, text, strlen(text), &err);
    const struct plan *p = r ? plan_new(r, &err) : NULL;
    if (!p)
        ab_error_write(&err, stderr);
    ab_error_release(&err);
    return p;
}

static void
test_warn_login(void **state)
{
    (void)state;
    struct ab_error w = AB_ERROR_INIT;
    const struct plan *p = plan_of(base);
    assert_non_null(p);
    assert_int_equal(plan_warnings(p, NULL, &w), 1);
    assert_int_equal(w.code, AB_OK);
    assert_non_null(strstr(first_msg(&w), "nobody can log in"));
    plan_free(p);
    ab_error_release(&w);
}

/* A file at path (under the current folder) with text. */
static void
put_file(const char *path, const char *text)
{
    char dir[256];
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(mkdir_p(dir, 0755), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The warnings of a debian-12 recipe with this time zone and locale,
 * looked up with o: the first message (NULL: none) in msg. */
static void
warn_names(const char *tz, const char *locale, const struct plan_warn_opts *o, char *msg,
           size_t size)
{
    char text[1024], full[1200];
    struct ab_error w = AB_ERROR_INIT;
    snprintf(text, sizeof(text), "%s%s", base,
             "users: [{name: a, password_hash: '!', ssh_authorized_keys: ['ssh-ed25519 "
             "AAAAC3NzaC1lZDI1NTE5AAAAIA== x']}]\n");
    char *os = strstr(text, "os: {distro: debian-12}");
    snprintf(full, sizeof(full), "%.*sos: {distro: debian-12, timezone: %s, locale: %s}%s",
             (int)(os - text), text, tz, locale, os + strlen("os: {distro: debian-12}"));
    const struct plan *p = plan_of(full);
    assert_non_null(p);
    plan_warnings(p, o, &w);
    assert_true(w.n_diags <= 1);
    snprintf(msg, size, "%s", w.n_diags ? first_msg(&w) : "");
    plan_free(p);
    ab_error_release(&w);
}

/* Zones and locales of a cached tree first, each list from the first tree
 * that has it, else the host's; links resolved inside each tree. */
static void
test_warn_names(void **state)
{
    (void)state;
    /* tree a: zones only, one of them a link out of the tree; tree b: a
     * locale list; the "host": both, other names. */
    put_file("a/usr/share/zoneinfo/Europe/Rome", "");
    assert_int_equal(symlink("/etc/hostname", "a/usr/share/zoneinfo/Escape"), 0);
    put_file("b/usr/share/zoneinfo/Asia/Tokyo", "");
    put_file("b/usr/share/i18n/SUPPORTED", "it_IT.UTF-8 UTF-8\nit_IT ISO-8859-1\n");
    put_file("host/usr/share/zoneinfo/Asia/Tokyo", "");
    put_file("host/usr/share/i18n/SUPPORTED", "ja_JP.UTF-8 UTF-8\n");
    const char *ab[] = {"a", "b", NULL}, *b[] = {"b", NULL};
    const struct plan_warn_opts trees = {ab, "host"}, second = {b, "host"}, host = {NULL, "host"};
    const struct {
        const struct plan_warn_opts *o;
        const char *tz, *locale, *want;
    } cases[] = {
        {&trees, "Europe/Rome", "it_IT.utf8", ""},
        {&trees, "Asia/Tokyo", "it_IT.UTF-8",
         "time zone 'Asia/Tokyo' is not in the tz database (/usr/share/zoneinfo of debian-12's "
         "cached root tree)"},
        {&trees, "Escape", "it_IT.UTF-8", "time zone 'Escape' is not in the tz database"},
        {&trees, "Europe/Rome", "ja_JP.UTF-8",
         "locale 'ja_JP.UTF-8' is not one glibc knows (/usr/share/i18n/SUPPORTED of debian-12's "
         "cached root tree)"},
        {&trees, "Europe/Rome", "it_IT", "locale 'it_IT' is not UTF-8"},
        {&second, "Asia/Tokyo", "it_IT.UTF-8", ""},
        {&host, "Asia/Tokyo", "ja_JP.UTF-8", ""},
        {&host, "Europe/Rome", "ja_JP.UTF-8",
         "time zone 'Europe/Rome' is not in the tz database (/usr/share/zoneinfo of this host)"},
        {&host, "Asia/Tokyo", "it_IT.UTF-8",
         "locale 'it_IT.UTF-8' is not one glibc knows (/usr/share/i18n/SUPPORTED of this host)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char msg[512];
        warn_names(cases[i].tz, cases[i].locale, cases[i].o, msg, sizeof(msg));
        if (!*cases[i].want)
            assert_string_equal(msg, "");
        else if (!strstr(msg, cases[i].want))
            fail_msg("case %zu: '%s' does not hold '%s'", i, msg, cases[i].want);
    }
}

static void
test_warn_werror_text(void **state)
{
    (void)state;
    struct ab_error w = AB_ERROR_INIT;
    struct ab_pos pos = {"r.yaml", 3, 7};
    ab_warn(&w, &pos, "careful");
    char buf[256] = "";
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    ab_error_write_warnings(&w, f, 0);
    ab_error_write_warnings(&w, f, 1);
    fclose(f);
    assert_string_equal(buf, "r.yaml:3:7: warning: careful\n"
                             "r.yaml:3:7: error: careful (--werror)\n");
    assert_int_equal(ab_error_exit_status(&w), 0);
    ab_error_release(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_scalars),
        cmocka_unit_test(test_set_errors_name_origin),
        cmocka_unit_test(test_set_usage),
        cmocka_unit_test(test_env_expansion),
        cmocka_unit_test(test_env_hostile),
        cmocka_unit_test(test_unknown_keys_then_plan),
        cmocka_unit_test(test_warn_login),
        cmocka_unit_test(test_warn_names),
        cmocka_unit_test(test_warn_werror_text),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
