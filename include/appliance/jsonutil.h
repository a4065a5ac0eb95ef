/* jsonutil.h: the two json-c shorthands every JSON writer uses. */
#ifndef APPLIANCE_JSONUTIL_H
#define APPLIANCE_JSONUTIL_H

#include <json-c/json.h>
#include <stdint.h>

/* key: value, or key: null when value is NULL. */
static inline void
put_str(json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

static inline void
put_u64(json_object *o, const char *key, uint64_t value)
{
    json_object_object_add(o, key, json_object_new_int64((int64_t)value));
}

#endif
