/* names.c: the forms of the names and strings a recipe may hold. */
#include "appliance/names.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
all_of(const char *s, const char *extra, bool lower_only)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool ok = isdigit(c) || (lower_only ? islower(c) : isalpha(c)) || strchr(extra, c);
        if (!ok || c == '\0')
            return false;
    }
    return true;
}

const char *
name_check_appliance(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len > 63)
        return "must be 1 to 63 characters";
    if (!islower((unsigned char)text[0]) && !isdigit((unsigned char)text[0]))
        return "must start with a lowercase letter or a digit";
    if (!all_of(text, "-", true))
        return "only lowercase letters, digits and '-' are allowed";
    return NULL;
}

const char *
name_check_version(const char *text)
{
    if (text[0] == '\0')
        return "must not be empty";
    if (strlen(text) > 64)
        return "must be at most 64 characters";
    for (const char *c = text; *c; c++) {
        if (*c == '/')
            return "must not contain '/'";
        if (isspace((unsigned char)*c))
            return "must not contain white space";
        if (iscntrl((unsigned char)*c))
            return "must not contain control characters";
    }
    return NULL;
}

static const char *const lvm_reserved_parts[] = {
    "_cdata", "_cmeta", "_corig", "_iorig", "_mimage", "_mlog", "_pmspare", "_rimage",
    "_rmeta", "_tdata", "_tmeta", "_vdata", "_vorigin", "_wcorig",
};

const char *
name_check_lvm(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len > 127)
        return "must be 1 to 127 characters";
    if (strcmp(text, ".") == 0 || strcmp(text, "..") == 0)
        return "'.' and '..' are not allowed";
    if (text[0] == '-')
        return "must not start with '-'";
    if (!all_of(text, "+_.-", false))
        return "only letters, digits and '+', '_', '.', '-' are allowed";
    if (strncmp(text, "snapshot", 8) == 0 || strncmp(text, "pvmove", 6) == 0)
        return "names starting with 'snapshot' or 'pvmove' are reserved by LVM";
    for (size_t i = 0; i < sizeof(lvm_reserved_parts) / sizeof(lvm_reserved_parts[0]); i++)
        if (strstr(text, lvm_reserved_parts[i]))
            return "contains a suffix reserved by LVM";
    return NULL;
}

const char *
name_check_user(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len > 32)
        return "must be 1 to 32 characters";
    if (!islower((unsigned char)text[0]) && text[0] != '_')
        return "must start with a lowercase letter or '_'";
    if (!all_of(text, "_-", true))
        return "only lowercase letters, digits, '_' and '-' are allowed";
    return NULL;
}

const char *
name_check_hostname(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len > 253)
        return "must be 1 to 253 characters";
    const char *label = text;
    for (;;) {
        const char *dot = strchr(label, '.');
        size_t l = dot ? (size_t)(dot - label) : strlen(label);
        if (l == 0 || l > 63)
            return "each label must be 1 to 63 characters";
        if (label[0] == '-' || label[l - 1] == '-')
            return "labels must not start or end with '-'";
        for (size_t i = 0; i < l; i++) {
            unsigned char c = (unsigned char)label[i];
            if (!isdigit(c) && !islower(c) && c != '-')
                return "only lowercase letters, digits, '-' and '.' are allowed";
        }
        if (!dot)
            return NULL;
        label = dot + 1;
    }
}

const char *
name_check_timezone(const char *text)
{
    if (strlen(text) > 64)
        return "must be at most 64 characters";
    size_t len = strlen(text);
    if (len == 0 || text[0] == '/' || text[len - 1] == '/' || strstr(text, "..") ||
        strstr(text, "//"))
        return "must be a zone name such as 'Europe/Rome' or 'UTC'";
    if (!all_of(text, "/_+-", false))
        return "must be a zone name such as 'Europe/Rome' or 'UTC'";
    return NULL;
}

const char *
name_check_locale(const char *text)
{
    if (strcmp(text, "C") == 0 || strcmp(text, "POSIX") == 0)
        return NULL;
    if (strlen(text) > 64)
        return "must be at most 64 characters";
    if (!isalpha((unsigned char)text[0]) || !all_of(text, "_.@-", false))
        return "must be a locale such as 'en_US.UTF-8' or 'C.UTF-8'";
    return NULL;
}

const char *
name_check_package(const char *text)
{
    if (strlen(text) > 200)
        return "must be at most 200 characters";
    unsigned char c = (unsigned char)text[0];
    if (!isalnum(c) && c != '@')
        return "must start with a letter, a digit or '@' (a group)";
    if (c == '@' && text[1] == '\0')
        return "a group name must follow '@'";
    if (!all_of(text + 1, "+._:=~-", false))
        return "only letters, digits and '+', '.', '_', ':', '=', '~', '-' are allowed";
    return NULL;
}

/* NULL when text is one of schemes (n of them) with something after it
 * and no white space; else why not, or wrong when no scheme matches. */
static const char *
check_url(const char *text, const char *const *schemes, size_t n, const char *wrong)
{
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(schemes[i]);
        if (strncmp(text, schemes[i], l) == 0) {
            if (text[l] == '\0')
                return "the address has nothing after the scheme";
            for (const char *c = text; *c; c++)
                if (isspace((unsigned char)*c) || iscntrl((unsigned char)*c))
                    return "must not contain white space";
            return NULL;
        }
    }
    return wrong;
}

