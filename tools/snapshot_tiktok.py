#!/usr/bin/env python3
"""Write reference/tiktok/*.json, the facts of the TikTok Shop Partner API that the official
typed source states, from the `tiktok-shop-api` PyPI package (see tools/README.md).

    pip download tiktok-shop-api --no-deps -d /tmp/tts
    unzip -q /tmp/tts/tiktok_shop_api-*.whl -d /tmp/tts/pkg
    python3 tools/snapshot_tiktok.py --pkg /tmp/tts/pkg          # rewrites reference/tiktok/

The package is generated from an OpenAPI description of the Partner Center docv2 reference. Its
files are read as data (Python's `ast`, through draft_tiktok.py's reader; nothing of the package is
imported or run, none of its code is copied). A snapshot holds facts only, per operation keyed
`METHOD /path`: the operation id, and for query, path, body and response (`data`) every field as a
flattened path (`a.b`, `a[].b` for list items, `a{}.b` for map values) with its wire name, type
(`string`, `int`, `number`, `bool`, `object`, `any`, `[T]`, `{T}`), `required` and enum values.
`cargo xtask fidelity` compares spec/tiktok with it.
"""

import argparse
import ast
import importlib.util
import os
import re
import sys
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from snapshot_common import write_snapshot  # noqa: E402

_spec = importlib.util.spec_from_file_location("draft_tiktok", os.path.join(HERE, "draft_tiktok.py"))
draft = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(draft)

SIMPLE = {"str": "string", "int": "int", "bool": "bool", "float": "number", "Any": "any",
          "datetime.date": "string", "datetime.datetime": "string", "File": "string"}


class Flattener:
    def __init__(self, pkg):
        self.pkg = pkg
        self._uploads = {}

    def upload_file(self, model):
        """Whether `model` means the upload type (`types.File`) by `File`, not the model `File`."""
        if model not in self._uploads:
            path = self.pkg._model_files.get(draft.snake(model)) or self.pkg._model_files.get(
                draft.plain_snake(model))
            text = open(path).read() if path else ""
            self._uploads[model] = bool(re.search(r"from \.\.types import[^\n]*\bFile\b", text))
        return self._uploads[model]

    def ty(self, ann, stack):
        """(type, enum values, model fields or None) of an annotation."""
        ann = re.sub(r"\s*\|\s*(Unset|None)\b", "", ann).strip()
        if ann == "File" and not (stack and self.upload_file(stack[-1])) and self.pkg.model("File"):
            model = self.pkg.model("File")
            return "object", None, model["fields"]
        if "|" in ann:
            return "any", None, None
        m = re.match(r"^list\[(.+)\]$", ann)
        if m:
            t, values, fields = self.ty(m.group(1), stack)
            return "[" + t + "]", values, fields
        if ann in SIMPLE:
            return SIMPLE[ann], None, None
        if ann.startswith("dict") or ann.startswith("Literal"):
            return "{any}", None, None
        model = self.pkg.model(ann)
        if model is None:
            return "any", None, None
        if "enum" in model:
            return ("int" if model["int"] else "string"), list(model["enum"]), None
        if ann in stack:  # a recursive shape (a category tree): one level is enough
            return "object", None, OrderedDict()
        return "object", None, model["fields"]

    def flatten(self, fields, prefix, out, stack):
        for attr, info in fields.items():
            path = prefix + info["wire"]
            t, values, sub = self.ty(info["ann"], stack)
            entry = OrderedDict([("type", t)])
            if info["required"]:
                entry["required"] = True
            if values:
                entry["enum"] = values
            doc = " ".join((info.get("doc") or "").split())
            if doc:
                entry["doc"] = doc if len(doc) <= 300 else doc[:300].rstrip() + "…"
            out[path] = entry
            if sub:
                inner = path + ("[]" * t.count("[")) + "."
                model = re.sub(r"\s*\|\s*(Unset|None)\b", "", info["ann"]).strip()
                model = re.sub(r"^(list\[)+|\]+$", "", model)
                self.flatten(sub, inner, out, stack + [model])
        return out


def snapshot(pkg_root):
    pkg = draft.Package(pkg_root)
    fl = Flattener(pkg)
    modules = {}
    for op in pkg.ops:
        info = draft.parse_operation(pkg, op)
        if info is None:
            continue
        method, path = op["method"].upper(), op["path"]
        placeholders = set(re.findall(r"\{(\w+)\}", path))
        e = OrderedDict([("operation", op["operationId"])])
        if not op.get("requiresShopCipher", True):
            e["no_shop_cipher"] = True
        query, pathf, body = OrderedDict(), OrderedDict(), OrderedDict()
        for p in info["params"]:
            if p["name"] == "body":
                name = p["ann"].replace(" | Unset", "")
                model = pkg.model(name)
                fl.flatten((model or {"fields": {}})["fields"], "", body, [name])
                continue
            wire = info["query_wire"].get(p["name"], p["name"])
            target = pathf if p["name"] in placeholders else query
            fl.flatten({p["name"]: {"ann": p["ann"], "wire": wire, "required": p["required"],
                                    "doc": p.get("doc", "")}},
                       "", target, [])
        for key, val in (("query", query), ("path", pathf), ("body", body)):
            if val:
                e[key] = val
        resp = pkg.model(info["response"]) if info["response"] else None
        data = (resp or {"fields": {}})["fields"].get("data")
        if data:
            t, _, sub = fl.ty(data["ann"], [])
            e["data"] = t
            e["response"] = fl.flatten(sub or {}, "", OrderedDict(), [])
            if t == "object" and not e["response"]:
                e["data"] = "none"  # an object with no fields: the call returns no data
                del e["response"]
        elif resp is not None:
            e["data"] = "none"
        module = path.strip("/").split("/")[0]
        modules.setdefault(module, OrderedDict())[f"{method} {path}"] = e
    return modules


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pkg", required=True, help="the unpacked tiktok-shop-api wheel")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "reference", "tiktok"))
    a = ap.parse_args()
    version = "unknown"
    for d in os.listdir(a.pkg):
        m = re.match(r"tiktok_shop_api-(.+)\.dist-info$", d)
        if m:
            version = m.group(1)
    source = {"name": "tiktok-shop-api (PyPI), generated from the Partner Center docv2 reference",
              "revision": version,
              "written_by": "tools/snapshot_tiktok.py"}
    modules = snapshot(a.pkg)
    n = write_snapshot(a.out, source, modules)
    print(f"reference/tiktok: {n} operations in {len(modules)} modules (tiktok-shop-api {version})")


if __name__ == "__main__":
    main()
