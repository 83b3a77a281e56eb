#!/usr/bin/env python3
"""Draft spec/tiktok YAML from the `tiktok-shop-api` PyPI package (see tools/README.md).

The package is generated from an OpenAPI description of the TikTok Shop Partner API docs; this
tool reads its files as data (Python's `ast`, nothing of it is imported or run) and prints, or
merges into spec/tiktok, draft YAML for the operations spec/tiktok lacks:

    pip download tiktok-shop-api --no-deps -d /tmp/tts
    unzip -q /tmp/tts/tiktok_shop_api-*.whl -d /tmp/tts/pkg
    python3 tools/draft_tiktok.py --pkg /tmp/tts/pkg --list          # what is missing, by module
    python3 tools/draft_tiktok.py --pkg /tmp/tts/pkg --module fbt     # print the draft of a module
    python3 tools/draft_tiktok.py --pkg /tmp/tts/pkg --module fbt --write   # merge it into spec/tiktok

Facts only: method, path, version, query/path/body fields, their types, required markers and
descriptions, the response fields. Examples are built from the fields (the package carries no
sample). The YAML it writes is a draft to review; the YAML stays the source of truth.

Standard library only, except that reading the existing spec (to skip what is there and reuse its
types) uses PyYAML when installed; without it nothing existing is reused.
"""

import argparse
import ast
import json
import os
import re
import sys
from collections import OrderedDict

KEYWORDS = set(
    "abstract as async await become box break const continue crate do dyn else enum extern false "
    "final fn for gen if impl in let loop macro match mod move mut override priv pub ref return "
    "self Self static struct super trait true try type typeof unsafe unsized use virtual where "
    "while yield".split()
)
RENAME = {"type": "kind", "ref": "reference", "match": "matched", "in": "inside", "box": "box_info"}
# Type names the emitted Rust uses unqualified: a spec type may not shadow them.
RESERVED_TYPES = {"Option", "Result", "Vec", "String", "Box", "Some", "None", "Ok", "Err",
                  "Default", "Value", "BTreeMap", "Self", "Error", "Client", "Request", "Response"}
PAGE_FIELDS = {"page", "page_no", "page_num", "page_number", "page_index", "current_page",
               "pageNo", "pageNum", "pageIndex", "page_token", "cursor"}
DOC_ROOT = "https://partner.tiktokshop.com/docv2/page/"
ENVELOPE_ID = "202203070749000101890810281E8C70B7"


def snake(s):
    s = s.replace("TikTok", "Tiktok").replace("IDs", "Ids")
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