const char *
name_check_mirror(const char *text)
{
    static const char *const schemes[] = {"http://", "https://", "file:///"};
    return check_url(text, schemes, 3, "must be an http://, https:// or file:/// address");
}

const char *
name_check_web_url(const char *text)
{
    static const char *const schemes[] = {"http://", "https://"};
    return check_url(text, schemes, 2, "must be an http:// or https:// address");
}

const char *
name_check_hardware_family(const char *text)
{
    if (strncmp(text, "vmx-", 4) != 0)
        return "must be 'vmx-NN' (vSphere rejects other families)";
    const char *n = text + 4;
    size_t l = strlen(n);
    if (l < 1 || l > 2 || !all_of(n, "", false) || !isdigit((unsigned char)n[0]) ||
        (l == 2 && !isdigit((unsigned char)n[1])))
        return "must be 'vmx-' and a number, such as 'vmx-13'";
    if (atoi(n) < 4)
        return "hardware versions below vmx-4 do not exist";
    return NULL;
}

const char *
name_check_password_hash(const char *text)
{
    if (strcmp(text, "!") == 0 || strcmp(text, "*") == 0)
        return NULL; /* locked */
    size_t dollars = 0;
    for (const char *c = text; *c; c++) {
        if (*c == '$')
            dollars++;
        else if (!isalnum((unsigned char)*c) && !strchr("./=,", *c))
            return "is not a crypt(3) hash (a plain password is never accepted)";
    }
    if (text[0] != '$' || dollars < 3)
        return "is not a crypt(3) hash (a plain password is never accepted)";
    return NULL;
}

static const char *const ssh_key_types[] = {
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
};

const char *
name_check_ssh_key(const char *text)
{
    const char *sp = strchr(text, ' ');
    if (!sp)
        return "must be 'TYPE BASE64 [COMMENT]' as in authorized_keys";
    size_t tl = (size_t)(sp - text);
    bool known = false;
    for (size_t i = 0; i < sizeof(ssh_key_types) / sizeof(ssh_key_types[0]); i++)
        if (strlen(ssh_key_types[i]) == tl && strncmp(text, ssh_key_types[i], tl) == 0)
            known = true;
    if (!known)
        return "has an unknown key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...)";
    const char *b = sp + 1;
    size_t bl = strcspn(b, " ");
    if (bl < 16)
        return "has no key data after its type";
    for (size_t i = 0; i < bl; i++)
        if (!isalnum((unsigned char)b[i]) && b[i] != '+' && b[i] != '/' && b[i] != '=')
            return "key data is not base64";
    return NULL;
}

const char *
name_check_owner(const char *text)
{
    const char *colon = strchr(text, ':');
    if (text[0] == '\0' || colon == text || (colon && colon[1] == '\0'))
        return "must be 'user', 'user:group' or numeric 'uid:gid'";
    for (const char *c = text; *c; c++) {
        if (*c == ':' && c != colon)
            return "must be 'user', 'user:group' or numeric 'uid:gid'";
        if (*c != ':' && !isalnum((unsigned char)*c) && !strchr("_-", *c))
            return "must be 'user', 'user:group' or numeric 'uid:gid'";
    }
    return NULL;
}

const char *
path_check_absolute(const char *text, int allow_trailing_slash)
{
    if (text[0] != '/')
        return "must be an absolute path";
    if (strlen(text) > 1024)
        return "must be at most 1024 characters";
    if (strcmp(text, "/") == 0)
        return NULL;
    const char *c = text + 1;
    for (;;) {
        size_t l = strcspn(c, "/");
        if (l == 0)
            return c[0] == '\0' && allow_trailing_slash ? NULL : "is not normalised (empty component or trailing '/')";
        if ((l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
            return "is not normalised ('.' or '..' component)";
        for (size_t i = 0; i < l; i++)
            if (iscntrl((unsigned char)c[i]))
                return "must not contain control characters";
        if (c[l] == '\0')
            return NULL;
        c += l + 1;
    }
}

const char *
path_check_relative_inside(const char *text)
{
    if (text[0] == '\0')
        return "must not be empty";
    if (text[0] == '/')
        return "must be relative to the recipe's folder";
    if (strlen(text) > 1024)
        return "must be at most 1024 characters";
    int depth = 0;
    const char *c = text;
    while (*c) {
        size_t l = strcspn(c, "/");
        if (l == 2 && c[0] == '.' && c[1] == '.') {
            if (--depth < 0)
                return "is outside the recipe's folder";
        } else if (l > 0 && !(l == 1 && c[0] == '.')) {
            depth++;
        }
        c += l;
        if (*c == '/')
            c++;
    }
    return NULL;
}

int
mode_parse(const char *text)
{
    size_t l = strlen(text);
    if (l < 3 || l > 5)
        return -1;
    int mode = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '7')
            return -1;
        mode = mode * 8 + (*c - '0');
    }
    return mode > 07777 ? -1 : mode;
}

void
url_redact(const char *url, char *buf, size_t size)
{
    const char *start = strstr(url, "://");
    const char *host = start ? start + 3 : url;
    size_t auth = strcspn(host, "/@");
    if (!start || host[auth] != '@') {
        snprintf(buf, size, "%s", url);
        return;
    }
    snprintf(buf, size, "%.*s***%s", (int)(host - url), url, host + auth);
}
