#!/bin/bash
# tier: lifecycle
# timeout: 3600
# Publishing and the shared cache, against a real registry: Debian's
# docker-registry (the CNCF distribution registry) started here on
# 127.0.0.1, on a free port, with TLS (a certificate openssl makes now)
# and htpasswd authentication, its own configuration and storage, and
# stopped at the end. Credentials are in an auth file named by
# REGISTRY_AUTH_FILE, never on a command line.
#  - three builds of tests/integration/recipes/registry.yaml against one
#    registry: the first (this machine's root trees in its local cache, no
#    disks; REGISTRY_COLD=1: nothing) pushes the root tree and both disks;
#    then two at once, each from an empty local cache, pull them (their
#    reports say so, no mmdebstrap) and write the same SHA256SUMS;
#  - push, then pull: identical files; skopeo inspect reads the artifact
#    and the containerDisk images; a containerDisk holds /disk/NAME.qcow2
#    owned by 107:107; the VirtualMachine manifest, checked by structure;
#  - a tampered blob in the registry: refused, rebuilt, same SHA256SUMS
#    (the registry keeps the bad blob under its digest: a push cannot
#    replace it, so every pull refuses it until the registry is repaired);
#  - the registry stopped: a local build with a notice;
#  - the password and the auth token appear in no output, log or report.
. "${TOP:-.}/tests/lib/itest.sh"
need docker-registry htpasswd skopeo openssl python3

work=$ITEST_TMP/registry
mkdir -p "$work/storage" "$work/auth" "$work/home" "$work/run"
recipe=$TOP/tests/integration/recipes/registry.yaml
stem=layout-0.1.0
password="appliance-test-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
host=127.0.0.1:$port

# The registry: TLS with a self-signed certificate for 127.0.0.1, htpasswd.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
    -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null ||
    { bad "openssl made no certificate"; finish; }
htpasswd -Bbc "$work/htpasswd" tester "$password" 2>/dev/null || { bad "htpasswd failed"; finish; }
cat >"$work/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: $host
  secret: appliance-registry-test
  tls:
    certificate: $work/cert.pem
    key: $work/key.pem
auth:
  htpasswd:
    realm: appliance-test
    path: $work/htpasswd
EOF
registry_pid=
start_registry() {
    docker-registry serve "$work/config.yml" >>"$work/registry.log" 2>&1 &
    registry_pid=$!
    for _ in $(seq 50); do
        curl -fsS --cacert "$work/cert.pem" -u "tester:$password" "https://$host/v2/" >/dev/null 2>&1 &&
            return 0
        sleep 0.2
    done
    return 1
}
stop_registry() {
    [ -n "$registry_pid" ] || return 0
    kill "$registry_pid" 2>/dev/null
    wait "$registry_pid" 2>/dev/null
    registry_pid=
}
trap 'stop_registry; itest_cleanup' EXIT
start_registry && ok "docker-registry serves TLS with htpasswd on $host" ||
    { bad "the registry did not start: $(tail -5 "$work/registry.log")"; finish; }

# The credentials, only in the standard auth file; the CA, only here.
token=$(printf 'tester:%s' "$password" | base64 -w0)
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$host" "$token" >"$work/auth/auth.json"
chmod 600 "$work/auth/auth.json"
export REGISTRY_AUTH_FILE=$work/auth/auth.json SSL_CERT_FILE=$work/cert.pem
# This machine's root-tree cache, as a build by this user finds it.
machine_cache=${APPLIANCE_CACHE_DIR:-/var/cache/appliance}
[ "$(id -u)" = 0 ] || machine_cache=${APPLIANCE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/appliance}
export HOME=$work/home XDG_RUNTIME_DIR=$work/run
cache_ref=$host/appliance/cache

report_get() { # REPORT KEY...: a member of the report, as JSON
    python3 -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v[k]
print(json.dumps(v))' "$@" 2>/dev/null
}

build() { # NAME ARGS...: a build into $work/NAME with its own log and output
    local name=$1
    shift
    "$APPLIANCE" build "$recipe" -o "$work/$name" --log "$work/$name.log" "$@" \
        >"$work/$name.out" 2>"$work/$name.err"
}

stage_seconds() { # REPORT: the build's stages, added up (the push after them excluded)
    python3 -c 'import json,sys
print(round(sum(s["seconds"] for s in json.load(open(sys.argv[1]))["stages"])))' "$1"
}

