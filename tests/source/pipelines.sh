#!/bin/bash
# tier: check
# The CI examples of docs/pipelines/ (GitLab, GitHub Actions, a Kubernetes
# Job and Pod) parse as YAML, run only commands and options the tool has,
# and ask for no privilege (tests/lib/pipelines.py). A renamed option
# would otherwise leave users a pipeline that fails on its first line.
# The judge must catch a fault: a copy with an option the tool lacks and
# one with a privileged container are refused first.
set -u
top=${TOP:-$PWD}
cd "$top" || exit 99
tool=${BUILD:-build}/appliance
[ -x "$tool" ] || { echo "not ok - $tool is not built"; exit 1; }
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml is not installed (make deps)"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/pipelines.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
fail=0

sed 's/--progress=json/--progress=json --no-such-option/' docs/pipelines/kubernetes-job.yaml >"$T/opt.yaml"
sed 's/privileged: false/privileged: true/' docs/pipelines/kubernetes-pod.yaml >"$T/priv.yaml"
printf 'a: [b\n' >"$T/broken.yaml"
for f in opt priv broken; do
    if python3 tests/lib/pipelines.py "$tool" "$T/$f.yaml" >"$T/$f.out" 2>&1; then
        echo "not ok - the judge accepts $f.yaml:"
        cat "$T/$f.out"
        fail=1
    else
        echo "ok - the judge refuses $f.yaml: $(grep -m1 '^not ok' "$T/$f.out" | cut -c10-)"
    fi
done

python3 tests/lib/pipelines.py "$tool" docs/pipelines/*.y*ml || fail=1
exit $fail
