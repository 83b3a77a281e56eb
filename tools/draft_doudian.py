#!/usr/bin/env python3
"""Draft spec YAML for Doudian (抖店) methods from checkouts of SDKs generated from the official docs.

Stdlib only. Reads each source either from a plain directory or from a git directory (bare
mirror: its HEAD is read with `git show`), and prints draft YAML for the methods asked for.
The YAML in spec/doudian stays the reviewed source of truth: this prints a draft to review.

Sources, in the order a method is looked up:
  --go    the official Go SDK (zsmhub/doudian-sdk): api/<method>/request|response/*.go, with types,
          json names and the official Chinese comments; the primary source.
  --cs    a C# SDK generated from the doc pages (sevencat/ecommerce_sdk, ecommerce_sdk/douyin/*.cs):
          types, descriptions, [NotNull] (= required) and the response table; used for methods the
          Go SDK lacks. Its request names are checked against --php when given.
  --php   the newer PHP SDK generated from the same docs (westng/doudian-sdk, src/Api/<method>/):
          request field names only (no types, no comments, no response); a method found only here
          is drafted with `json` fields and no response, marked for review.
  --skit  SKIT.FlurlHttpClient.ByteDance (DouyinShop extensions): doc page ids per method path,
          for doc_url.

Usage:
  python3 tools/draft_doudian.py --go DIR --cs DIR --php DIR --skit DIR --missing        # list
  python3 tools/draft_doudian.py --go DIR ... buyin.simplePlan superm.getShipmentInfo  # draft
  python3 tools/draft_doudian.py --go DIR ... --group buyin                              # a group
  python3 tools/draft_doudian.py ... --group superm --out spec/doudian/superm.yaml       # new file

Typing: Go/C# string -> string, int64/long -> i64, int32/int -> i32, float/double -> f64,
bool -> bool, slices/List -> [T], map/Dictionary -> {T}, interface{}/object -> json, structs ->
named types. A struct whose fields (names, wire names, types, required) equal a type of
spec/doudian/types.yaml or of the target module is reused by name; one equal to a struct of
another module is reported (move it to types.yaml: the generator refuses the copy).
"""

import argparse
import json
import os
import re
import subprocess
import sys

PAGE_FIELDS = {"page", "page_no", "page_num", "page_number", "page_index", "current_page",
               "pageNo", "pageNum", "pageIndex", "page_token", "cursor"}
SIZE_FIELDS = ["size", "page_size", "pageSize", "limit", "count"]
DOC_ROOT = "https://op.jinritemai.com/docs/api-docs"
RUST_KEYWORDS = {"type", "ref", "match", "fn", "mod", "use", "impl", "self", "struct", "enum",
                 "loop", "move", "box", "in", "where", "trait", "async", "await", "dyn", "crate",
                 "super", "const", "static", "let", "mut", "pub", "return", "as", "break",
                 "continue", "else", "extern", "false", "true", "for", "if", "unsafe", "while",
                 "abstract", "become", "do", "final", "macro", "override", "priv", "typeof",
                 "unsized", "virtual", "yield", "try"}


# ---------------------------------------------------------------- sources

class Source:
    """A checkout: a plain directory or a git directory (read at HEAD)."""

    def __init__(self, path):
        self.path = path
        self.git = os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(os.path.join(path, "objects"))
        self._files = None

    def files(self):
        if self._files is None:
            if self.git:
                out = subprocess.run(["git", "--git-dir", self.path, "ls-tree", "-r", "--name-only", "HEAD"],
                                     capture_output=True, text=True, check=True).stdout
                self._files = out.split("\n")
            else:
                self._files = []
                for root, _, names in os.walk(self.path):
                    for n in names:
                        self._files.append(os.path.relpath(os.path.join(root, n), self.path))
        return self._files

    def read(self, rel):
        if self.git:
            return subprocess.run(["git", "--git-dir", self.path, "show", "HEAD:" + rel],
                                  capture_output=True, text=True, check=True).stdout
        with open(os.path.join(self.path, rel), encoding="utf-8") as f:
            return f.read()


