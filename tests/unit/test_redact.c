/* test_redact.c: redact(), what the build log and messages hide. */
#include "unit.h"

#include "appliance/redact.h"

/* redact(text) must give want. */
static void
check(const char *text, const char *want)
{
    char *got = redact(text);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        print_error("redact(\"%s\")\n  gave \"%s\"\n  want \"%s\"\n", text, got, want);
    assert_string_equal(got, want);
    free(got);
}

static void
test_secret_names(void **state)
{
    (void)state;
    static const char *const secret[] = {"MY_SECRET", "password", "DB_PASSWD",  "api_token",
                                         "ssh-key",   "Token",    "--PassWord", "aws.SecretKey"};
    static const char *const plain[] = {"PATH", "user", "pass", "tok", "ke", "", "DEBIAN_FRONTEND"};
    for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
        assert_true(redact_name_is_secret(secret[i], strlen(secret[i])));
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        assert_false(redact_name_is_secret(plain[i], strlen(plain[i])));
    /* Only the first len bytes count. */
    assert_false(redact_name_is_secret("tokenizer", 3));
}

static void
test_assignments(void **state)
{
    (void)state;
    check("MY_SECRET=hunter2 true", "MY_SECRET=*** true");
    check("export API_TOKEN=abc; curl x", "export API_TOKEN=***; curl x");
    check("a=1 PASSWORD=x b=2", "a=1 PASSWORD=*** b=2");
    check("DB_PASSWD=x&&run", "DB_PASSWD=***&&run");
    check("TOKEN=x|cat", "TOKEN=***|cat");
    check("key=", "key=***");
    check("https://h/p?api_key=abc&x=1", "https://h/p?api_key=***&x=1");
}

static void
test_options(void **state)
{
    (void)state;
    check("tool --password=hunter2 -v", "tool --password=*** -v");
    check("mysql --password hunter2 -u root", "mysql --password *** -u root");
    check("gpg --recv-keys ABCDEF", "gpg --recv-keys ***");
    check("cmd -token\tvalue rest", "cmd -token\t*** rest");
    /* An option after it is not its value. */
    check("mysql --password -u root", "mysql --password -u root");
    check("tool --token", "tool --token");
}

static void
test_quotes(void **state)
{
    (void)state;
    check("MY_SECRET=\"two words\" true", "MY_SECRET=*** true");
    check("MY_SECRET='a \"b\" c' true", "MY_SECRET=*** true");
    check("--password 'a b' x", "--password *** x");
    check("TOKEN=a\\ b c", "TOKEN=*** c");
    /* Inside quotes, the value ends with them. */
    check("sh -c \"TOKEN=abc cmd\"", "sh -c \"TOKEN=*** cmd\"");
    check("sh -c 'PASSWORD=abc'; echo ok", "sh -c 'PASSWORD=***'; echo ok");
    check("echo \"x=1\" y", "echo \"x=1\" y");
}

static void
test_urls(void **state)
{
    (void)state;
    check("deb https://builder:s3cr3t@mirror.example.org/debian bookworm main",
          "deb https://***@mirror.example.org/debian bookworm main");
    check("curl 'ftp://u@h/x'", "curl 'ftp://***@h/x'");
    check("https://h/a@b", "https://h/a@b");
    check("see https://mirror.example.org/ and a@b", "see https://mirror.example.org/ and a@b");
    check("://@h", "://@h");
}

static void
test_left_alone(void **state)
{
    (void)state;
    check("", "");
    check("echo hello world", "echo hello world");
    check("ssh-keygen -A", "ssh-keygen -A");
    check("mmdebstrap --dpkgopt=path-exclude=/usr/share/man/* bookworm",
          "mmdebstrap --dpkgopt=path-exclude=/usr/share/man/* bookworm");
    check("echo token", "echo token");
    check("a == b", "a == b");
    check("=x", "=x");
    check("it's PATH=/bin", "it's PATH=/bin");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_names), cmocka_unit_test(test_assignments),
        cmocka_unit_test(test_options),      cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_urls),         cmocka_unit_test(test_left_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
