/* redact.h: secrets kept out of the build log and error messages.
 *
 * A recipe's run lines, and the commands a build runs, may carry secrets
 * as shell assignments or options. redact() copies a text with the value
 * of each of them replaced by "***":
 *
 *   NAME=VALUE      (also --NAME=VALUE, and inside a word: url?NAME=VALUE)
 *   --NAME VALUE    (also -NAME VALUE; VALUE is the next word, unless it
 *                    is itself an option)
 *
 * when NAME contains secret, password, passwd, token or key, in any case;
 * and the user information of a URL, "user:pass" in
 * "https://user:pass@host/", becomes "***" (as url_redact() does in the
 * plan).
 * A VALUE ends at a blank, ';', '&' or '|' outside quotes; quotes and
 * backslashes are honoured the shell's way, so a quoted value is hidden
 * whole. Everything else is copied as it is. */
#ifndef APPLIANCE_REDACT_H
#define APPLIANCE_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#define REDACTED "***"

/* True when the name (len bytes, not NUL-terminated) looks like a secret's. */
bool redact_name_is_secret(const char *name, size_t len);

/* A malloc'd copy of text with secret values replaced; NULL when out of
 * memory. */
char *redact(const char *text);

#endif