# A parsed struct: {"fields": [ {name, wire, type, doc, required, ref} ]}, types as spec strings
# in which a named struct appears as "@<ClassName>" to be resolved later.

def method_of_dir(d):
    """api/<dir> and src/Api/<dir> name a method with '.' spelled '_'; the request's URL path says which."""
    return d


# ---------------------------------------------------------------- Go

GO_STRUCT = re.compile(r"type (\w+) struct \{\n(.*?)\n\}", re.S)
GO_FIELD = re.compile(r"^\s*(\w+)\s+([^\s`]+)\s+`json:\"([^\",]*)")


def go_type(t):
    t = t.lstrip("*")
    if t.startswith("[]"):
        inner = go_type(t[2:])
        return "[" + inner + "]" if inner else None
    if t.startswith("map[string]"):
        inner = go_type(t[len("map[string]"):])
        return "{" + inner + "}" if inner else None
    return {"string": "string", "int64": "i64", "int": "i64", "int32": "i32", "int16": "i32",
            "int8": "i32", "uint64": "u64", "uint32": "i64", "float64": "f64", "float32": "f64",
            "bool": "bool", "interface{}": "json", "json.RawMessage": "json"}.get(t, "@" + t)


def go_structs(text):
    out = {}
    for m in GO_STRUCT.finditer(text):
        fields, doc = [], []
        for line in m.group(2).split("\n"):
            s = line.strip()
            if s.startswith("//"):
                doc.append(s[2:].strip())
                continue
            f = GO_FIELD.match(line)
            if f and f.group(3) and f.group(3) != "-":
                if not any(x["wire"] == f.group(3) for x in fields):   # the SDK repeats some fields
                    fields.append({"wire": f.group(3), "type": go_type(f.group(2)), "doc": " ".join(doc)})
            doc = []
        out[m.group(1)] = fields
    return out


def load_go(src, d):
    base = "api/%s/" % d
    req_f = [f for f in src.files() if f.startswith(base + "request/") and f.endswith(".go")]
    res_f = [f for f in src.files() if f.startswith(base + "response/") and f.endswith(".go")]
    if not req_f:
        return None
    req = src.read(req_f[0])
    path = re.search(r'return "(/[^"]+)"', req).group(1)
    rs = go_structs(req)
    param = [n for n in rs if n.endswith("Param")]
    body = rs.pop(param[0]) if param else []
    rs = {k: v for k, v in rs.items() if not k.endswith("Request")}
    resp, structs_r = [], {}
    if res_f:
        structs_r = go_structs(src.read(res_f[0]))
        top = [n for n in structs_r if n.endswith("Response")]
        if top:
            d_field = [f for f in structs_r.pop(top[0]) if f["wire"] == "data"]
            if d_field:
                t = d_field[0]["type"]
                if t.startswith("@"):
                    resp = structs_r.pop(t[1:], [])
                else:
                    resp = [{"wire": "data", "type": t, "doc": "data"}]
        structs_r = {k: v for k, v in structs_r.items() if not re.match(r".*Data$", k) or any(
            ("@" + k) in json.dumps(v2) for v2 in structs_r.values())}
    return {"source": "go", "path": path, "summary": None, "body": body, "response": resp,
            "req_structs": rs, "resp_structs": structs_r}


# ---------------------------------------------------------------- C#

def cs_type(t):
    t = t.strip().rstrip("?")
    m = re.match(r"List<(.+)>$", t)
    if m:
        inner = cs_type(m.group(1))
        return "[" + inner + "]"
    m = re.match(r"Dictionary<\s*string\s*,\s*(.+)>$", t)
    if m:
        return "{" + cs_type(m.group(1)) + "}"
    return {"string": "string", "long": "i64", "int": "i32", "short": "i32", "double": "f64",
            "float": "f64", "decimal": "f64", "bool": "bool", "object": "json",
            "JsonElement": "json"}.get(t, "@" + t)