# ---- three runners, one registry ---------------------------------------
# Runner a has made this OS's root tree before: its local cache holds the
# trees of this machine's (hard links, when there are any), so that it
# pushes without spending minutes in mmdebstrap; its disks it builds.
# REGISTRY_COLD=1 leaves its cache empty too, to time a cold runner.
# Runners b1 and b2 then start at once from empty local caches and must
# take everything from the registry, pulling the same entries together.
mkdir -p "$work/cache-a/roots"
[ "${REGISTRY_COLD:-0}" = 1 ] ||
    find "$machine_cache/roots" -maxdepth 1 -type f \( -name '*.tar' -o -name '*.sum' -o -name '*.distro' \) \
        -exec cp -l -t "$work/cache-a/roots" {} + 2>/dev/null || true
start=$SECONDS
if build a --cache-dir "$work/cache-a" --cache-registry "$cache_ref"; then
    ok "first build (no disks in its local cache) succeeds"
else
    bad "first build failed: $(tail -5 "$work/a.err")"
    finish
fi
[ "$(report_get "$work/a/build-report.json" cache_registry root_tree)" = '"missing"' ] &&
    ok "first build: the registry had no root tree (report)" ||
    bad "first build's report: $(report_get "$work/a/build-report.json" cache_registry)"
grep -q 'root tree: pushed to the cache registry' "$work/a.err" &&
    grep -q 'OS disk: pushed to the cache registry' "$work/a.err" &&
    grep -q 'application disk: pushed to the cache registry' "$work/a.err" &&
    ok "first build pushed the root tree and both disks" ||
    bad "first build did not push: $(grep notice "$work/a.err" | tail -5)"
rm -rf "$work/cache-a"
time_a=$((SECONDS - start))
start=$SECONDS

# b1 names the registry on its command line, b2 in the environment.
build b1 --cache-dir "$work/cache-b1" --cache-registry "$cache_ref" &
pid1=$!
APPLIANCE_CACHE_REGISTRY=$cache_ref build b2 --cache-dir "$work/cache-b2" &
pid2=$!
rc1=0 rc2=0
wait "$pid1" || rc1=$?
wait "$pid2" || rc2=$?
time_b=$((SECONDS - start))
for b in b1 b2; do
    rc=$rc1
    [ "$b" = b2 ] && rc=$rc2
    if [ "$rc" = 0 ]; then
        ok "$b: a concurrent build from an empty local cache succeeds"
    else
        bad "$b failed: $(tail -5 "$work/$b.err")"
        continue
    fi
    reg=$(report_get "$work/$b/build-report.json" cache_registry)
    [ "$(report_get "$work/$b/build-report.json" cache_registry root_tree)" = '"pulled"' ] &&
        [ "$(report_get "$work/$b/build-report.json" cache_registry disks os)" = '"pulled"' ] &&
        [ "$(report_get "$work/$b/build-report.json" cache_registry disks app)" = '"pulled"' ] &&
        ok "$b pulled the root tree and both disks (report: $reg)" ||
        bad "$b's report: $reg"
    grep -Eq '^\+ (unshare .* -- )?mmdebstrap ' "$work/$b.log" && bad "$b ran mmdebstrap" ||
        ok "$b: no mmdebstrap"
    grep -q 'disk: reused from the cache' "$work/$b.err" && ok "$b reused its disks" ||
        bad "$b built its disks: $(grep 'disk:' "$work/$b.err")"
    cmp -s "$work/a/SHA256SUMS" "$work/$b/SHA256SUMS" && ok "a and $b: the same SHA256SUMS" ||
        bad "SHA256SUMS differ: $(diff "$work/a/SHA256SUMS" "$work/$b/SHA256SUMS" | head -5)"
done
echo "# runner a$([ "${REGISTRY_COLD:-0}" = 1 ] && echo ', cold,'):" \
    "$(stage_seconds "$work/a/build-report.json") s building ($time_a s with its push);" \
    "runners b1 and b2 at once, cold, with the registry:" \
    "$(stage_seconds "$work/b1/build-report.json" 2>/dev/null) s and" \
    "$(stage_seconds "$work/b2/build-report.json" 2>/dev/null) s building ($time_b s for both)"
rm -rf "$work/b1" "$work/b2" "$work/cache-b1" "$work/cache-b2"

# ---- push and pull --------------------------------------------------------
ref=$host/appliance/layout:0.1.0
if "$APPLIANCE" push "$work/a" "$ref" --json --log "$work/push.log" >"$work/push.json" \
    2>"$work/push.err"; then
    ok "push succeeds"
else
    bad "push failed: $(cat "$work/push.err")"
    finish
fi
pinned=$(report_get "$work/push.json" ref | tr -d '"')
case $pinned in
"$host/appliance/layout@sha256:"*) ok "push prints the artifact pinned: $pinned" ;;
*) bad "push printed $(cat "$work/push.json")" ;;
esac
if skopeo inspect --raw "docker://$ref" >"$work/manifest.json" 2>"$work/inspect.err"; then
    ok "skopeo inspect reads the artifact"
    python3 - "$work/manifest.json" "$work/a/SHA256SUMS" <<'EOF' && ok "the artifact: type, a layer per file with its media type and digest, annotations" || bad "the artifact's manifest: $(head -c 600 "$work/manifest.json")"
