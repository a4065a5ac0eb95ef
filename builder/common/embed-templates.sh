#!/bin/sh
# embed-templates.sh FILE...: the C source of the template table
# (template_table.h) holding the bytes of each FILE, on stdout. The Makefile
# runs it on templates/* into $(BUILD)/gen/templates.c. A name is the
# file's base name, of letters, digits, '.', '_' and '-' only; the files are
# given sorted.
set -eu
echo '/* Generated from templates/ by builder/common/embed-templates.sh: do not edit. */'
echo '#include "common/template_table.h"'
echo
i=0
for f in "$@"; do
    name=${f##*/}
    case $name in
    '' | *[!A-Za-z0-9._-]*)
        echo "embed-templates.sh: '$f': a template's name is of [A-Za-z0-9._-]" >&2
        exit 1
        ;;
    esac
    echo "static const char t${i}[] = {"
    od -An -v -tx1 "$f" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1, /g; s/^/   /; s/, $/,/'
    echo '    0x00};'
    i=$((i + 1))
done
echo
echo 'const struct template_file template_files[] = {'
i=0
for f in "$@"; do
    echo "    {\"${f##*/}\", t$i, $(wc -c <"$f")},"
    i=$((i + 1))
done
echo '};'
echo "const size_t template_files_n = $i;"