def cs_parse(text):
    """Classes (nested ones flattened by name) with their properties, the method, path, summary."""
    classes, stack, pending = {}, [], {}
    summary = None
    method = re.search(r'GetMethod\(\) \{ return "([^"]+)"', text)
    url = re.search(r'GetUrl\(\) \{ return "([^"]+)"', text)
    depth = 0
    last_class = None
    for line in text.split("\n"):
        s = line.strip()
        m = re.match(r'\[Description\("(.*)"\)\]$', s)
        if m:
            pending["doc"] = m.group(1).replace('\\"', '"')
            continue
        m = re.match(r'\[JsonPropertyName\("([^"]+)"\)\]', s)
        if m:
            pending["wire"] = m.group(1)
            continue
        if s == "[NotNull]":
            pending["required"] = True
            continue
        m = re.match(r"public class (\w+)", s)
        if m:
            last_class = m.group(1)
            classes[last_class] = []
            if summary is None and pending.get("doc"):
                summary = pending["doc"]
            pending = {}
            continue
        if s == "{":
            depth += 1
            stack.append(last_class)
            last_class = None
            continue
        if s == "}":
            depth -= 1
            stack.pop()
            continue
        m = re.match(r"public (.+?) (\w+) \{ get; set; \}", s)
        if m and stack and stack[-1] and "wire" in pending:
            classes[stack[-1]].append({"wire": pending["wire"], "type": cs_type(m.group(1)),
                                       "doc": pending.get("doc", ""), "required": pending.get("required", False)})
        pending = {}
    return method and method.group(1), url and url.group(1), summary, classes


_cs_index = {}


def load_cs(src, method):
    if src.path not in _cs_index:
        idx = {}
        for f in src.files():
            if f.startswith("ecommerce_sdk/douyin/") and f.endswith(".cs"):
                t = src.read(f)
                m = re.search(r'GetMethod\(\) \{ return "([^"]+)"', t)
                if m:
                    idx[m.group(1)] = f
        _cs_index[src.path] = idx
    f = _cs_index[src.path].get(method)
    if not f:
        return None
    meth, url, summary, classes = cs_parse(src.read(f))
    req_name = [c for c in classes if c.endswith("Req")]
    rsp_name = [c for c in classes if c.endswith("Rsp")]
    body = classes.pop(req_name[0]) if req_name else []
    resp = classes.pop(rsp_name[0]) if rsp_name else []
    if len(resp) == 1 and resp[0]["wire"] == "data":
        t = resp[0]["type"]
        if t.startswith("@"):
            resp = classes.pop(t[1:], [])
    for fl in resp:
        fl["required"] = False          # [NotNull] is a request marker
    return {"source": "cs", "path": url, "summary": summary, "body": body, "response": resp,
            "req_structs": classes, "resp_structs": classes}


# ---------------------------------------------------------------- PHP

def load_php(src, d):
    base = "src/Api/%s/" % d
    files = [f for f in src.files() if f.startswith(base)]
    if not files:
        return None
    path = None
    for f in files:
        if f.endswith("Request.php") and "/param/" not in f:
            m = re.search(r"return '(/[^']+)'", src.read(f))
            if m:
                path = m.group(1)
    params = [f for f in files if "/param/" in f and f.endswith("Param.php")]
    body = []
    if params:
        for m in re.finditer(r"public \$(\w+);", src.read(params[0])):
            body.append({"wire": m.group(1), "type": "json",
                         "doc": "Named by the PHP SDK (westng/doudian-sdk); its type is not documented there."})
    return {"source": "php", "path": path, "summary": None, "body": body, "response": [],
            "req_structs": {}, "resp_structs": {}}


def php_names(src, d):
    r = load_php(src, d) if src else None
    return None if r is None else {f["wire"] for f in r["body"]}


# ---------------------------------------------------------------- SKIT doc ids

def skit_doc_ids(src):
    out = {}
    for f in src.files():
        if "DouyinShop/Extensions/" not in f or not f.endswith(".cs"):
            continue
        text = src.read(f)
        for block in text.split("/// <summary>")[1:]:
            block = block.split("</summary>")[0]
            p = re.search(r"\[POST\] (/\S+) 接口", block)
            u = re.search(r"api-docs/(\d+/\d+)", block)
            if p and u:
                out.setdefault(p.group(1), u.group(1))
    return out


