#!/usr/bin/env python3
"""sbom.py: judge a delivery's SBOMs, provenance and signatures with tools
nobody here wrote (python3-jsonschema, openssl, dpkg-query's own output).

  sbom.py schema     SCHEMA_DIR DOC.spdx.json|DOC.cdx.json...
      each document against the official JSON Schema: SPDX 2.3
      (spdx-2.3.schema.json) or CycloneDX 1.6 (bom-1.6.schema.json with
      the schemas it refers to, resolved in SCHEMA_DIR)
  sbom.py packages   DOC.spdx.json|DOC.cdx.json LIST [WHAT]
      the packages the document lists (name, version, arch from each
      package URL) are exactly LIST's, "name version arch" lines as
      dpkg-query -W -f '${Package} ${Version} ${Architecture}\\n' prints
      them (WHAT names LIST in the messages)
  sbom.py subjects   FOLDER PROVENANCE.json
      every subject's SHA-256 is the file's (hashlib), every subject a
      file of FOLDER
  sbom.py shipped    FOLDER DOC.spdx.json|DOC.cdx.json
      every shipped file the document lists has that SHA-256
  sbom.py pae        ENVELOPE.intoto.jsonl OUT_PAE OUT_SIG PAYLOAD_FILE
      the DSSE pre-authentication encoding recomputed here from the
      envelope (written to OUT_PAE, the raw signature to OUT_SIG, for
      `openssl pkeyutl -verify`); the payload must be PAYLOAD_FILE's bytes
  sbom.py drop       DOC.spdx.json|DOC.cdx.json NAME OUT
      the document without package NAME (a tampered SBOM)

Each check prints "ok - ..." or "not ok - ..."; the exit status is 0 when
all passed, 1 when one failed, 2 when an input cannot be read.
"""

import base64
import hashlib
import json
import os
import sys
import urllib.parse
import warnings

passed = failed = 0


def check(cond, what, why=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok - {what}")
    else:
        failed += 1
        print(f"not ok - {what}" + (f": {why}" if why else ""))
    return cond


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read())


def is_spdx(doc):
    return "spdxVersion" in doc


def schema(schema_dir, *docs):
    import jsonschema
    warnings.simplefilter("ignore", DeprecationWarning)
    store = {}
    for name in os.listdir(schema_dir):
        if name.endswith(".json"):
            s = load(os.path.join(schema_dir, name))
            store[name] = s
            if "$id" in s:
                store[s["$id"]] = s
    for path in docs:
        doc = load(path)
        name = "spdx-2.3.schema.json" if is_spdx(doc) else "bom-1.6.schema.json"
        root = store[name]
        resolver = jsonschema.RefResolver(base_uri="file://" + schema_dir.rstrip("/") + "/",
                                          referrer=root, store=store)
        validator = jsonschema.Draft7Validator(root, resolver=resolver)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        why = "; ".join(f"{list(e.path)[:4]}: {e.message[:200]}" for e in errors[:3])
        check(not errors, f"{os.path.basename(path)} is valid against {name}", why)


def purl_parts(purl):
    """(name, version, arch) of pkg:deb/NS/NAME@VERSION?arch=A&..."""
    rest = purl.split(":", 1)[1]
    path, _, query = rest.partition("?")
    name_version = path.rsplit("/", 1)[1]
    name, _, version = name_version.partition("@")
    q = urllib.parse.parse_qs(query)
    version = urllib.parse.unquote(version)
    if "epoch" in q:
        version = q["epoch"][0] + ":" + version
    return urllib.parse.unquote(name), version, q.get("arch", [""])[0]


def listed_packages(doc):
    out = set()
    if is_spdx(doc):
        for p in doc.get("packages", []):
            for ref in p.get("externalRefs", []):
                if ref.get("referenceType") == "purl":
                    n, v, a = purl_parts(ref["referenceLocator"])
                    check_once(n == p["name"] and v == p.get("versionInfo"),
                               f"{p['name']}: its package URL names it")
                    out.add((n, v, a))
    else:
        def walk(components):
            for c in components:
                if c.get("purl"):
                    n, v, a = purl_parts(c["purl"])
                    check_once(n == c["name"] and v == c.get("version"),
                               f"{c['name']}: its package URL names it")
                    out.add((n, v, a))
                walk(c.get("components", []))
        walk(doc.get("components", []))
    return out


