#!/usr/bin/env python3
"""Write reference/doudian/*.json, the facts of the Doudian (抖店) open platform that its official
typed SDKs state (see tools/README.md, "Reference snapshots").

    python3 tools/snapshot_doudian.py --java JAVA_DIR --go GO_SDK [--skit SKIT]

Sources, best first:
- `--java`: the official Java SDK (`com.doudian.open.api.<group>_<method>`; auto-generated from the
  docs). JAVA_DIR is its `src/main/java/com/doudian/open/api` folder, or any folder with the same
  `<package>/{param,data}/<Class>.java` layout (a copy that keeps only the field declarations is
  enough). Each field's `@SerializedName` gives the wire name, its Java type the type, `@OpField`
  `required` (request fields) and `example`.
- `--go`: the official Go SDK (zsmhub/doudian-sdk, a checkout or a bare git dir), for the methods
  the Java copy lacks: wire names and types, no `required`, no example.
- `--skit`: SKIT.FlurlHttpClient.ByteDance, for the doc page id of each method path (the only
  source that ties a method to its page `https://op.jinritemai.com/docs/api-docs/<group>/<id>`).

A snapshot holds facts only, per method keyed `POST /<group>/<method>`: the source, the doc page id
where one is known, `body` (param_json) and `response` (`data`) as flattened paths (`a.b`, `a[].b`
for list items, `a{}.b` for map values) with type (`string`, `int`, `number`, `bool`, `object`,
`any`, `[T]`, `{T}`), `required` and `example`. `cargo xtask fidelity` compares spec/doudian with it.
"""

import argparse
import importlib.util
import os
import re
import sys
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from snapshot_common import write_snapshot  # noqa: E402

_spec = importlib.util.spec_from_file_location("draft_doudian", os.path.join(HERE, "draft_doudian.py"))
draft = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(draft)

JAVA_SCALARS = {"String": "string", "Long": "int", "Integer": "int", "Short": "int", "Byte": "int",
                "long": "int", "int": "int", "Double": "number", "Float": "number",
                "BigDecimal": "number", "double": "number", "Boolean": "bool", "boolean": "bool",
                "Object": "any", "JsonElement": "any", "JsonObject": "{any}"}
JAVA_STR = r'"((?:[^"\\]|\\.)*)"'
FIELD = re.compile(
    r'@SerializedName\(\s*"([^"]*)"\s*\)\s*'
    r'(?:@OpField\((.*?)\)\s*)?'
    r'private\s+([\w<>,\s\[\]]+?)\s+\w+\s*;', re.S)