# ---------------------------------------------------------------- spec side

def snake(s):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.replace("-", "_").lower()


def camel(method):
    out = []
    for seg in method.split("."):
        out.append("".join(p[:1].upper() + p[1:] for p in seg.split("_") if p))
    return "".join(out)


def module_of(method):
    return snake(method.split(".")[0])


def load_yaml_shapes(spec_dir):
    """(types.yaml shapes, {module: {name: shape}}, existing endpoint names) without PyYAML:
    the spec's one-line field form is parsed with a small reader; PyYAML is used when present."""
    try:
        import yaml  # noqa
    except ImportError:
        yaml = None
    shared, modules, endpoints = {}, {}, set()
    for fn in sorted(os.listdir(spec_dir)):
        if not fn.endswith(".yaml") or fn == "platform.yaml":
            continue
        with open(os.path.join(spec_dir, fn), encoding="utf-8") as f:
            text = f.read()
        if yaml:
            y = yaml.safe_load(text) or {}
            types = y.get("types") or {}
            endpoints.update((y.get("endpoints") or {}).keys())
        else:
            types = {}
            endpoints.update(re.findall(r"^  ([A-Za-z][\w.]*):\s*$", text.split("\nendpoints:")[-1], re.M)
                             if "\nendpoints:" in text else [])
        shapes = {n: shape_of_spec(t.get("fields")) for n, t in types.items() if t.get("fields")}
        if fn == "types.yaml":
            shared = shapes
        else:
            modules[fn[:-5]] = shapes
    return shared, modules, endpoints


def shape_of_spec(fields):
    return frozenset(((v.get("wire") or k), str(v.get("type")), bool(v.get("required", False)))
                     for k, v in (fields or {}).items())


# ---------------------------------------------------------------- drafting

def q(s):
    return json.dumps(s, ensure_ascii=False)


def clean_doc(s, fallback):
    s = re.sub(r"\s+", " ", (s or "").strip())
    if not s:
        return fallback
    return s if len(s) <= 300 else s[:297] + "..."


def is_required(f):
    if f.get("required"):
        return True
    d = f.get("doc") or ""
    return bool(re.search(r"(?<![非不])必(填|传|须)", d)) and "非必" not in d[:6]


