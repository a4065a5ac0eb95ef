/* test_recipe_params.c: --set and ${VAR} (recipe_params.c) through
 * recipe_parse_buffer_with(), and plan_warnings() (plan_warn.c). */
#include "unit.h"

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
    assert_null(parse_with(base, set, 4, NULL, &err));
    assert_int_equal(err.n_diags, 4);
    for (size_t i = 0; i < err.n_diags; i++) {
        assert_non_null(err.diags[i].file);
        assert_int_equal(strncmp(err.diags[i].file, "--set ", 6), 0);
        assert_int_equal(err.diags[i].line, 0);
    }
    assert_string_equal(err.diags[0].msg,
                        "unknown key 'hostnme' in 'os' (did you mean 'hostname'?)");
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
    assert_null(parse_with(with_vars, NULL, 0, env, &err));
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

/* A zone and locale list of our own, as a cached tree would give. */
static void
test_warn_names(void **state)
{
    (void)state;
    struct ab_error w = AB_ERROR_INIT;
    assert_int_equal(mkdir("zi", 0755), 0);
    assert_int_equal(mkdir("zi/Europe", 0755), 0);
    FILE *f = fopen("zi/Europe/Rome", "w");
    assert_non_null(f);
    fclose(f);
    f = fopen("SUPPORTED", "w");
    assert_non_null(f);
    fputs("it_IT.UTF-8 UTF-8\nit_IT ISO-8859-1\n", f);
    fclose(f);
    struct plan_warn_opts o = {"zi", "SUPPORTED"};
    char text[1024];

    snprintf(text, sizeof(text), "%s%s", base,
             "users: [{name: a, password_hash: '!', ssh_authorized_keys: ['ssh-ed25519 "
             "AAAAC3NzaC1lZDI1NTE5AAAAIA== x']}]\n");
    const char *cases[][3] = {
        {"Europe/Rome", "it_IT.utf8", NULL},
        {"Europe/Rom", "it_IT.UTF-8", "time zone 'Europe/Rom' is not in the tz database"},
        {"Europe/Rome", "xx_XX.UTF-8", "locale 'xx_XX.UTF-8' is not one glibc knows"},
        {"Europe/Rome", "it_IT", "locale 'it_IT' is not UTF-8"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char full[1200];
        char *os = strstr(text, "os: {distro: debian-12}");
        snprintf(full, sizeof(full), "%.*sos: {distro: debian-12, timezone: %s, locale: %s}%s",
                 (int)(os - text), text, cases[i][0], cases[i][1],
                 os + strlen("os: {distro: debian-12}"));
        const struct plan *p = plan_of(full);
        assert_non_null(p);
        plan_warnings(p, &o, &w);
        if (cases[i][2]) {
            assert_int_equal(w.n_diags, 1);
            assert_non_null(strstr(first_msg(&w), cases[i][2]));
        } else {
            assert_int_equal(w.n_diags, 0);
        }
        plan_free(p);
        ab_error_release(&w);
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