def plain_snake(s):
    """The package's own file names: every capital starts a word (`TikTok` -> `tik_tok`)."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"([A-Z])([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


def camel(s):
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[_\W]+", s) if p)


def singular(name):
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    for suf in ("sses", "xes", "ches", "shes"):
        if name.endswith(suf):
            return name[:-2]
    if name.endswith("s") and not name.endswith("ss") and not name.endswith("us") and len(name) > 3:
        return name[:-1]
    if name.endswith("_list"):
        return name[:-5]
    return name


def one_line(text, limit=240):
    text = " ".join((text or "").split())
    if len(text) > limit:
        cut = text.find(". ", 40)
        text = text[: cut + 1] if 0 < cut < limit else text[:limit].rsplit(" ", 1)[0] + "..."
    return text


def q(text):
    return json.dumps(text, ensure_ascii=False)


# ---------------------------------------------------------------- the package, read as data


class Package:
    def __init__(self, root):
        gen = os.path.join(root, "tiktok_shop_api", "generated")
        if not os.path.isdir(gen):
            sys.exit(f"no tiktok_shop_api/generated under {root}: unzip the wheel there")
        self.gen = gen
        self.ops = self._operations()
        self.models = {}
        self._model_files = {}
        for f in os.listdir(os.path.join(gen, "models")):
            if f.endswith(".py") and f != "__init__.py":
                self._model_files[f[:-3]] = os.path.join(gen, "models", f)
        self.api = self._api_files()

    def _operations(self):
        tree = ast.parse(open(os.path.join(self.gen, "_meta.py")).read())
        for node in tree.body:
            if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "OPERATIONS":
                return ast.literal_eval(node.value)
        sys.exit("_meta.py has no OPERATIONS")

    def _api_files(self):
        out = {}
        base = os.path.join(self.gen, "api")
        for d in sorted(os.listdir(base)):
            p = os.path.join(base, d)
            if not os.path.isdir(p):
                continue
            for f in sorted(os.listdir(p)):
                if not f.endswith(".py") or f == "__init__.py":
                    continue
                text = open(os.path.join(p, f)).read()
                m = re.search(r'"method": "(\w+)",\s*"url": (f?)"([^"]+)"', text)
                if m:
                    url = re.sub(r"\{quote\(str\((\w+)\).*?\)\}", r"{\1}", m.group(3))
                    out[(m.group(1).upper(), url)] = os.path.join(p, f)
        return out

    def model(self, name):
        if name in self.models:
            return self.models[name]
        path = self._model_files.get(snake(name)) or self._model_files.get(plain_snake(name))
        if path is None:
            self.models[name] = None
            return None
        tree = ast.parse(open(path).read())
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)
        bases = [ast.unparse(b) for b in cls.bases]
        if any("Enum" in b for b in bases):
            values = []
            for n in cls.body:
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant):
                    values.append(n.value.value)
            m = {"enum": values, "int": any("Int" in b for b in bases)}
            self.models[name] = m
            return m
        docs = parse_attr_docs(ast.get_docstring(cls) or "")
        wires = {}
        for fn in cls.body:
            if isinstance(fn, ast.FunctionDef) and fn.name == "from_dict":
                for st in ast.walk(fn):
                    if isinstance(st, ast.Assign) and len(st.targets) == 1:
                        tgt = getattr(st.targets[0], "id", None)
                        call = [c for c in ast.walk(st.value) if isinstance(c, ast.Call)
                                and isinstance(c.func, ast.Attribute) and c.func.attr == "pop"
                                and c.args and isinstance(c.args[0], ast.Constant)]
                        if tgt and call:
                            wires[tgt.strip("_")] = (call[0].args[0].value, len(call[0].args) == 1)
        fields = OrderedDict()
        for n in cls.body:
            if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name):
                attr = n.target.id
                if attr == "additional_properties":
                    continue
                ann = ast.unparse(n.annotation)
                # the JSON key, never the Python attribute (`type_` is sent as `type`)
                wire = wires.get(attr.strip("_"), (attr.rstrip("_"), n.value is None))[0]
                fields[attr] = {"ann": ann, "wire": wire, "required": "Unset" not in ann,
                                "doc": docs.get(attr, "")}
        m = {"fields": fields, "doc": docs.get("__doc__", "")}
        self.models[name] = m
        return m


def parse_attr_docs(doc):
    """`name (type): doc` entries of an `Attributes:`/`Args:` section (types and docs may wrap)."""
    entries, head, cur, base = {}, [], None, None
    for line in doc.splitlines():
        s = line.strip()
        ind = len(line) - len(line.lstrip())
        if s in ("Attributes:", "Args:"):
            base = ind
            continue
        if s in ("Raises:", "Returns:"):
            base, cur = None, None
            continue
        if base is None:
            head.append(s)
        elif ind <= base + 4 and re.match(r"^\w+ \(", s):
            cur = s.split(" ", 1)[0]
            entries[cur] = s
        elif cur and s:
            entries[cur] += " " + s
    out = {}
    for k, text in entries.items():
        m = re.match(r"^\w+ \((.*?)\):\s*(.*)$", text, re.S)
        out[k] = m.group(2) if m else ""
    out["__doc__"] = " ".join(h for h in head if h)
    return out


def parse_operation(pkg, op):
    path = os.path.join(op["path"])
    f = pkg.api.get((op["method"].upper(), path))
    if f is None:
        return None
    text = open(f).read()
    tree = ast.parse(text)
    fns = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    kw = fns["_get_kwargs"]
    doc = ast.get_docstring(fns["sync_detailed"]) or ""
    lines = doc.splitlines()
    title = lines[0].strip() if lines else op["operationId"]
    desc = []
    for line in lines[1:]:
        if line.strip() in ("Args:", "Raises:", "Returns:"):
            break
        desc.append(line.strip())
    argdocs = parse_attr_docs(doc)
    params = []
    for a in kw.args.args:
        params.append({"name": a.arg, "ann": ast.unparse(a.annotation), "required": True,
                       "doc": argdocs.get(a.arg, "")})
    for a, d in zip(kw.args.kwonlyargs, kw.args.kw_defaults):
        params.append({"name": a.arg, "ann": ast.unparse(a.annotation), "required": d is None,
                       "doc": argdocs.get(a.arg, "")})
    query_wire = dict(re.findall(r'params\["([^"]+)"\] = (?:json_)?(\w+)', text))
    multipart = "to_multipart()" in text
    resp = re.search(r"response_200 = (\w+)\.from_dict", text)
    return {"op": op, "title": title, "desc": " ".join(x for x in desc if x), "params": params,
            "query_wire": {v.lstrip("_"): k for k, v in query_wire.items()},
            "multipart": multipart, "response": resp.group(1) if resp else None}


# ---------------------------------------------------------------- the existing spec


def load_spec(spec_dir):
    try:
        import yaml  # noqa: PLC0415
    except ImportError:
        print("# PyYAML missing: existing endpoints and types are not read", file=sys.stderr)
        return {}, {}, {}
    modules, http = {}, {}
    for f in sorted(os.listdir(spec_dir)):
        if not f.endswith(".yaml") or f == "platform.yaml":
            continue
        d = yaml.safe_load(open(os.path.join(spec_dir, f))) or {}
        name = f[:-5]
        modules[name] = d
        for ep, e in (d.get("endpoints") or {}).items():
            if "http" in e:
                m, p = e["http"].split()
                http[(m, p)] = (name, ep, bool(e.get("deprecated")))
    return modules, http, {}


def norm(p):
    return re.sub(r"\{[^}]+\}", "{}", p)


def unversioned(p):
    return re.sub(r"/\d{6}/", "/V/", norm(p))


# ---------------------------------------------------------------- drafting


class Drafter:
    """Turns package models into spec types, reusing structs of one shape."""

    def __init__(self, pkg, modules):
        self.pkg = pkg
        self.modules = modules
        # (module or "types") -> name -> fields (spec dicts), existing and drafted
        self.existing = {m: OrderedDict((d.get("types") or {})) for m, d in modules.items()}
        self.drafted = {}          # module -> OrderedDict name -> typedef
        self.shape_names = {}      # (module, shape) -> name
        self.cross = {}            # shape -> set of (module, name): reported for types.yaml
        self.promoted = []         # (module, name, "existing" | "drafted") moved to types.yaml
        self.aliases = []          # (module, name, shared name): same shape as a moved struct
        self.reshape()

    def reshape(self):
        self.shape_names = {}
        for src in (self.existing, self.drafted):
            for m, types in src.items():
                for n, t in types.items():
                    if "fields" in t:
                        self.shape_names.setdefault((m, self.shape(m, t["fields"])), n)

    def defined_anywhere(self, name):
        return [m for src in (self.existing, self.drafted) for m, t in src.items() if name in t]

    def deps(self, module, name, seen):
        """`name` and the types of `module` it names, transitively."""
        if name in seen:
            return seen
        t = self.existing.get(module, {}).get(name) or self.drafted.get(module, {}).get(name)
        if t is None:
            return seen
        seen.append(name)
        for f in t.get("fields", {}).values():
            base = f["type"].strip("[]{}")
            if base[:1].isupper() and self.owner(module, base) == module:
                self.deps(module, base, seen)
        return seen

    def promote(self, module, name):
        """Move `name` of `module` (and the module types it names) to types.yaml, when no other
        module defines one of those names; returns whether it moved."""
        names = self.deps(module, name, [])
        for n in names:
            if [m for m in self.defined_anywhere(n) if m != module]:
                return False
        for n in names:
            for kind, src in (("existing", self.existing), ("drafted", self.drafted)):
                if n in src.get(module, {}):
                    shape = self.shape(module, src[module][n]["fields"])
                    src.setdefault("types", OrderedDict())[n] = src[module].pop(n)
                    self.promoted.append((module, n, kind))
                    # the module's other structs of that shape become the shared one
                    for src2 in (self.existing, self.drafted):
                        for other, t in list(src2.get(module, {}).items()):
                            if "fields" in t and self.shape(module, t["fields"]) == shape:
                                del src2[module][other]
                                self.aliases.append((module, other, n))
                                for t2 in list(src2.get(module, {}).values()) + [
                                        x for x in (self.drafted.get(module) or {}).values()]:
                                    for f in t2.get("fields", {}).values():
                                        f["type"] = re.sub(rf"\b{other}\b", n, f["type"])
        self.reshape()
        return True

    def owner(self, module, tname):
        if tname in self.existing.get(module, {}) or tname in self.drafted.get(module, {}):
            return module
        return "types"

    def shape(self, module, fields):
        out = []
        for k, f in fields.items():
            t = f["type"]
            base = t.strip("[]{}")
            if base[:1].isupper():
                t = t.replace(base, self.owner(module, base) + "::" + base)
            out.append((k, f.get("wire", k), t, bool(f.get("required"))))
        return tuple(out)

    def taken(self, module, name):
        return (name in RESERVED_TYPES or name in self.existing.get(module, {}) or name in self.drafted.get(module, {})
                or name in self.existing.get("types", {}) or name in self.drafted.get("types", {}))

    def field(self, module, attr, info, parent, endpoint_base):
        rust = attr.rstrip("_")
        wire = info["wire"]
        if rust in KEYWORDS or rust in RENAME:
            rust = RENAME.get(rust, rust + "_value")
        if not re.match(r"^[a-z][a-z0-9_]*$", rust):
            rust = snake(rust)
        self._field_doc = info["doc"]
        ty, values = self.ty(module, info["ann"], attr, parent, endpoint_base)
        doc = one_line(info["doc"]) or "Not described in the official docs."
        if values and "Values" not in doc and all(str(v) not in doc for v in values[:2]):
            doc = doc.rstrip(".") + ". Values: " + ", ".join(str(v) for v in values) + "."
        f = OrderedDict([("type", ty)])
        if wire != rust:
            f["wire"] = wire
        if info["required"]:
            f["required"] = True
        f["doc"] = doc
        return rust, f

    def ty(self, module, ann, attr, parent, endpoint_base):
        ann = re.sub(r"\s*\|\s*(Unset|None)\b", "", ann).strip()
        if "|" in ann:
            return "json", None
        m = re.match(r"^list\[(.+)\]$", ann)
        if m:
            t, values = self.ty(module, m.group(1), singular(attr.rstrip("_")), parent, endpoint_base)
            return "[" + t + "]", values
        simple = {"str": "string", "int": "i64", "bool": "bool", "float": "f64", "Any": "json",
                  "datetime.date": "string", "datetime.datetime": "string", "File": "string"}
        if ann in simple:
            return simple[ann], None
        if ann.startswith("dict") or ann.startswith("Literal"):
            return "json", None
        model = self.pkg.model(ann)
        if model is None:
            return "json", None
        if "enum" in model:
            return ("i64" if model["int"] else "string"), model["enum"]
        return self.struct(module, model, attr, parent, endpoint_base, self._field_doc), None

    def struct(self, module, model, attr, parent, endpoint_base, field_doc=""):
        base = camel(attr.rstrip("_")) or "Item"
        if base.endswith(("Request", "Response")):
            base += "Info"   # endpoints' own types end in Request/Response
        fields = OrderedDict()
        for a, info in model["fields"].items():
            k, f = self.field(module, a, info, base, endpoint_base)
            fields[k] = f
        if not fields:
            return "json"
        shape = self.shape(module, fields)
        shared = self.shape_names.get(("types", shape))
        if shared:
            return shared
        mine = self.shape_names.get((module, shape))
        if mine:
            return mine
        for (m, s), n in list(self.shape_names.items()):
            if s == shape and m not in (module, "types"):
                if self.promote(m, n):
                    return n
                self.cross.setdefault(shape, set()).update({(m, n), (module, None)})
        name = base
        for candidate in (base, (parent or "") + base, endpoint_base + base):
            if not self.taken(module, candidate):
                name = candidate
                break
        else:
            i = 2
            while self.taken(module, f"{base}{i}"):
                i += 1
            name = f"{base}{i}"
        doc = one_line(model.get("doc")) or one_line(field_doc) or "Not described in the official docs."
        self.drafted.setdefault(module, OrderedDict())[name] = {"doc": doc, "fields": fields}
        self.shape_names[(module, shape)] = name
        return name



def example_value(name, f, drafter, module, depth=0):
    t = f["type"]
    if t.startswith("["):
        inner = dict(f, type=t[1:-1])
        return [example_value(singular(name), inner, drafter, module, depth)]
    if t == "string":
        m = re.search(r"(?:Values:|values:?\s*-|values? (?:are|is|include)?:?\s*`?)\s*`?([A-Z][A-Z0-9_]{2,})", f.get("doc", ""))
        if m:
            return m.group(1)
        if name == "id" or name.endswith("_id") or name.endswith("_ids"):
            return "7300000000000000001"
        if "currency" in name:
            return "USD"
        if any(w in name for w in ("amount", "price", "fee", "gmv", "cost")):
            return "10.00"
        if any(w in name for w in ("rate", "num", "count", "quantity", "percent")):
            return "1"
        if "url" in name or "link" in name:
            return "https://example.com/" + name
        if name.endswith("date"):
            return "2024-01-01"
        if "token" in name:
            return ""
        return name
    if t in ("i64", "i32", "u64"):
        if name.endswith("time") or name.endswith("_at") or "timestamp" in name:
            return 1700000000
        if "count" in name or "total" in name:
            return 1
        return 1
    if t == "f64":
        return 1.5
    if t == "bool":
        return name.startswith("has_more") is False
    if t == "json":
        return {}
    td = drafter.lookup(module, t)
    if td is None or "fields" not in td or depth > 8:
        return {}
    return OrderedDict((k, example_value(k, v, drafter, module, depth + 1))
                       for k, v in td["fields"].items() if not (v["type"].strip("[]") == t))


def lookup(self, module, t):
    for src in (self.drafted.get(module, {}), self.existing.get(module, {}),
                self.existing.get("types", {})):
        if t in src:
            return src[t]
    return None


Drafter.lookup = lookup


def endpoint_name(module, op, info, existing_names, replaces):
    if replaces:
        ver = re.search(r"/(\d{6})/", op["path"]).group(1)
        return f"{replaces[1]}_{ver}"
    base = snake(op["operationId"])
    base = re.sub(r"^get_", "", base)
    name = f"{module}.{base}"
    if name in existing_names:
        ver = re.search(r"/(\d{6})/", op["path"]).group(1)
        name = f"{name}_{ver}"
    return name


def draft_endpoint(pkg, drafter, module, op, info, name, replaces):
    ver = re.search(r"/(\d{6})/", op["path"]).group(1)
    base = camel(name.split(".", 1)[1])
    path_params = re.findall(r"\{(\w+)\}", op["path"])
    e = OrderedDict()
    desc = one_line(info["desc"], 400)
    summary = one_line(info["desc"], 160) or info["title"]
    if summary.endswith("..."):
        summary = info["title"] + "."
    e["summary"] = summary
    if desc and desc != summary:
        e["doc"] = desc
    slug = re.sub(r"[^a-z0-9]+", "-", info["title"].lower()).strip("-")
    e["doc_url"] = f"{DOC_ROOT}{slug}-{ver}"
    e["http"] = f"{op['method'].upper()} {op['path']}"
    flags = []
    if op["method"].upper() == "GET":
        flags.append("idempotent")
    if not op["requiresShopCipher"]:
        flags.append("no_shop_cipher")
    if info["multipart"]:
        flags.append("multipart")
    if flags:
        e["flags"] = flags
    query, path, body = OrderedDict(), OrderedDict(), OrderedDict()
    for p in info["params"]:
        if p["name"] == "body":
            model = pkg.model(p["ann"].replace(" | Unset", ""))
            for a, fi in (model or {"fields": {}})["fields"].items():
                k, f = drafter.field(module, a, fi, base, base)
                body[k] = f
            continue
        wire = info["query_wire"].get(p["name"], p["name"])
        k, f = drafter.field(module, p["name"], {"ann": p["ann"], "wire": wire,
                                                  "required": p["required"], "doc": p["doc"]},
                             base, base)
        (path if p["name"] in path_params else query)[k] = f
    if path:
        e["path"] = path
    if query:
        e["query"] = query
    if body:
        e["body"] = body
    response = OrderedDict()
    rmodel = pkg.model(info["response"]) if info["response"] else None
    data = (rmodel or {"fields": {}})["fields"].get("data")
    if data:
        ann = re.sub(r"\s*\|\s*Unset", "", data["ann"])
        dm = pkg.model(ann)
        if dm and "fields" in dm:
            for a, fi in dm["fields"].items():
                k, f = drafter.field(module, a, fi, base, base)
                response[k] = f
        elif ann.startswith("list["):
            k, f = drafter.field(module, "data", dict(data, required=False), base, base)
            response[k] = f
    if response:
        e["response"] = response
    req = dict(query)
    req.update(body)
    page = [k for k, f in req.items() if f.get("wire", k) in PAGE_FIELDS]
    review = []
    if page:
        nxt = [k for k in response if k in ("next_page_token", "next_cursor", "next_page")]
        lists = [k for k, f in response.items() if f["type"].startswith("[")]
        if page[0] == "page_token" and nxt and len(lists) == 1:
            pg = OrderedDict([("cursor", "page_token"), ("next", nxt[0]), ("items", lists[0])])
            if "total_count" in response:
                pg["total"] = "total_count"
            e["pagination"] = pg
        else:
            review.append(f"REVIEW: takes `{page[0]}` but pagination could not be drafted "
                          f"(response lists: {lists}, next: {nxt}); add pagination: or not_paged:")
    env = OrderedDict([("code", 0), ("message", "Success"), ("request_id", ENVELOPE_ID)])
    env["data"] = OrderedDict((k, example_value(k, f, drafter, module)) for k, f in response.items())
    if "next_page_token" in env["data"]:
        env["data"]["next_page_token"] = ""
    e["example"] = json.dumps(env, ensure_ascii=False, separators=(",", ":"))
    return e, review


# ---------------------------------------------------------------- YAML text


def field_yaml(k, f, indent):
    parts = [f"type: {q(f['type']) if f['type'].startswith(('[', '{')) else f['type']}"]
    if "wire" in f:
        parts.append(f"wire: {q(f['wire'])}")
    if f.get("required"):
        parts.append("required: true")
    parts.append(f"doc: {q(f['doc'])}")
    return f"{' ' * indent}{k}: {{{', '.join(parts)}}}\n"


def types_yaml(types):
    out = ""
    for n, t in types.items():
        out += f"\n  {n}:\n    doc: {q(t['doc'])}\n    fields:\n"
        for k, f in t["fields"].items():
            out += field_yaml(k, f, 6)
    return out


def endpoint_yaml(name, e, review, replaces):
    out = "\n"
    for r in review:
        out += f"  # {r}\n"
    out += f"  {name}:\n    summary: {q(e['summary'])}\n"
    if "doc" in e:
        out += f"    doc: {q(e['doc'])}\n"
    out += f"    doc_url: {e['doc_url']}\n    http: {e['http']}\n"
    if "flags" in e:
        out += f"    flags: [{', '.join(e['flags'])}]\n"
    for sec in ("path", "query", "body", "response"):
        if sec in e:
            out += f"    {sec}:\n"
            for k, f in e[sec].items():
                out += field_yaml(k, f, 6)
    if "pagination" in e:
        out += "    pagination: {" + ", ".join(f"{k}: {v}" for k, v in e["pagination"].items()) + "}\n"
    out += "    # Example built from the fields (the source has no sample response).\n"
    out += f"    example: |\n      {e['example']}\n"
    return out


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pkg", required=True, help="the unzipped wheel (holds tiktok_shop_api/)")
    ap.add_argument("--spec", default="spec/tiktok", help="the spec folder (default spec/tiktok)")
    ap.add_argument("--module", action="append", help="draft only these modules (path's first segment)")
    ap.add_argument("--op", action="append", help="draft only these operationIds")
    ap.add_argument("--list", action="store_true", help="list the missing operations by module")
    ap.add_argument("--write", action="store_true", help="merge the drafts into the spec files")
    args = ap.parse_args()

    pkg = Package(args.pkg)
    modules, http, _ = load_spec(args.spec)
    have = {(m, norm(p)) for m, p in http}
    by_unversioned = {}
    for (m, p), v in http.items():
        if not v[2]:
            by_unversioned[(m, unversioned(p))] = (v[0], v[1], p)
    names = {v[1] for v in http.values()}
    missing = []
    for op in pkg.ops:
        key = (op["method"].upper(), norm(op["path"]))
        if key in have:
            continue
        if args.module and op["path"].split("/")[1] not in args.module:
            continue
        if args.op and op["operationId"] not in args.op:
            continue
        missing.append(op)
    if args.list:
        cur = sum(1 for v in http.values() if not v[2])
        print(f"package: {len(pkg.ops)} operations; spec: {cur} current, {len(http) - cur} deprecated")
        by = OrderedDict()
        for op in missing:
            by.setdefault(op["path"].split("/")[1], []).append(op)
        for m, ops in sorted(by.items()):
            print(f"{m}: {len(ops)}")
            for op in ops:
                old = by_unversioned.get((op["method"].upper(), unversioned(op["path"])))
                note = f"  (newer version of {old[1]})" if old else ""
                print(f"  {op['method'].upper():6} {op['path']}  {op['operationId']}{note}")
        return

    drafter = Drafter(pkg, modules)
    out = OrderedDict()
    deprecations = []
    for op in missing:
        module = op["path"].split("/")[1]
        info = parse_operation(pkg, op)
        if info is None:
            print(f"# no api file for {op['method']} {op['path']}", file=sys.stderr)
            continue
        old = by_unversioned.get((op["method"].upper(), unversioned(op["path"])))
        replaces = old if old and old[0] == module else None
        name = endpoint_name(module, op, info, names, replaces)
        names.add(name)
        e, review = draft_endpoint(pkg, drafter, module, op, info, name, replaces)
        out.setdefault(module, []).append(endpoint_yaml(name, e, review, replaces))
        if replaces:
            deprecations.append((module, replaces[1], name, op["path"]))
    for shape, who in drafter.cross.items():
        print(f"# shared shape, move to types.yaml: {sorted(str(w) for w in who)}", file=sys.stderr)

    NOTE = ("  # Drafted by tools/draft_tiktok.py from the tiktok-shop-api package (PyPI), generated from the\n"
            "  # docv2 API reference: method, path, version, fields, types, required markers, descriptions.\n"
            "  # doc_url: the package names the page by its title, not its id; the links are the docv2\n"
            "  # title-and-version form of the page (as finance.statements), not confirmed.\n")
    shared_text = types_yaml(drafter.drafted.get("types", {}))
    if not args.write:
        for module, eps in out.items():
            print(f"# ===== {os.path.join(args.spec, module + '.yaml')}")
            print("types:" + types_yaml(drafter.drafted.get(module, {})))
            print("endpoints:" + "".join(eps))
        if shared_text or drafter.promoted:
            print("# ===== types.yaml additions (moved from modules: %s)" % drafter.promoted)
            print(shared_text)
        return
    touched = list(out)
    for m, _, _ in drafter.promoted:
        if m not in touched and m != "types":
            touched.append(m)
    for module in touched:
        eps = out.get(module, [])
        types = types_yaml(drafter.drafted.get(module, {}))
        path = os.path.join(args.spec, module + ".yaml")
        if os.path.exists(path):
            text = open(path).read()
            for mod, name, kind in drafter.promoted:
                if mod == module and kind == "existing":
                    text, block = cut_type(text, name)
                    shared_text += block
            for mod, name, shared in drafter.aliases:
                if mod == module and f"\n  {name}:\n" in text:
                    text, _ = cut_type(text, name)
                    text = re.sub(rf"(type: \"?\[?){name}\b", rf"\g<1>{shared}", text)
            if types:
                if re.search(r"^types:", text, re.M):
                    text = text.replace("\nendpoints:\n", types + "\nendpoints:\n", 1)
                else:
                    text = text.replace("\nendpoints:\n", "\ntypes:" + types + "\nendpoints:\n", 1)
            if eps:
                text = text.rstrip("\n") + "\n\n" + NOTE + "".join(eps)
        else:
            text = ("doc: REVIEW module docs\n\n" + ("types:" + types + "\n" if types else "")
                    + "endpoints:\n" + NOTE + "".join(eps))
        for mod, old, new, newpath in deprecations:
            if mod != module:
                continue
            ver = re.search(r"/(\d{6})/", newpath).group(1)
            text = re.sub(rf"(\n  {re.escape(old)}:\n(?:    (?!http:).*\n)*?    http: .*\n)",
                          lambda m: m.group(1) + f"    deprecated: \"Version {ver} replaces this one: use {new}.\"\n    replaced_by: {new}\n",
                          text, count=1)
        open(path, "w").write(text)
        print(f"wrote {path}: {len(eps)} endpoints, {len(drafter.drafted.get(module, {}))} types", file=sys.stderr)
    if shared_text:
        path = os.path.join(args.spec, "types.yaml")
        text = open(path).read().rstrip("\n") + "\n" + shared_text
        open(path, "w").write(text)
        print(f"wrote {path}: moved {drafter.promoted}", file=sys.stderr)


def cut_type(text, name):
    """Cut the block of type `name` (under `types:`) out of a module file's text."""
    lines = text.split("\n")
    start = lines.index(f"  {name}:")
    end = start + 1
    while end < len(lines) and (lines[end].startswith("    ") or lines[end].strip() == ""):
        end += 1
    while end > start + 1 and lines[end - 1].strip() == "":
        end -= 1
    block = "\n" + "\n".join(lines[start:end]) + "\n"
    del lines[start:end]
    if start < len(lines) and lines[start].strip() == "" and lines[start - 1].strip() == "":
        del lines[start]
    return "\n".join(lines), block

if __name__ == "__main__":
    main()