class Drafter:
    def __init__(self, module, shared, modules):
        self.module = module
        self.shared = shared
        self.modules = modules
        self.local = dict(modules.get(module, {}))     # name -> shape, existing and drafted
        self.new_types = {}                             # name -> [field lines], this draft
        self.all_types = {}                             # name -> [field lines], every draft of the module
        self.warnings = []

    def field_name(self, wire):
        n = snake(wire)
        n = re.sub(r"[^a-z0-9_]", "_", n)
        if n in RUST_KEYWORDS:
            n = n + "_"
        return n

    def resolve(self, t, structs, prefix, seen):
        if t is None:
            return "json"
        if t.startswith("["):
            return "[" + self.resolve(t[1:-1], structs, prefix, seen) + "]"
        if t.startswith("{"):
            return "{" + self.resolve(t[1:-1], structs, prefix, seen) + "}"
        if not t.startswith("@"):
            return t
        name = t[1:]
        fields = structs.get(name)
        if fields is None:
            self.warnings.append("type %s not found in the source: json" % name)
            return "json"
        if name in seen:
            return name       # recursive
        return self.define(name, fields, structs, prefix, seen | {name})

    def lines(self, fields, structs, prefix, seen, request):
        out, shape = [], []
        for f in fields:
            t = self.resolve(f["type"], structs, prefix, seen)
            name = self.field_name(f["wire"])
            req = request and is_required(f)
            parts = ["type: " + q(t)]
            if req:
                parts.append("required: true")
            if name != f["wire"]:
                parts.append("wire: " + f["wire"])
            parts.append("doc: " + q(clean_doc(f.get("doc"), "(no description in the source)")))
            out.append("%s: {%s}" % (name, ", ".join(parts)))
            shape.append((f["wire"], t, req))
        return out, frozenset(shape)

    def define(self, name, fields, structs, prefix, seen):
        lines, shape = self.lines(fields, structs, prefix, seen, request=False)
        for n, s in self.shared.items():
            if s == shape:
                return n
        for n, s in self.local.items():
            if s == shape:
                return n
        for mod, types in self.modules.items():
            if mod == self.module:
                continue
            for n, s in types.items():
                if s == shape:
                    self.warnings.append("struct %s has the fields of %s in %s.yaml: move one to types.yaml"
                                         % (name, n, mod))
        base = name
        if base in ("DataItem", "Data", "ListItem", "Item") or base in self.local:
            base = prefix + name
        n, i = base, 2
        while n in self.local:
            n, i = "%s%d" % (base, i), i + 1
        self.local[n] = shape
        self.new_types[n] = lines
        self.all_types[n] = lines
        return n

    def example_value(self, t, depth=0):
        if t.startswith("["):
            return [self.example_value(t[1:-1], depth + 1)] if depth < 4 else []
        if t.startswith("{"):
            return {"key": self.example_value(t[1:-1], depth + 1)}
        if t in ("i64", "i32", "u64"):
            return 1
        if t == "f64":
            return 1.5
        if t == "bool":
            return True
        if t == "string":
            return "示例"
        if t == "json":
            return {}
        return self.example_struct(t, depth + 1)

    def example_struct(self, name, depth):
        lines = self.all_types.get(name)
        if lines is None or depth > 4:
            return {}
        out = {}
        for l in lines:
            m = re.match(r'(\w+): \{type: "([^"]+)"(.*)', l)
            wire = re.search(r"wire: (\S+?),", l)
            out[wire.group(1) if wire else m.group(1)] = self.example_value(m.group(2), depth)
        return out