_bad_names = []


def check_once(cond, what):
    if not cond:
        _bad_names.append(what)


def packages(doc_path, list_path, what="the list"):
    doc = load(doc_path)
    listed = listed_packages(doc)
    with open(list_path) as f:
        want = {tuple(line.split()) for line in f if line.strip()}
    name = os.path.basename(doc_path)
    check(not _bad_names, f"{name}: every package URL names its package",
          "; ".join(_bad_names[:5]))
    missing, extra = sorted(want - listed), sorted(listed - want)
    check(listed == want and len(listed) > 0,
          f"{name}: its {len(listed)} packages are {what}'s {len(want)}",
          f"not in the SBOM: {missing[:5]}; not in {what}: {extra[:5]}")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def subjects(folder, prov_path):
    st = load(prov_path)
    check(st.get("_type") == "https://in-toto.io/Statement/v1"
          and st.get("predicateType") == "https://slsa.dev/provenance/v1",
          "the provenance is an in-toto Statement v1 with a SLSA Provenance v1 predicate")
    bad = []
    for s in st.get("subject", []):
        path = os.path.join(folder, s["name"])
        if not os.path.isfile(path) or sha256(path) != s["digest"].get("sha256"):
            bad.append(s["name"])
    check(st.get("subject") and not bad,
          f"each of the {len(st.get('subject', []))} subjects has the SHA-256 sha256sum gives",
          f"differ: {bad[:5]}")


def shipped(folder, doc_path):
    doc = load(doc_path)
    files = {}
    if is_spdx(doc):
        for p in doc.get("packages", []):
            if "packageFileName" in p:
                files[p["packageFileName"]] = {c["algorithm"]: c["checksumValue"]
                                               for c in p.get("checksums", [])}.get("SHA256")
    else:
        for c in doc.get("components", []):
            if c.get("type") == "file" and c.get("bom-ref", "").startswith("shipped-"):
                files[c["name"]] = {h["alg"]: h["content"] for h in c.get("hashes", [])}.get("SHA-256")
    bad = [f for f, h in files.items()
           if not os.path.isfile(os.path.join(folder, f)) or sha256(os.path.join(folder, f)) != h]
    check(files and not bad,
          f"{os.path.basename(doc_path)}: each of its {len(files)} shipped files has its SHA-256",
          f"differ: {bad[:5]}")


def pae(envelope_path, out_pae, out_sig, payload_path):
    with open(envelope_path) as f:
        env = json.loads(f.readline())
    body = base64.b64decode(env["payload"], validate=True)
    ptype = env["payloadType"].encode()
    encoded = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(body), body)
    with open(out_pae, "wb") as f:
        f.write(encoded)
    with open(out_sig, "wb") as f:
        f.write(base64.b64decode(env["signatures"][0]["sig"], validate=True))
    with open(payload_path, "rb") as f:
        check(f.read() == body, f"the envelope's payload is {os.path.basename(payload_path)}")
    check(env["payloadType"] == "application/vnd.in-toto+json",
          "the envelope's payload type is an in-toto statement's")


def drop(doc_path, name, out):
    doc = load(doc_path)
    if is_spdx(doc):
        ids = {p["SPDXID"] for p in doc["packages"] if p["name"] == name}
        doc["packages"] = [p for p in doc["packages"] if p["SPDXID"] not in ids]
        doc["relationships"] = [r for r in doc["relationships"]
                                if r["relatedSpdxElement"] not in ids
                                and r["spdxElementId"] not in ids]
    else:
        def walk(components):
            return [dict(c, components=walk(c["components"])) if "components" in c else c
                    for c in components if not (c.get("purl") and c["name"] == name)]
        doc["components"] = walk(doc["components"])
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
    print(f"# {os.path.basename(out)}: {name} dropped")


def main():
    cmds = {"schema": schema, "packages": packages, "subjects": subjects,
            "shipped": shipped, "pae": pae, "drop": drop}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        cmds[sys.argv[1]](*sys.argv[2:])
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        print(f"not ok - sbom.py {sys.argv[1]}: {type(e).__name__}: {e}")
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
