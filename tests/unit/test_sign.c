/* test_sign.c: signing keys, signatures and DSSE envelopes
 * (builder/common/sign.c, dsse.c), the keys made by openssl(1) as a
 * customer would make them, each signature checked the other way round
 * too: ours by `openssl pkeyutl -verify`, and the PAE against the DSSE
 * specification's own example. */
#include "unit.h"

#include <sys/stat.h>

#include "appliance/cleanup.h"
#include "appliance/dsse.h"
#include "appliance/sign.h"

/* Runs a shell command; its exit status. */
static int
sh(const char *cmd)
{
    int r = system(cmd);
    return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static void
make_keys(void)
{
    unit_need("openssl");
    assert_int_equal(sh("openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null && "
                        "openssl pkey -in ed.pem -pubout -out ed.pub 2>/dev/null && "
                        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
                        "-out ec.pem 2>/dev/null && openssl pkey -in ec.pem -pubout -out ec.pub && "
                        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 "
                        "-out p384.pem 2>/dev/null && "
                        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 "
                        "-out rsa.pem 2>/dev/null && "
                        "openssl genpkey -algorithm ed25519 -aes-128-cbc -pass pass:x "
                        "-out enc.pem 2>/dev/null && "
                        "chmod 600 ed.pem ec.pem p384.pem rsa.pem enc.pem"),
                     0);
}

static char *
load_error(const char *path)
{
    struct ab_error err = AB_ERROR_INIT;
    struct sign_key *k = NULL;
    assert_int_equal(sign_key_load(path, &k, &err), -1);
    assert_null(k);
    char *msg = unit_error_text(&err);
    ab_error_release(&err);
    return msg;
}

/* What is refused, and why: never the key's bytes in the message. */
static void
test_key_refused(void **state)
{
    (void)state;
    make_keys();
    CLEANUP_FREE char *missing = load_error("none.pem");
    assert_non_null(strstr(missing, "cannot read signing key 'none.pem'"));
    assert_int_equal(chmod("ed.pem", 0640), 0);
    CLEANUP_FREE char *loose = load_error("ed.pem");
    assert_non_null(strstr(loose, "signing key 'ed.pem' may be read by others (mode 0640)"));
    assert_int_equal(chmod("ed.pem", 0604), 0);
    CLEANUP_FREE char *world = load_error("ed.pem");
    assert_non_null(strstr(world, "(mode 0604)"));
    assert_int_equal(chmod("ed.pem", 0600), 0);
    CLEANUP_FREE char *rsa = load_error("rsa.pem");
    assert_non_null(strstr(rsa, "is a key of type 'RSA'"));
    CLEANUP_FREE char *p384 = load_error("p384.pem");
    assert_non_null(strstr(p384, "EC key on curve 'secp384r1'"));
    CLEANUP_FREE char *enc = load_error("enc.pem");
    assert_non_null(strstr(enc, "cannot read signing key 'enc.pem'"));
    assert_null(strstr(enc, "BEGIN"));
    CLEANUP_FREE char *dir = load_error(".");
    assert_non_null(strstr(dir, "is not a file"));
}

static void
sign_and_check(const char *priv, const char *pub, const char *kind, const char *openssl_opts)
{
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_SIGN_KEY struct sign_key *k = NULL, *p = NULL;
    unit_check_ok(sign_key_load(priv, &k, &err), &err);
    unit_check_ok(sign_pub_load(pub, &p, &err), &err);
    assert_string_equal(sign_key_kind(k), kind);
    assert_string_equal(sign_key_kind(p), kind);
    char id1[SIGN_KEY_ID_HEX], id2[SIGN_KEY_ID_HEX];
    unit_check_ok(sign_key_id(k, id1, &err), &err);
    unit_check_ok(sign_key_id(p, id2, &err), &err);
    assert_string_equal(id1, id2);
    assert_int_equal(strlen(id1), 64);

    const char msg[] = "abc  file\n";
    CLEANUP_FREE unsigned char *sig = NULL;
    size_t n = 0;
    unit_check_ok(sign_data(k, msg, strlen(msg), &sig, &n, &err), &err);
    assert_true(sign_verify(p, msg, strlen(msg), sig, n));
    assert_true(sign_verify(k, msg, strlen(msg), sig, n));
    assert_false(sign_verify(p, "abd  file\n", strlen(msg), sig, n));
    assert_false(sign_verify(p, msg, strlen(msg), sig, n - 1));

    /* openssl(1) agrees: the customer's check, with standard tools. */
    unit_write_file("msg", msg);
    FILE *f = fopen("msg.sig", "w");
    assert_non_null(f);
    assert_int_equal(fwrite(sig, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "openssl pkeyutl -verify -pubin -inkey %s -rawin %s -in msg -sigfile msg.sig "
             ">/dev/null 2>&1",
             pub, openssl_opts);
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof(cmd), "openssl pkey -pubin -in %s -outform DER | sha256sum | "
                               "cut -c1-64 > id.txt", pub);
    assert_int_equal(sh(cmd), 0);
    f = fopen("id.txt", "r");
    char id3[80] = "";
    assert_non_null(f);
    assert_non_null(fgets(id3, sizeof(id3), f));
    fclose(f);
    id3[strcspn(id3, "\n")] = '\0';
    assert_string_equal(id1, id3);
}

static void
test_sign_verify(void **state)
{
    (void)state;
    make_keys();
    sign_and_check("ed.pem", "ed.pub", "ed25519", "");
    sign_and_check("ec.pem", "ec.pub", "ecdsa-p256", "-digest sha256");
}

/* Ed25519 signatures are the same bytes for the same message. */
static void
test_ed25519_deterministic(void **state)
{
    (void)state;
    make_keys();
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_SIGN_KEY struct sign_key *k = NULL;
    unit_check_ok(sign_key_load("ed.pem", &k, &err), &err);
    CLEANUP_FREE unsigned char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    unit_check_ok(sign_data(k, "x", 1, &a, &na, &err), &err);
    unit_check_ok(sign_data(k, "x", 1, &b, &nb, &err), &err);
    assert_int_equal(na, 64);
    assert_memory_equal(a, b, na);
}

static void
test_base64(void **state)
{
    (void)state;
    CLEANUP_FREE char *e = sign_base64("hello", 5);
    assert_string_equal(e, "aGVsbG8=");
    CLEANUP_FREE unsigned char *d = NULL;
    size_t n = 0;
    assert_int_equal(sign_unbase64("aGVsbG8=", 8, &d, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(d, "hello", 5);
    free(d);
    d = NULL;
    assert_int_equal(sign_unbase64("aGVsbA==", 8, &d, &n), 0);
    assert_int_equal(n, 4);
    free(d);
    d = NULL;
    assert_int_equal(sign_unbase64("", 0, &d, &n), 0);
    assert_int_equal(n, 0);
    free(d);
    d = NULL;
    assert_int_equal(sign_unbase64("aGVsbG8", 7, &d, &n), -1);
    assert_int_equal(sign_unbase64("aGV=bG8=", 8, &d, &n), -1);
    assert_int_equal(sign_unbase64("aGVs\nG8=", 8, &d, &n), -1);
}

/* The specification's example: PAE("http://example.com/HelloWorld",
 * "hello world"). */
static void
test_pae(void **state)
{
    (void)state;
    size_t n = 0;
    CLEANUP_FREE unsigned char *p = dsse_pae("http://example.com/HelloWorld", "hello world", 11, &n);
    const char want[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

static void
test_envelope(void **state)
{
    (void)state;
    make_keys();
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_SIGN_KEY struct sign_key *k = NULL, *other = NULL;
    unit_check_ok(sign_key_load("ed.pem", &k, &err), &err);
    unit_check_ok(sign_key_load("ec.pem", &other, &err), &err);
    const char body[] = "{\"_type\": \"https://in-toto.io/Statement/v1\"}\n";
    CLEANUP_FREE char *line = NULL;
    unit_check_ok(dsse_sign(DSSE_INTOTO_TYPE, body, strlen(body), k, &line, &err), &err);
    assert_non_null(strchr(line, '\n'));
    assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
    struct dsse_envelope env;
    unit_check_ok(dsse_parse(line, strlen(line), "x.intoto.jsonl", &env, &err), &err);
    assert_string_equal(env.payload_type, DSSE_INTOTO_TYPE);
    assert_int_equal(env.payload_len, strlen(body));
    assert_memory_equal(env.payload, body, env.payload_len);
    assert_int_equal(env.n_sigs, 1);
    assert_int_equal(strlen(env.sigs[0].keyid), 64);
    assert_true(dsse_verify(&env, k));
    assert_false(dsse_verify(&env, other));
    env.payload[0] = '[';
    assert_false(dsse_verify(&env, k));
    dsse_envelope_release(&env);

    static const char *const bad[] = {
        "", "{", "[]", "{\"payloadType\": \"x\"}",
        "{\"payloadType\": \"x\", \"payload\": \"e30=\"}",
        "{\"payloadType\": \"x\", \"payload\": \"e30=\", \"signatures\": []}",
        "{\"payloadType\": \"x\", \"payload\": \"e30\", \"signatures\": [{\"sig\": \"AA==\"}]}",
        "{\"payloadType\": \"x\", \"payload\": \"e30=\", \"signatures\": [{\"sig\": 1}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(dsse_parse(bad[i], strlen(bad[i]), "e", &env, &err), -1);
        CLEANUP_FREE char *msg = unit_error_text(&err);
        assert_non_null(strstr(msg, "'e' is not a DSSE envelope: "));
        ab_error_release(&err);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_refused),    cmocka_unit_test(test_sign_verify),
        cmocka_unit_test(test_ed25519_deterministic), cmocka_unit_test(test_base64),
        cmocka_unit_test(test_pae),            cmocka_unit_test(test_envelope),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
