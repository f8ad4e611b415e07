#!/usr/bin/env python3
"""Self-test for VelocityRender: replays the Velocity 1.7 conformance data
(shared/conformance/velocity-1.7) through `VelocityRender --batch` and reports
how many cases reproduce the recorded Velocity 1.7 output.

    python3 tools/velocity-java/check-conformance.py [CONFORMANCE_DIR] [-v]

Templates (manifest entries with copied=true) run in template mode with the
global macro library and a fresh context built from context.json (aliases are
copies here, not shared objects). Newlines are normalised as Velocity's
TemplateTestCase does. Inline cases run in evaluate mode (as assertEvalEquals
did), one batch "session" per unit-test method, compared exactly.

Some inline cases are expected to fail here: they need Java arrays (int[],
String[]) where JSON gives lists, test resources that are not in the data set,
or earlier evaluations that the data set leaves out. The script prints the
failures; it exits 0 when every template matches, 1 otherwise.
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv[1:]
    conf = args[0] if args else None
    if conf is None:
        for cand in (os.path.join(ROOT, "..", "shared", "conformance", "velocity-1.7"),
                     os.path.join(ROOT, "shared", "conformance", "velocity-1.7"),
                     "/work/shared/conformance/velocity-1.7"):
            if os.path.isdir(cand):
                conf = cand
                break
    if conf is None or not os.path.isdir(conf):
        sys.exit("conformance directory not found; pass it as the first argument")
    conf = os.path.abspath(conf)

    cp = subprocess.run(["bash", os.path.join(HERE, "build.sh")], check=True,
                        stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1]

    manifest = json.load(open(os.path.join(conf, "manifest.json")))
    ctxdoc = json.load(open(os.path.join(conf, "context.json")))
    base_ctx = dict(ctxdoc["context"])
    for alias, target in ctxdoc.get("aliases", {}).items():
        base_ctx[alias] = base_ctx[target]

    lines = []
    expected = {}
    for e in manifest:
        if not e.get("copied"):
            continue
        with open(os.path.join(conf, e["template"]), encoding="utf-8", newline="") as f:
            tmpl = f.read()
        with open(os.path.join(conf, e["expected"]), encoding="utf-8", newline="") as f:
            exp = f.read()
        cid = "template:" + e["name"]
        lines.append({"id": cid, "template": tmpl, "context": base_ctx, "mode": "template"})
        expected[cid] = ("template", exp)

    cases = json.load(open(os.path.join(conf, "inline-cases.json")))
    for i, c in enumerate(cases):
        cid = "inline:%d:%s.%s#%s" % (i, c["source"], c["test"], c["seq"])
        line = {"id": cid, "template": c["template"], "mode": "evaluate",
                "session": "%s.%s" % (c["source"], c["test"])}
        if c.get("context"):
            line["context"] = c["context"]
        if c.get("properties"):
            line["properties"] = c["properties"]
        lines.append(line)
        expected[cid] = ("inline", c["expected"])

    lib = os.path.join(conf, "templates", "VM_global_library.vm")
    # Templates need the library; inline cases ran without one. Run them separately.
    results = {}
    for kind, extra in (("template", ["--library", lib]), ("inline", [])):
        data = "".join(json.dumps(l) + "\n" for l in lines if expected[l["id"]][0] == kind)
        out = subprocess.run(["java", "-cp", cp, "VelocityRender", "--batch"] + extra,
                             input=data, stdout=subprocess.PIPE, text=True, encoding="utf-8",
                             cwd=ROOT, check=True).stdout
        for l in out.splitlines():
            r = json.loads(l)
            results[r["id"]] = r

    norm = lambda s: re.sub(r"\r\r?\n", "\n", s)
    tally = {"template": [0, 0], "inline": [0, 0]}
    for cid, (kind, exp) in expected.items():
        r = results.get(cid)
        got = r.get("output") if r and r.get("ok") else None
        ok = got is not None and ((norm(got) == norm(exp)) if kind == "template" else got == exp)
        tally[kind][0 if ok else 1] += 1
        if not ok and (verbose or kind == "template"):
            print("FAIL %s\n  expected: %r\n  got:      %r" % (
                cid, exp, got if got is not None else (r or {}).get("error")))
        elif not ok:
            print("FAIL %s (%s)" % (cid, "error: " + r["error"][:100] if r and not r.get("ok") else "output differs"))
    for kind in ("template", "inline"):
        print("%s cases: %d passed, %d failed" % (kind, tally[kind][0], tally[kind][1]))
    sys.exit(0 if tally["template"][1] == 0 else 1)


if __name__ == "__main__":
    main()