def draft(method, found, doc_ids, d, php_src):
    d.new_types = {}
    d.warnings = []
    prefix = camel(method.split(".", 1)[1] if "." in method else method)
    notes = []
    body_lines, _ = d.lines(found["body"], found["req_structs"], prefix, frozenset(), request=True)
    resp_lines, _ = d.lines(found["response"], found["resp_structs"], prefix, frozenset(), request=False)
    if found["source"] == "cs" and php_src:
        names = php_names(php_src, method.replace(".", "_"))
        if names is not None:
            extra = [f["wire"] for f in found["body"] if f["wire"] not in names]
            if extra:
                notes.append("request fields the PHP SDK does not list: " + ", ".join(extra))
    page = [f["wire"] for f in found["body"] if f["wire"] in PAGE_FIELDS]
    pag = None
    if page:
        size = [f["wire"] for f in found["body"] if f["wire"] in SIZE_FIELDS]
        lists = [l.split(":")[0] for l in resp_lines if '"[' in l.split("doc:")[0]]
        totals = [l.split(":")[0] for l in resp_lines if l.split(":")[0] in ("total", "total_count", "count", "total_num")]
        nexts = [l.split(":")[0] for l in resp_lines if l.split(":")[0] in ("cursor", "next_cursor", "next_page_token")]
        if page[0] in ("cursor", "page_token") and nexts and lists:
            pag = "{cursor: %s, next: %s, items: %s}" % (page[0], nexts[0], lists[0])
        elif size and lists and totals:
            pdoc = [f.get("doc") or "" for f in found["body"] if f["wire"] == page[0]][0]
            first = "1" if re.search(r"(从|从第)\s*1|start(s)? (at|from) 1|>=\s*1|最小值?为?1", pdoc) else \
                "0" if re.search(r"(从|从第)\s*0|start(s)? (at|from) 0|>=\s*0", pdoc) else None
            pag = "{page: %s, size: %s, items: %s, total: %s, first: %s}%s" % (
                page[0], size[0], lists[0], totals[0], first or "0",
                "" if first else "  # REVIEW: the first page's number is not documented")
    path = found["path"] or "/" + method.replace(".", "/")
    doc_id = doc_ids.get(path)
    out = []
    src_note = {"go": "official Go SDK (zsmhub/doudian-sdk, api/%s)" % method.replace(".", "_"),
                "cs": "C# SDK generated from the doc pages (sevencat/ecommerce_sdk)",
                "php": "PHP SDK (westng/doudian-sdk): request names only"}[found["source"]]
    out.append("  # drafted from the %s" % src_note)
    for n in notes + d.warnings:
        out.append("  # REVIEW: " + n)
    out.append("  %s:" % method)
    summary = found.get("summary") or cs_summary(method) or "REVIEW: write a one-line summary."
    out.append("    summary: " + q(clean_doc(summary, summary)))
    if doc_id:
        out.append("    doc_url: %s/%s" % (DOC_ROOT, doc_id))
    else:
        out.append("    # doc_url: no source gives this method's doc page id; the API docs root is linked.")
        out.append("    doc_url: " + DOC_ROOT + "/")
    if "/" + method.replace(".", "/") != path:
        out.append("    # REVIEW: the SDK's path is %s" % path)
    if body_lines:
        out.append("    body:")
        out += ["      " + l for l in body_lines]
    if resp_lines:
        out.append("    response:")
        out += ["      " + l for l in resp_lines]
    if page:
        if pag:
            out.append("    pagination: " + pag)
        elif found["source"] == "php":
            out.append("    not_paged: the SDK that lists it documents no response fields, so no list to walk")
        else:
            out.append("    not_paged: REVIEW")
    data = {}
    for l in resp_lines:
        m = re.match(r'(\w+): \{type: "([^"]+)"', l)
        wire = re.search(r"wire: (\S+?),", l)
        data[wire.group(1) if wire else m.group(1)] = d.example_value(m.group(2))
    if list(data) == ["data"] and isinstance(data["data"], list):
        data = data["data"]
    env = {"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "",
           "log_id": "20240101120000010000000000000000", "data": data}
    if found["source"] == "php":
        out.append("    # Example: the envelope only; the PHP SDK documents no response fields (no sample was available).")
    else:
        out.append("    # Example built from the fields the official SDK documents (no sample was available).")
    out.append("    example: |")
    out.append("      " + json.dumps(env, ensure_ascii=False, separators=(",", ":")))
    types = []
    for n, lines in d.new_types.items():
        types.append("  %s:" % n)
        types.append("    doc: %s" % q("%s of %s." % (n, method)))
        types.append("    fields:")
        types += ["      " + l for l in lines]
    return types, out


CS_SRC = None


def cs_summary(method):
    """The doc page's one-line description, as the C# SDK carries it."""
    if CS_SRC is None:
        return None
    r = load_cs(CS_SRC, method)
    return r and r.get("summary")


def find(method, go, cs, php):
    dname = method.replace(".", "_")
    for kind, src in (("go", go), ("cs", cs), ("php", php)):
        if not src:
            continue
        r = load_go(src, dname) if kind == "go" else load_cs(src, method) if kind == "cs" else load_php(src, dname)
        if r:
            return r
    return None


def sdk_methods(go, cs, php):
    """Every method the sources know, by its URL path turned back into a dotted name."""
    out = {}
    if go:
        for f in go.files():
            m = re.match(r"api/([^/]+)/request/[^/]+\.go$", f)
            if m:
                out.setdefault(m.group(1), "go")
    if php:
        for f in php.files():
            m = re.match(r"src/Api/([^/]+)/[^/]+Request\.php$", f)
            if m:
                out.setdefault(m.group(1), "php")
    return out


def dotted(dname, srcs):
    """api dir name -> method: the request's URL path says where the dots are."""
    for kind, src in srcs:
        if not src:
            continue
        r = load_go(src, dname) if kind == "go" else load_php(src, dname)
        if r and r.get("path"):
            return r["path"].strip("/").replace("/", ".")
    return dname.replace("_", ".")