import json, sys
m = json.load(open(sys.argv[1]))
sums = {l.split()[1]: l.split()[0] for l in open(sys.argv[2])}
assert m["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
assert m["artifactType"] == "application/vnd.appliance.build.v1+json"
assert m["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
layers = {l["annotations"]["org.opencontainers.image.title"]: l for l in m["layers"]}
for name, hex in sums.items():
    assert layers[name]["digest"] == "sha256:" + hex, name
assert set(layers) == set(sums) | {"SHA256SUMS", "build-report.json"}, set(layers) ^ set(sums)
assert layers["layout-0.1.0.ova"]["mediaType"] == "application/x-virtualbox-ova"
assert layers["layout-0.1.0-os.qcow2"]["mediaType"] == "application/x-qemu-disk"
a = m["annotations"]
assert a["vnd.appliance.recipe.name"] == "layout" and a["vnd.appliance.recipe.version"] == "0.1.0"
assert a["vnd.appliance.sha256sums.digest"] == layers["SHA256SUMS"]["digest"]
assert a["vnd.appliance.containerdisk.os"].startswith("127.0.0.1:")
EOF
else
    bad "skopeo inspect --raw: $(cat "$work/inspect.err")"
fi
if "$APPLIANCE" pull "$ref" -o "$work/pulled" >"$work/pull.out" 2>"$work/pull.err"; then
    ok "pull succeeds"
    diff -r "$work/a" "$work/pulled" >/dev/null && ok "pull brings back identical files" ||
        bad "pulled files differ: $(diff -rq "$work/a" "$work/pulled" | head -5)"
    (cd "$work/pulled" && sha256sum -c --quiet SHA256SUMS) && ok "sha256sum -c SHA256SUMS in the pulled folder" ||
        bad "sha256sum -c failed in the pulled folder"
else
    bad "pull failed: $(cat "$work/pull.err")"
fi
rm -rf "$work/pulled"
"$APPLIANCE" pull "$host/appliance/layout:no-such-tag" -o "$work/nothing" >/dev/null 2>"$work/pull2.err" &&
    bad "pull of a missing tag succeeded" || ok "pull of a missing tag fails: $(head -1 "$work/pull2.err" | cut -c1-120)"
[ ! -e "$work/nothing" ] && ok "a failed pull leaves no folder" || bad "a failed pull left $work/nothing"

# The containerDisks: images skopeo reads, /disk/NAME.qcow2 owned by 107.
for disk in os app; do
    if skopeo inspect "docker://$ref-$disk" >"$work/cd-$disk.json" 2>"$work/cd.err"; then
        [ "$(report_get "$work/cd-$disk.json" Architecture)" = '"amd64"' ] &&
            ok "skopeo inspect reads the $disk containerDisk (amd64)" ||
            bad "the $disk containerDisk: $(cat "$work/cd-$disk.json")"
    else
        bad "skopeo inspect of the $disk containerDisk: $(cat "$work/cd.err")"
    fi
done
if skopeo copy -q "docker://$ref-app" "oci:$work/cd-app:x" 2>"$work/cd.err"; then
    layer=$(python3 -c 'import json,sys
d = sys.argv[1]
i = json.load(open(d + "/index.json"))["manifests"][0]["digest"].split(":")[1]
m = json.load(open(d + "/blobs/sha256/" + i))
print(d + "/blobs/sha256/" + m["layers"][0]["digest"].split(":")[1])' "$work/cd-app")
    tar -tvf "$layer" --numeric-owner >"$work/cd-app.list" 2>&1
    grep -Eq "^-r--r----- 107/107 .* disk/$stem-app.qcow2$" "$work/cd-app.list" &&
        ok "the app containerDisk holds disk/$stem-app.qcow2, 107:107" ||
        bad "containerDisk layer: $(cat "$work/cd-app.list")"
    cmp -s <(tar -xOf "$layer" "disk/$stem-app.qcow2") "$work/a/$stem-app.qcow2" &&
        ok "its qcow2 is the build's" || bad "the containerDisk's qcow2 differs from the build's"
else
    bad "skopeo copy of the containerDisk: $(cat "$work/cd.err")"
fi
rm -rf "$work/cd-app"

# The VirtualMachine, by structure (no KubeVirt schema is packaged).
python3 - "$work/a/$stem.kubevirt.yaml" <<'EOF' && ok "the VirtualMachine: kubevirt.io/v1, both disks attached as containerDisks" || bad "the VirtualMachine manifest: $(cat "$work/a/$stem.kubevirt.yaml")"
import sys, yaml
vm = yaml.safe_load(open(sys.argv[1]))
assert vm["apiVersion"] == "kubevirt.io/v1" and vm["kind"] == "VirtualMachine"
assert vm["metadata"]["name"] == "layout"
spec = vm["spec"]["template"]["spec"]
disks = {d["name"]: d for d in spec["domain"]["devices"]["disks"]}
vols = {v["name"]: v for v in spec["volumes"]}
assert set(disks) == set(vols) == {"os", "app"}
assert disks["os"]["bootOrder"] == 1
assert vols["os"]["containerDisk"]["image"] == "layout:0.1.0-os"
assert vols["app"]["containerDisk"]["image"] == "layout:0.1.0-app"
assert spec["domain"]["memory"]["guest"] == "1024Mi" and spec["domain"]["cpu"]["cores"] == 1
assert spec["networks"][0]["pod"] == {}
EOF

# ---- a tampered blob: refused, rebuilt, replaced ---------------------------
os_key=$(grep -o 'OS disk: pushed to the cache registry (key [0-9a-f]*' "$work/a.err" | awk '{print $NF}')
os_tag=
for t in "$work/storage/docker/registry/v2/repositories/appliance/cache/_manifests/tags/disk-$os_key"*; do
    [ -e "$t" ] && os_tag=${t##*/}
done
skopeo inspect --raw "docker://$cache_ref:$os_tag" >"$work/disk.json" 2>"$work/tamper.err"
blob=$(python3 -c 'import json,sys
m = json.load(open(sys.argv[1]))
l = [l for l in m["layers"] if l["annotations"]["org.opencontainers.image.title"] == "image.qcow2"][0]
h = l["digest"].split(":")[1]
print(sys.argv[2] + "/docker/registry/v2/blobs/sha256/" + h[:2] + "/" + h + "/data")' "$work/disk.json" "$work/storage" 2>>"$work/tamper.err")
if [ -n "$blob" ] && [ -f "$blob" ]; then
    size=$(stat -c %s "$blob")
    printf 'tampered' | dd of="$blob" bs=1 seek=$((size / 2)) conv=notrunc status=none
    ok "tampered the OS disk's image blob in the registry's storage"
    if build c --cache-dir "$work/cache-c" --cache-registry "$cache_ref"; then
        ok "a build against the tampered registry succeeds"
        [ "$(report_get "$work/c/build-report.json" cache_registry disks os)" = '"refused"' ] &&
            ok "the tampered OS disk entry was refused (report)" ||
            bad "tampered entry: $(report_get "$work/c/build-report.json" cache_registry)"
        grep -q 'OS disk: built' "$work/c.err" && ok "the OS disk was built instead" ||
            bad "OS disk: $(grep 'OS disk' "$work/c.err")"
        grep -q "cache registry: entry sha256:[0-9a-f]* refused, building it: .*Digest did not match" \
            "$work/c.err" && ok "the notice names the digest that did not match" ||
            bad "no refusal notice: $(grep 'cache registry' "$work/c.err")"
        cmp -s "$work/a/SHA256SUMS" "$work/c/SHA256SUMS" && ok "the same SHA256SUMS" ||
            bad "SHA256SUMS differ after the refusal"
    else
        bad "the build against the tampered registry failed: $(tail -5 "$work/c.err")"
    fi
else
    bad "no image blob to tamper with: $(cat "$work/tamper.err")"
fi
rm -rf "$work/c"

# ---- the registry stopped: a local build with a notice --------------------
stop_registry
if build d --cache-dir "$work/cache-c" --cache-registry "$cache_ref"; then
    ok "with the registry stopped, the build succeeds"
    grep -q "cache registry '$cache_ref' cannot be reached, building locally" "$work/d.err" &&
        ok "and says the registry cannot be reached" || bad "no notice: $(grep notice "$work/d.err")"
    [ "$(report_get "$work/d/build-report.json" cache_registry root_tree)" = '"unreachable"' ] &&
        ok "its report says unreachable" ||
        bad "report: $(report_get "$work/d/build-report.json" cache_registry)"
    cmp -s "$work/a/SHA256SUMS" "$work/d/SHA256SUMS" && ok "the same SHA256SUMS" ||
        bad "SHA256SUMS differ with the registry stopped"
else
    bad "with the registry stopped the build failed: $(tail -5 "$work/d.err")"
fi

# ---- no credential anywhere --------------------------------------------------
found=$(grep -rlaF -e "$password" -e "$token" "$work" --exclude-dir=storage --exclude-dir=auth \
    --exclude=htpasswd 2>/dev/null | grep -v "$work/auth/auth.json")
[ -z "$found" ] && ok "neither the password nor the token is in any output, log or report" ||
    bad "a credential leaked into: $found"
finish
