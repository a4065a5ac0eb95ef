#!/bin/bash
# tier: check
# schema.sh: the recipe's JSON Schema (`appliance schema`) against the
# recipe fixtures, judged by python3-jsonschema, a validator nobody here
# wrote.
#
#   every tests/data/recipes/valid/*.yaml and recipes/*.yaml validates;
#   every tests/data/recipes/invalid/*.yaml whose golden .err reports an
#   error of a kind a schema can state (an unknown key, a missing key, a
#   wrong type, a value out of bounds, an unknown name, a name listed
#   twice) fails it;
#   the others (sizes that do not fit, paths, names of the wrong form,
#   YAML errors) are listed as skipped: the program alone judges them;
#   docs/recipe.md, written by hand, names every key the schema has, and
#   recipes/reference.yaml shows each.
#
# Recipes are read as an editor's YAML 1.2 language server reads them
# (the core schema: true and false only, 0644 the decimal 644, no dates),
# not with PyYAML's YAML 1.1 defaults, which an editor never uses.
# Run from the top of the repository (APPLIANCE and TOP in the environment).
set -u

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
APPLIANCE=${APPLIANCE:-$TOP/build/appliance}

die() {
    echo "schema.sh: $*" >&2
    echo "Bail out! $*"
    exit 1
}

[ -x "$APPLIANCE" ] || die "APPLIANCE='$APPLIANCE' is not an executable"
python3 -c 'import jsonschema, yaml' 2>/dev/null ||
    die "python3-jsonschema and python3-yaml are needed (make deps)"

schema=$(mktemp "${TMPDIR:-/tmp}/schema.XXXXXX") || die "mktemp failed"
trap 'rm -f "$schema"' EXIT
"$APPLIANCE" schema >"$schema" || die "'appliance schema' failed"

exec python3 - "$schema" "$TOP" <<'PY'
import glob, json, os, re, sys

import jsonschema
import yaml

schema_path, top = sys.argv[1], sys.argv[2]
results = []


def report(ok, what, why=()):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {what}")
    for line in why:
        print(f"#   {line}")


class Core12(yaml.SafeLoader):
    """YAML 1.2's core schema, as far as a recipe needs it."""


Core12.yaml_implicit_resolvers = {}
for tag, regexp, first in [
    ("bool", r"^(?:true|false)$", "tf"),
    ("int", r"^[-+]?[0-9]+$", "-+0123456789"),
    ("float", r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"
              r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$", "-+0123456789."),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    Core12.add_implicit_resolver("tag:yaml.org,2002:" + tag, re.compile(regexp), list(first))
Core12.add_constructor("tag:yaml.org,2002:int",
                       lambda loader, node: int(loader.construct_scalar(node), 10))

try:
    with open(schema_path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    report(True, "the schema is JSON and a valid draft 2020-12 schema")
except Exception as e:  # noqa: BLE001 (any failure here is the finding)
    report(False, "the schema is JSON and a valid draft 2020-12 schema", [str(e)])
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(1)


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=Core12)


def problems(doc):
    return sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))


def where(e):
    return "/".join(str(p) for p in e.absolute_path) or "(top)"


# Errors a schema can state, by the program's own words in the goldens.
KINDS = [
    ("an unknown key", r"error: unknown key '|error: disk 'app' has no boot partition: "),
    ("a missing key", r"error: missing required key '"),
    ("a wrong type", r" must be (a |an |true or false|one of )[^:]*, not |error: \S+ is empty$"),
    ("a value out of bounds",
     r" must be from [0-9]+ to [0-9]+, not | is too long \(| has too many items \("
     r"|error: unsupported recipe format "),
    ("an unknown name", r"error: unknown \S+ '.*': expected |error: unknown value '.*' in "),
    ("a name listed twice", r" is listed twice in "),
]

valid = sorted(glob.glob(os.path.join(top, "tests/data/recipes/valid/*.yaml")) +
               glob.glob(os.path.join(top, "recipes/*.yaml")))
for path in valid:
    name = os.path.relpath(path, top)
    try:
        errors = problems(load(path))
    except yaml.YAMLError as e:
        report(False, f"{name} validates", [f"not YAML: {e}"])
        continue
    report(not errors, f"{name} validates",
           [f"{where(e)}: {e.message}" for e in errors[:5]])

skipped = 0
for path in sorted(glob.glob(os.path.join(top, "tests/data/recipes/invalid/*.yaml"))):
    name = os.path.relpath(path, top)
    with open(path[:-5] + ".err", encoding="utf-8") as f:
        golden = f.read().splitlines()
    kinds = [k for k, rx in KINDS if any(re.search(rx, line) for line in golden)]
    if not kinds:
        skipped += 1
        print(f"# skip {name}: {golden[0].split('error: ', 1)[-1] if golden else '(no golden)'}")
        continue
    try:
        errors = problems(load(path))
    except yaml.YAMLError as e:
        report(False, f"{name} fails ({', '.join(kinds)})", [f"not YAML: {e}"])
        continue
    report(bool(errors), f"{name} fails ({', '.join(kinds)})",
           [f"the schema takes it; the program says: {line}" for line in golden[:3]]
           if not errors else [])

# docs/recipe.md, the long form, is written by hand: it must name every
# key of the table (as `key` or `key:`), so that a new key is documented.
def key_paths(node, prefix=""):
    for key, sub in node.get("properties", {}).items():
        yield prefix + key, key
        inner = sub if sub.get("type") == "object" else sub.get("items", {})
        yield from key_paths(inner if isinstance(inner, dict) else {}, prefix + key + ".")


with open(os.path.join(top, "docs/recipe.md"), encoding="utf-8") as f:
    guide = f.read()
unnamed = [p for p, k in key_paths(schema) if f"`{k}`" not in guide and f"`{k}:" not in guide]
report(not unnamed, "docs/recipe.md names every key of the table",
       [f"not named: {p}" for p in unnamed])

# recipes/reference.yaml "shows every key" (appliance-recipe(5)): each key
# of the table is in it, as a key or in a comment ("# rootfs: ..."). The
# two disks share their keys.
def given_paths(node, prefix=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + key
            yield from given_paths(value, prefix + key + ".")
    elif isinstance(node, list):
        for value in node:
            yield from given_paths(value, prefix)


def shared(path):
    return re.sub(r"^disks\.(os|app)\.", "disks.*.", path)


reference = os.path.join(top, "recipes/reference.yaml")
with open(reference, encoding="utf-8") as f:
    reference_text = f.read()
given = {shared(p) for p in given_paths(load(reference))}
commented = set(re.findall(r"#\s*([a-z_]+):", reference_text))
unshown = sorted({shared(p) for p, k in key_paths(schema)} - given -
                 {shared(p) for p, k in key_paths(schema) if k in commented})
report(not unshown, "recipes/reference.yaml shows every key of the table",
       [f"not shown: {p}" for p in unshown])

n_valid = len(valid)
n_failing = len(results) - 3 - n_valid
report(n_valid >= 8 and n_failing >= 15,
       f"enough cases ({n_valid} valid, {n_failing} refused by the schema, {skipped} skipped)")
passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
PY