def merge(path, mod, types, eps):
    if not os.path.exists(path):
        text = ("# Sources: drafted by tools/draft_doudian.py from the SDKs named above each endpoint, then\n"
                "# reviewed. Docs are the official Chinese descriptions.\n"
                "doc: %s\n\n" % q("REVIEW: one line about the %s group." % mod))
        if types:
            text += "types:\n" + "\n".join(types) + "\n\n"
        text += "endpoints:\n" + "\n".join(eps)
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if types:
            if re.search(r"^types:\s*$", text, re.M):
                text = re.sub(r"\n(?=endpoints:\s*$)", "\n" + "\n".join(types) + "\n\n", text, count=1, flags=re.M)
            else:
                text = re.sub(r"^(?=endpoints:\s*$)", "types:\n" + "\n".join(types) + "\n\n", text, count=1, flags=re.M)
        m = re.search(r"^events:\s*$", text, re.M)
        block = "\n" + "\n".join(eps)
        if m:
            text = text[:m.start()] + block.lstrip("\n") + "\n" + text[m.start():]
        else:
            text = text.rstrip("\n") + "\n" + block
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.rstrip("\n") + "\n")
    print("merged into " + path, file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("methods", nargs="*", help="dotted method names, e.g. buyin.simplePlan")
    ap.add_argument("--go"), ap.add_argument("--cs"), ap.add_argument("--php"), ap.add_argument("--skit")
    ap.add_argument("--spec", default=os.path.join(os.path.dirname(__file__), "..", "spec", "doudian"))
    ap.add_argument("--missing", action="store_true", help="list the methods the SDKs know and spec/doudian lacks")
    ap.add_argument("--group", action="append", default=[], help="draft every missing method of a group (first segment)")
    ap.add_argument("--out", help="write the draft to this file instead of stdout")
    ap.add_argument("--merge", action="store_true",
                    help="insert the drafts into spec/doudian/<module>.yaml (types before `endpoints:`, "
                         "endpoints before `events:` or at the end; a new module gets a new file) for review")
    a = ap.parse_args()
    global CS_SRC
    go, cs, php = (Source(p) if p else None for p in (a.go, a.cs, a.php))
    CS_SRC = cs
    shared, modules, have = load_yaml_shapes(a.spec)
    doc_ids = skit_doc_ids(Source(a.skit)) if a.skit else {}
    methods = list(a.methods)
    if a.missing or a.group:
        known = sdk_methods(go, cs, php)
        missing = []
        for dname in sorted(known):
            if dname in ("token", "materialgw"):       # not methods: the PHP SDK's token/upload helpers
                continue
            m = dotted(dname, [("go", go), ("php", php)])
            if m not in have:
                missing.append(m)
        if a.missing:
            for m in missing:
                f = find(m, go, cs, php)
                print("%-55s %s" % (m, f["source"] if f else "-"))
            print("%d missing" % len(missing), file=sys.stderr)
            return
        methods += [m for m in missing if m.split(".")[0] in a.group]
    by_module, drafters = {}, {}
    for m in methods:
        f = find(m, go, cs, php)
        if not f:
            print("# %s: in no source" % m, file=sys.stderr)
            continue
        mod = module_of(m)
        d = drafters.setdefault(mod, Drafter(mod, shared, modules))
        types, lines = draft(m, f, doc_ids, d, php)
        t, e = by_module.setdefault(mod, ([], []))
        t += types
        e += lines + [""]
    if a.merge:
        for mod, (types, eps) in by_module.items():
            merge(os.path.join(a.spec, mod + ".yaml"), mod, types, eps)
        return
    text = []
    for mod, (types, eps) in by_module.items():
        text.append("# ---- module %s (spec/doudian/%s.yaml)" % (mod, mod))
        if types:
            text.append("types:")
            text += types
            text.append("")
        text.append("endpoints:")
        text += eps
    s = "\n".join(text) + "\n"
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(s)
    else:
        sys.stdout.write(s)


if __name__ == "__main__":
    main()
