/* unit_xml.h: XPath assertions for the tests of the XML writers (OVF,
 * libvirt). Include after unit.h. */
#ifndef APPLIANCE_TEST_UNIT_XML_H
#define APPLIANCE_TEST_UNIT_XML_H

#include <inttypes.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

struct xq {
    xmlDocPtr doc;
    xmlXPathContextPtr ctx;
};

/* Parses path (no network) for XPath queries; register namespaces on
 * q->ctx with xmlXPathRegisterNs where the document has them. */
static inline void
xq_open(struct xq *q, const char *path)
{
    q->doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(q->doc);
    q->ctx = xmlXPathNewContext(q->doc);
    assert_non_null(q->ctx);
}

static inline void
xq_close(struct xq *q)
{
    xmlXPathFreeContext(q->ctx);
    xmlFreeDoc(q->doc);
}

/* The string value of expr must be want. */
static __attribute__((unused)) void
assert_xpath_str(struct xq *q, const char *expr, const char *want)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, q->ctx);
    assert_non_null(o);
    xmlChar *s = xmlXPathCastToString(o);
    if (strcmp((const char *)s, want) != 0)
        print_error("%s: got '%s', want '%s'\n", expr, (const char *)s, want);
    assert_string_equal((const char *)s, want);
    xmlFree(s);
    xmlXPathFreeObject(o);
}

static __attribute__((unused)) void
assert_xpath_u64(struct xq *q, const char *expr, uint64_t want)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, want);
    assert_xpath_str(q, expr, buf);
}

/* count(expr) must be want. */
static __attribute__((unused)) void
assert_count(struct xq *q, const char *expr, unsigned want)
{
    char buf[1024];
    assert_true(snprintf(buf, sizeof(buf), "count(%s)", expr) < (int)sizeof(buf));
    assert_xpath_u64(q, buf, want);
}

#endif
