#!/usr/bin/env python3
"""pipelines.py APPLIANCE FILE...: judge the CI examples of docs/pipelines/.

Each FILE must parse as YAML (every document in it). Every command line
that runs the tool (`appliance CMD ...` in a shell string, or a
container's args when its image is the tool's) must name a command that
`APPLIANCE help` lists and only long options that `APPLIANCE help CMD`
documents; every APPLIANCE_* variable must be one the program reads.
No Kubernetes container may be privileged, add a capability other than
SETUID, SETGID and SETFCAP, mount a hostPath, or use /dev/kvm: the examples show
builds without privilege. Prints TAP lines; exit 0 when all hold.
"""
import re
import shlex
import subprocess
import sys

import yaml

ALLOWED_CAPS = {"SETUID", "SETGID", "SETFCAP"}


def help_text(tool, *cmd):
    r = subprocess.run([tool, "help", *cmd], capture_output=True, text=True)
    return r.stdout + r.stderr


def commands(tool):
    text = help_text(tool)
    block = text.split("Commands:", 1)[1]
    return {m.group(1) for m in re.finditer(r"^  ([a-z]+)\b", block, re.M)}


def strings(node):
    """Every string in a YAML tree, with the container dicts found on the way."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


def containers(node):
    if isinstance(node, dict):
        if "image" in node and ("args" in node or "securityContext" in node):
            yield node
        for v in node.values():
            yield from containers(v)
    elif isinstance(node, list):
        for v in node:
            yield from containers(v)


def invocations(text):
    """argv lists of `appliance ...` in shell text (continuations joined),
    and of `podman run ... IMAGE CMD ...` where IMAGE is the tool's."""
    text = text.replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0]
        for part in re.split(r"[|;&]|&&|\|\|", line):
            try:
                words = shlex.split(part)
            except ValueError:
                continue
            for i, w in enumerate(words):
                if w == "appliance" and i + 1 < len(words):
                    out.append(words[i + 1:])
                    break
                if re.search(r"(^|/|\$)(TOOL_IMAGE|appliance:[0-9])", w) and \
                        words[:2] == ["podman", "run"] and i + 1 < len(words):
                    out.append(words[i + 1:])
                    break
    return out


def main():
    tool, files = sys.argv[1], sys.argv[2:]
    cmds = commands(tool)
    helps = {}
    binary = open(tool, "rb").read()
    bad = 0
    n_inv = 0

    def fail(msg):
        nonlocal bad
        bad += 1
        print(f"not ok - {msg}")

    for f in files:
        try:
            with open(f) as fh:
                docs = [d for d in yaml.safe_load_all(fh) if d is not None]
        except yaml.YAMLError as e:
            fail(f"{f} does not parse as YAML: {e}")
            continue
        print(f"ok - {f} parses as YAML ({len(docs)} document(s))")
        argvs = []
        for d in docs:
            for s in strings(d):
                argvs += invocations(s)
            for c in containers(d):
                if "appliance:" in str(c.get("image", "")) and "command" not in c:
                    argvs.append([str(a) for a in c.get("args", [])])
                sc = c.get("securityContext", {}) or {}
                if sc.get("privileged"):
                    fail(f"{f}: container {c.get('name')} is privileged")
                added = set((sc.get("capabilities") or {}).get("add") or [])
                if added - ALLOWED_CAPS:
                    fail(f"{f}: container {c.get('name')} adds {sorted(added - ALLOWED_CAPS)}")
        raw = open(f).read()
        code = "\n".join(l for l in raw.splitlines() if not l.lstrip().startswith("#"))
        for word in ("hostPath", "/dev/kvm", "--privileged", "privileged = true"):
            if word in code:
                fail(f"{f} uses {word}")
        for argv in argvs:
            if not argv:
                continue
            n_inv += 1
            cmd = argv[0]
            if cmd not in cmds:
                fail(f"{f}: 'appliance {cmd}' is no command of the tool")
                continue
            if cmd not in helps:
                helps[cmd] = help_text(tool, cmd)
            for a in argv[1:]:
                if a.startswith("--"):
                    opt = a.split("=", 1)[0]
                    if not re.search(re.escape(opt) + r"\b", helps[cmd]):
                        fail(f"{f}: 'appliance {cmd} {opt}' is no option of the tool")
        for var in set(re.findall(r"\bAPPLIANCE_[A-Z_]+", raw)):
            if var.encode() not in binary:
                fail(f"{f}: {var} is not read by the tool")
    if bad == 0:
        print(f"ok - {n_inv} command lines name real commands and options; no privilege")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