def one_line(text, limit=300):
    """A field's official description on one line (the drafting tools' `doc:`)."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def unescape(s):
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


def op_attr(args, name):
    m = re.search(name + r"\s*=\s*" + JAVA_STR, args or "")
    return unescape(m.group(1)) if m else None


def java_classes(folder):
    out = {}
    if not os.path.isdir(folder):
        return out
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".java"):
            continue
        text = open(os.path.join(folder, f), encoding="utf-8").read()
        m = re.search(r"public class (\w+)", text)
        if not m:
            continue
        fields = []
        for fm in FIELD.finditer(text):
            wire, args, jt = fm.group(1), fm.group(2), " ".join(fm.group(3).split())
            req = re.search(r"required\s*=\s*(true|false)", args or "")
            fields.append({"wire": wire, "java": jt,
                           "required": bool(req and req.group(1) == "true"),
                           "example": op_attr(args, "example"),
                           "doc": op_attr(args, "desc")})
        out[m.group(1)] = fields
    return out


def java_type(jt):
    """(neutral type, element class or None)."""
    jt = jt.replace(" ", "")
    m = re.match(r"^(?:List|ArrayList|Set)<(.+)>$", jt)
    if m:
        t, cls = java_type(m.group(1))
        return "[" + t + "]", cls
    m = re.match(r"^(?:Map|HashMap)<\w+,(.+)>$", jt)
    if m:
        t, cls = java_type(m.group(1))
        return "{" + t + "}", cls
    if jt.endswith("[]"):
        t, cls = java_type(jt[:-2])
        return "[" + t + "]", cls
    if jt in JAVA_SCALARS:
        return JAVA_SCALARS[jt], None
    return "object", jt


def flatten_java(classes, root, prefix, out, stack, request):
    for f in classes.get(root, []):
        t, cls = java_type(f["java"])
        path = prefix + f["wire"]
        entry = OrderedDict([("type", t)])
        if request and f["required"]:
            entry["required"] = True
        if f["example"] not in (None, ""):
            entry["example"] = f["example"]
        if f.get("doc"):
            entry["doc"] = one_line(f["doc"])
        if path in out:  # the SDK repeats a field now and then: one path is one field
            continue
        if cls and cls not in classes:
            # the copy lacks this class: its fields are not known (not: it has none)
            entry["fields_unknown"] = True
        out[path] = entry
        if cls and cls in classes and cls not in stack:
            inner = path + "".join("[]" if c == "[" else "{}" for c in t if c in "[{") + "."
            flatten_java(classes, cls, inner, out, stack + [cls], request)
    return out


GO_NEUTRAL = {"string": "string", "i64": "int", "i32": "int", "u64": "int", "f64": "number",
              "bool": "bool", "json": "any"}


def go_neutral(t):
    if t is None:
        return "any", None
    m = re.match(r"^@map\[\w+\](.+)$", t)
    if m:  # a map keyed by a number is a JSON object all the same
        n, cls = go_neutral(draft.go_type(m.group(1)))
        return "{" + n + "}", cls
    if t.startswith("["):
        n, cls = go_neutral(t[1:-1])
        return "[" + n + "]", cls
    if t.startswith("{"):
        n, cls = go_neutral(t[1:-1])
        return "{" + n + "}", cls
    if t.startswith("@"):
        return "object", t[1:]
    return GO_NEUTRAL.get(t, "any"), None


def flatten_go(fields, structs, prefix, out, stack, request=False):
    for f in fields:
        t, cls = go_neutral(f["type"])
        path = prefix + f["wire"]
        if path in out:
            continue
        out[path] = OrderedDict([("type", t)])
        if request and f.get("required"):
            out[path]["required"] = True
        if f.get("doc"):
            out[path]["doc"] = one_line(f["doc"])
        if cls and cls in structs and cls not in stack:
            inner = path + "".join("[]" if c == "[" else "{}" for c in t if c in "[{") + "."
            flatten_go(structs[cls], structs, inner, out, stack + [cls], request)
    return out


def method_of_path(path):
    return path.strip("/").replace("/", ".")


def from_java(java_dir, known=()):
    """`known`: method paths (`/product/isv/saveGoodsSupplyStatus`) to name a package by when the
    copy lacks its Request class (`_` spells both `.` and `_` of a method name)."""
    out = {}
    for pkg in sorted(os.listdir(java_dir)):
        d = os.path.join(java_dir, pkg)
        if not os.path.isdir(d):
            continue
        status = os.path.join(d, "_status.txt")
        if os.path.exists(status) and open(status).read().startswith("not found"):
            continue
        params = java_classes(os.path.join(d, "param"))
        datas = java_classes(os.path.join(d, "data"))
        if not params and not datas and not os.path.exists(os.path.join(d, "Request.txt")):
            continue
        path = None
        req = os.path.join(d, "Request.txt")
        if os.path.exists(req):
            m = re.search(r"url_path:\s*(\S+)", open(req).read())
            path = m.group(1) if m else None
        if path is None:
            # no Request class in the copy: the method whose name the package spells
            named = [x for x in known if x.strip("/").replace("/", "_") == pkg]
            path = named[0] if len(named) == 1 else "/" + pkg.replace("_", "/", 1)
        prefix = draft.camel(method_of_path(path))
        partial = os.path.exists(status) and open(status).read().startswith("partial")
        e = OrderedDict([("source", "java")])
        incomplete = []
        if prefix + "Param" not in params and partial:
            incomplete.append("body")
        body = flatten_java(params, prefix + "Param", "", OrderedDict(), [prefix + "Param"], True)
        if body:
            e["body"] = body
        root = prefix + "Data"
        if root in datas:
            e["data"] = "object"
            e["response"] = flatten_java(datas, root, "", OrderedDict(), [root], False)
        elif partial:
            incomplete.append("response")
        else:
            e["data"] = "none"
        if incomplete:
            e["incomplete"] = incomplete
        out[path] = e
    return out


def from_go(go):
    out = {}
    dirs = sorted({f.split("/")[1] for f in go.files() if f.startswith("api/") and f.count("/") >= 3})
    for d in dirs:
        found = draft.load_go(go, d)
        if not found:
            continue
        e = OrderedDict([("source", "go")])
        body = flatten_go(found["body"], found["req_structs"], "", OrderedDict(), [])
        if body:
            e["body"] = body
        resp = found["response"]
        if len(resp) == 1 and resp[0]["wire"] == "data" and resp[0]["doc"] == "data":
            # `data` is itself one value (a scalar, a list or a map): its tree sits under `data`
            t, _ = go_neutral(resp[0]["type"])
            e["data"] = t
            e["response"] = flatten_go(resp, found["resp_structs"], "", OrderedDict(), [])
        elif resp:
            e["data"] = "object"
            e["response"] = flatten_go(resp, found["resp_structs"], "", OrderedDict(), [])
        out[found["path"]] = e
    return out


def spec_paths(spec_dir):
    """`/group/method` of every method spec/doudian names."""
    import yaml  # noqa: PLC0415
    out = set()
    for f in os.listdir(spec_dir):
        if f.endswith(".yaml") and f != "platform.yaml":
            d = yaml.safe_load(open(os.path.join(spec_dir, f), encoding="utf-8")) or {}
            out |= {"/" + n.replace(".", "/") for n in (d.get("endpoints") or {})}
    return out


def from_cs(cs, skip, only):
    """Methods no official SDK in hand has, from the C# SDK generated from the doc pages
    (sevencat/ecommerce_sdk): third-party, marked `"source": "cs"`; its `[NotNull]` is `required`."""
    out = {}
    draft.load_cs(cs, "")  # builds the index
    for method in sorted(draft._cs_index[cs.path]):
        found = draft.load_cs(cs, method)
        if not found or not found.get("path"):
            continue
        path = found["path"] if found["path"].startswith("/") else "/" + found["path"]
        if path in skip or path not in only:
            continue
        e = OrderedDict([("source", "cs")])
        body = flatten_go(found["body"], found["req_structs"], "", OrderedDict(), [], True)
        if body:
            e["body"] = body
        resp = found["response"]
        if resp:
            e["data"] = "object"
            e["response"] = flatten_go(resp, found["resp_structs"], "", OrderedDict(), [])
        else:
            e["data"] = "none"
        out[path] = e
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--java", help="the Java SDK's com/doudian/open/api folder (or a copy of its fields)")
    ap.add_argument("--java-revision", default="unknown", help="which Java SDK release the folder holds")
    ap.add_argument("--go", help="the official Go SDK checkout or bare git dir")
    ap.add_argument("--cs", help="sevencat/ecommerce_sdk (C#, generated from the doc pages; third-party): "
                                  "only for methods of spec/doudian that neither official SDK has")
    ap.add_argument("--skit", help="SKIT.FlurlHttpClient.ByteDance checkout or bare git dir (doc page ids)")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "reference", "doudian"))
    a = ap.parse_args()
    only = spec_paths(os.path.join(HERE, "..", "spec", "doudian"))
    java = from_java(a.java, only) if a.java else {}
    go_src = draft.Source(a.go) if a.go else None
    go = from_go(go_src) if go_src else {}
    doc_ids = draft.skit_doc_ids(draft.Source(a.skit)) if a.skit else {}
    cs = from_cs(draft.Source(a.cs), set(java) | set(go), only) if a.cs else {}
    modules = {}
    for path in sorted(set(java) | set(go) | set(cs)):
        e = java.get(path) or go.get(path) or cs[path]
        if path in java and path in go:
            # Both official SDKs know the method. The Java copy is the better source (required,
            # examples), but classes it lacks (the copy may be partial) come from the Go SDK: a
            # path either SDK states is a path of the method.
            g = go[path]
            for place in ("body", "response"):
                if place in g:
                    merged = e.setdefault(place, OrderedDict())
                    for k, v in g[place].items():
                        if k not in merged:
                            merged[k] = OrderedDict(list(v.items()) + [("src", "go")])
            # what the Go SDK states completes what the Java copy lacks
            if "incomplete" in e:
                e["incomplete"] = [p for p in e["incomplete"] if p not in g]
                if not e["incomplete"]:
                    del e["incomplete"]
            if e.get("data", "none") == "none" and g.get("data", "none") != "none":
                e["data"] = g["data"]
            elif "response" in e:
                e["data"] = "object"
            e["source"] = "java+go"
            # keep `data` after `body` and `response` last, as the writer lists them
            for k in ("incomplete", "data", "response", "doc_id"):
                if k in e:
                    e.move_to_end(k)
        if path in doc_ids:
            e["doc_id"] = doc_ids[path]
        method = method_of_path(path)
        modules.setdefault(draft.module_of(method), OrderedDict())["POST " + path] = e
    revs = []
    if a.java:
        revs.append(f"Java SDK {a.java_revision}")
    if go_src:
        rev = "HEAD"
        if go_src.git:
            import subprocess  # noqa: PLC0415
            rev = subprocess.run(["git", "--git-dir", go_src.path, "rev-parse", "HEAD"],
                                 capture_output=True, text=True).stdout.strip()
        revs.append(f"Go SDK zsmhub/doudian-sdk@{rev}")
    source = {"name": "official Doudian SDKs: Java (com.doudian.open.api), Go (zsmhub/doudian-sdk)"
                      + ("; for methods neither has, the C# SDK generated from the doc pages "
                         "(sevencat/ecommerce_sdk, third-party: source cs)" if a.cs else "")
                      + ("; doc ids from SKIT.FlurlHttpClient.ByteDance" if a.skit else ""),
              "revision": "; ".join(revs), "written_by": "tools/snapshot_doudian.py"}
    n = write_snapshot(a.out, source, modules)
    print(f"reference/doudian: {n} methods in {len(modules)} modules "
          f"(Java {len(java)}, Go {len(go)}, C# {len(cs)}, doc ids {len(doc_ids)})")


if __name__ == "__main__":
    main()
