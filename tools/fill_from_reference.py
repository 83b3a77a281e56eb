#!/usr/bin/env python3
"""Draft the fields the official typed sources have and spec/ lacks, from the reference snapshots
(see tools/README.md, "Filling gaps from the snapshots").

    cargo xtask fidelity --json > /tmp/missing.json
    python3 tools/fill_from_reference.py --missing /tmp/missing.json --platform doudian
    python3 tools/fill_from_reference.py --missing /tmp/missing.json --platform tiktok --enums
    cargo xtask gen && cargo xtask fidelity             # then review the diff

For each source path the spec lacks whose parent the spec has, it writes one field line into the
struct or endpoint section that holds the parent (`container` in the JSON), with the source's wire
name, type, `required` (request fields) and description. A missing object becomes a new struct
with its whole subtree; a struct of the same fields already defined in the module or in
types.yaml is reused, and one defined in another module is moved to types.yaml and shared (the
generator refuses two modules each defining it). With `--enums`, request and response fields the
source types as an enum and the spec leaves a free string become enum types (TikTok Shop).

The YAML stays the reviewed source: read the diff. Standard library and PyYAML.
"""

import argparse
import json
import os
import re
import sys
from collections import OrderedDict

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text):
    return yaml.load(text, Loader=LOADER)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
KEYWORDS = set(
    "abstract as async await become box break const continue crate do dyn else enum extern false "
    "final fn for gen if impl in let loop macro match mod move mut override priv pub ref return "
    "self Self static struct super trait true try type typeof unsafe unsized use virtual where "
    "while yield".split())
RENAME = {"type": "kind", "ref": "reference", "match": "matched", "in": "inside", "box": "box_info"}
RESERVED = {"Option", "Result", "Vec", "String", "Box", "Some", "None", "Ok", "Err", "Default",
            "Value", "BTreeMap", "Self", "Error", "Client", "Request", "Response", "Decimal"}
MONEY = re.compile(r"(price|amount|fee|money|cost)", re.I)
NO_DOC = "Not described in the official source."
# enum names that say nothing alone: prefixed with the struct or endpoint that holds them
GENERIC = {"Type", "Status", "Kind", "Mode", "State", "Role", "Scope", "Reason", "Source", "Level",
           "Format", "Unit", "Method", "Action", "Value", "Name", "Code", "Category", "Channel"}


def snake(s):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"[^A-Za-z0-9_]", "_", s)
    return re.sub(r"_+", "_", s).strip("_").lower()


def camel(s):
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[_\W]+", s) if p)


def singular(name):
    if name.endswith("_list") and len(name) > 5:
        return name[:-5]
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if name.endswith("uses"):
        return name[:-2]
    for suf in ("sses", "xes", "ches", "shes"):
        if name.endswith(suf):
            return name[:-2]
    if name.endswith("s") and not name.endswith(("ss", "us", "is")) and len(name) > 3:
        return name[:-1]
    return name


def q(text):
    return json.dumps(text, ensure_ascii=False)


def variant_name(v):
    n = camel(re.sub(r"[^A-Za-z0-9]+", "_", str(v)).lower())
    if not n or n[0].isdigit():
        n = "V" + n
    return n


class Spec:
    """The spec files of one platform, as text (edited) and as data (read)."""

    def __init__(self, platform):
        self.dir = os.path.join(ROOT, "spec", platform)
        self.platform = platform
        self.text = {}
        for f in sorted(os.listdir(self.dir)):
            if f.endswith(".yaml") and f != "platform.yaml":
                self.text[f[:-5]] = open(os.path.join(self.dir, f), encoding="utf-8").read()
        self.reload()

    def reload(self, *modules):
        """Re-reads the modules edited (all when none is named)."""
        if not hasattr(self, "data") or not modules:
            self.data = {m: (load(t) or {}) for m, t in self.text.items()}
            return
        for m in modules:
            self.data[m] = load(self.text[m]) or {}

    def save(self):
        for m, t in self.text.items():
            path = os.path.join(self.dir, m + ".yaml")
            if open(path, encoding="utf-8").read() != t:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(t)

    def types(self, module):
        return (self.data.get(module) or {}).get("types") or {}

    def defined(self, name):
        return [m for m in self.data if name in self.types(m)]

    def endpoint_key(self, module, name):
        e = (self.data[module].get("endpoints") or {})[name]
        if "http" in e:
            return e["http"]
        return "POST /" + name.replace(".", "/")

    def shape(self, module, fields):
        out = []
        for k, f in fields.items():
            t = str(f.get("type"))
            base = t.strip("[]{}")
            if base[:1].isupper():
                owner = module if base in self.types(module) else "types"
                t = t.replace(base, owner + "::" + base)
            out.append((k, f.get("wire", k), t, bool(f.get("required"))))
        return tuple(out)

    # ------------------------------------------------------------------ text edits

    def block(self, module, header, start=0, indent=2):
        """(begin, end) line indices of the block whose first line is `header` at `indent`."""
        lines = self.text[module].split("\n")
        for i in range(start, len(lines)):
            if lines[i] == " " * indent + header:
                j = i + 1
                while j < len(lines) and (not lines[j].strip() or lines[j].startswith(" " * (indent + 1))
                                          or lines[j].lstrip().startswith("#") and len(lines[j]) - len(lines[j].lstrip()) > indent):
                    j += 1
                while j > i + 1 and not lines[j - 1].strip():
                    j -= 1
                return i, j
        return None

    def section_start(self, module, section):
        lines = self.text[module].split("\n")
        for i, l in enumerate(lines):
            if l == section + ":":
                return i
        return None

    def append_field(self, container, line):
        """Appends `line` (a whole field line at indent 6) to the container's fields."""
        parts = container.split()
        module = os.path.basename(parts[0])[:-5]
        lines = self.text[module].split("\n")
        if parts[1] == "type":
            t0 = self.section_start(module, "types")
            b = self.block(module, parts[2] + ":", t0 or 0)
            if b is None:
                raise SystemExit(f"no type {parts[2]} in {module}")
            fb = self.block(module, "fields:", b[0], indent=4)
            if fb is None or fb[0] >= b[1]:
                raise SystemExit(f"type {parts[2]} in {module} has no fields: block")
            at = fb[1]
        else:
            e0 = self.section_start(module, "endpoints")
            b = self.block(module, parts[2] + ":", e0 or 0)
            if b is None:
                raise SystemExit(f"no endpoint {parts[2]} in {module}")
            place = parts[3]
            sb = self.block(module, place + ":", b[0], indent=4)
            if sb is not None and sb[0] < b[1]:
                at = sb[1]
            else:
                # a new section, before the example (and its comments) or pagination
                at = b[1]
                for k in range(b[0] + 1, b[1]):
                    s = lines[k].strip()
                    if lines[k].startswith("    ") and not lines[k].startswith("     ") and (
                            s.startswith("example:") or s.startswith("pagination:") or s.startswith("not_paged:")
                            or s.startswith("# Example") or s.startswith("# The doc")):
                        at = k
                        break
                lines.insert(at, f"    {place}:")
                at += 1
        lines.insert(at, line)
        self.text[module] = "\n".join(lines)

    def field_line(self, at):
        """(module, index of the field's line) of a fidelity `at` (`<file> type <Name> <key>` or
        `<file> endpoint <name> <place> <key>`), or None when the line is not found once."""
        at = at.split()
        module = os.path.basename(at[0])[:-5]
        if at[1] == "type":
            b = self.block(module, at[2] + ":", self.section_start(module, "types") or 0)
        else:
            b0 = self.block(module, at[2] + ":", self.section_start(module, "endpoints") or 0)
            b = self.block(module, at[3] + ":", b0[0], indent=4)
        lines = self.text[module].split("\n")
        hit = [i for i in range(b[0], b[1]) if re.match(rf"^\s+{re.escape(at[-1])}: \{{", lines[i])]
        return (module, hit[0]) if len(hit) == 1 else None

    def replace_line(self, module, i, new):
        lines = self.text[module].split("\n")
        if lines[i] == new:
            return False
        lines[i] = new
        self.text[module] = "\n".join(lines)
        self.reload(module)
        return True

    def add_type(self, module, name, body_lines):
        lines = self.text[module].split("\n")
        t0 = self.section_start(module, "types")
        if t0 is None:
            e0 = self.section_start(module, "endpoints")
            at = e0 if e0 is not None else len(lines)
            lines[at:at] = ["types:", ""]
            t0 = at
        # at the end of the types section
        j = t0 + 1
        while j < len(lines) and (not lines[j].strip() or lines[j].startswith(" ") or lines[j].startswith("#")):
            j += 1
        while j > t0 + 1 and (not lines[j - 1].strip() or lines[j - 1].startswith("#")):
            j -= 1
        lines[j:j] = [""] + [f"  {name}:"] + body_lines
        self.text[module] = "\n".join(lines)

    def move_type(self, module, name):
        """Moves `name`'s block from `module` to types.yaml."""
        t0 = self.section_start(module, "types")
        b = self.block(module, name + ":", t0 or 0)
        lines = self.text[module].split("\n")
        body = lines[b[0] + 1:b[1]]
        del lines[b[0]:b[1]]
        while b[0] < len(lines) and b[0] > 0 and not lines[b[0] - 1].strip() and not lines[b[0]].strip():
            del lines[b[0]]
        self.text[module] = "\n".join(lines)
        self.add_type("types", name, body)


class Filler:
    def __init__(self, spec, snapshot):
        self.spec = spec
        self.snap = snapshot
        self.added = 0
        self.types_added = []
        self.moved = []

    def type_of(self, module, src, path, ty, hint, taken_names):
        """The spec type for a source type; objects become structs (defined here)."""
        if ty.startswith("["):
            inner = self.type_of(module, src, path + "[]", ty[1:-1], hint, taken_names)
            return "[" + inner + "]" if inner else None
        if ty.startswith("{"):
            inner = self.type_of(module, src, path + "{}", ty[1:-1], hint, taken_names)
            return "{" + inner + "}" if inner else None
        if ty == "object":
            return self.struct_for(module, src, path, hint)
        if ty == "number":
            return "decimal" if MONEY.search(hint) else "f64"
        return {"string": "string", "int": "i64", "bool": "bool", "any": "json"}.get(ty, "json")

    def children(self, src, path):
        """The direct fields of the object at `path` (list and map markers included)."""
        pre = path + "."
        return OrderedDict((k[len(pre):], (k, v)) for k, v in src.items()
                           if k.startswith(pre) and "." not in k[len(pre):])

    def field_line(self, module, src, key_path, facts, request, taken):
        wire = key_path.rsplit(".", 1)[-1].replace("[]", "").replace("{}", "")
        rust = snake(wire) or "field"
        if rust in KEYWORDS or rust in RENAME:
            rust = RENAME.get(rust, rust + "_value")
        base = rust
        n = 2
        while rust in taken:
            rust = f"{base}_{n}"
            n += 1
        taken.add(rust)
        ty = self.type_of(module, src, key_path, facts["type"], wire, taken)
        if ty is None:
            return None, None
        parts = [f"type: {q(ty) if ty[0] in '[{' else ty}"]
        if wire != rust:
            parts.append(f"wire: {q(wire)}")
        if request and facts.get("required"):
            parts.append("required: true")
        parts.append(f"doc: {q(facts.get('doc') or NO_DOC)}")
        return rust, "{" + ", ".join(parts) + "}"

    def struct_for(self, module, src, path, hint):
        kids = self.children(src, path)
        if not kids:
            return "json"  # the source names an object and states none of its fields
        request = self.request
        fields = OrderedDict()
        holder = re.sub(r"(\[\]|\{\})+$", "", path)
        lines = ["    doc: " + q((src.get(holder) or {}).get("doc") or NO_DOC), "    fields:"]
        taken = set()
        for leaf, (k, v) in kids.items():
            rust, line = self.field_line(module, src, k, v, request, taken)
            if line is None:
                continue
            lines.append(f"      {rust}: {line}")
            fields[rust] = load(line)
        shape = self.spec.shape(module, fields)
        # an existing struct of these fields: here, shared, or another module's (then shared)
        for m in [module, "types"] + [x for x in self.spec.data if x not in (module, "types")]:
            for name, t in self.spec.types(m).items():
                if "fields" in t and self.spec.shape(m, t["fields"]) == shape:
                    if m in (module, "types"):
                        return name
                    if not self.spec.defined(name) == [m]:
                        continue
                    self.spec.move_type(m, name)
                    self.spec.reload(m, "types")
                    self.moved.append((m, name))
                    return name
        name = camel(singular(hint)) or "Item"
        base_name = name
        if name in RESERVED or self.spec.defined(name) or name in ("Data",):
            name = camel(self.endpoint_base) + base_name
        n = 2
        while name in RESERVED or self.spec.defined(name):
            name = f"{camel(self.endpoint_base)}{base_name}{n}"
            n += 1
        self.spec.add_type(module, name, lines)
        self.spec.reload(module)
        self.types_added.append((module, name))
        return name

    def fill(self, records, only_place=None):
        done = set()
        for r in records:
            if r["container"] is None or (only_place and r["place"] != only_place):
                continue
            parts = r["container"].split()
            module = os.path.basename(parts[0])[:-5]
            ep_module = self.module_of_endpoint(r["endpoint"])
            key = self.spec.endpoint_key(ep_module, r["endpoint"])
            ref = self.snap.get(key)
            if ref is None:
                continue
            src = ref.get("response" if r["place"] == "response" else r["place"], {})
            if r["path"] not in src:
                continue
            # a struct shared by several endpoints gets each field once
            leaf = r["path"].rsplit(".", 1)[-1].replace("[]", "").replace("{}", "")
            if (r["container"], leaf) in done:
                continue
            done.add((r["container"], leaf))
            self.request = r["place"] != "response"
            self.endpoint_base = r["endpoint"].replace(".", "_")
            taken = self.existing_keys(r["container"])
            rust, line = self.field_line(module, src, r["path"], src[r["path"]], self.request, taken)
            if line is None:
                continue
            self.spec.append_field(r["container"], f"      {rust}: {line}")
            self.spec.reload(module)
            self.added += 1

    def existing_keys(self, container):
        parts = container.split()
        module = os.path.basename(parts[0])[:-5]
        if parts[1] == "type":
            t = self.spec.types(module).get(parts[2]) or {}
            return set((t.get("fields") or {}).keys())
        e = (self.spec.data[module].get("endpoints") or {}).get(parts[2]) or {}
        keys = set()
        for place in ("query", "path", "body"):
            keys |= set((e.get(place) or {}).keys())
        if parts[3] == "response":
            keys = set((e.get("response") or {}).keys())
        return keys

    def module_of_endpoint(self, name):
        for m, d in self.spec.data.items():
            if name in (d.get("endpoints") or {}):
                return m
        raise SystemExit(f"no endpoint {name}")


def load_snapshot(platform):
    out = {}
    d = os.path.join(ROOT, "reference", platform)
    for f in sorted(os.listdir(d)):
        if f.endswith(".json"):
            out.update(json.load(open(os.path.join(d, f), encoding="utf-8"))["endpoints"])
    return out


def type_enums(spec, snap, findings):
    """Free string fields the source types as enums become enum types."""
    made = 0
    for x in findings:
        at = x["at"].split()
        module = os.path.basename(at[0])[:-5]
        ep_module = None
        for m, d in spec.data.items():
            if x["endpoint"] in (d.get("endpoints") or {}):
                ep_module = m
        ref = snap.get(spec.endpoint_key(ep_module, x["endpoint"]), {})
        src = ref.get("response" if x["place"] == "response" else x["place"], {})
        facts = src.get(x["path"])
        if not facts or not facts.get("enum"):
            continue
        values = facts["enum"]
        if any(not isinstance(v, str) for v in values):
            continue  # integer enums need a name per value: by hand
        key = at[-1]
        wire_leaf = x["path"].rsplit(".", 1)[-1].replace("[]", "").replace("{}", "")
        base = camel(singular(wire_leaf))
        # one enum per set of values in a module
        name = None
        for m in (module, "types"):
            for n, t in spec.types(m).items():
                if t.get("enum") == "string" and list((t.get("values") or {}).keys()) == values:
                    name = n
        if name is None:
            owner = at[2] if at[1] == "type" else camel(x["endpoint"].split(".")[-1])
            generic = base in GENERIC
            name = base if not (generic or base in RESERVED or spec.defined(base)) else owner + base
            n = 2
            while name in RESERVED or spec.defined(name):
                name = f"{owner}{base}{n}"
                n += 1
            body = [f"    doc: {q('Values of `' + wire_leaf + '` (the official source types it as an enum).')}",
                    "    enum: string", "    values:"]
            for v in values:
                body.append(f"      {q(v)}: {q('As the official source lists it.')}")
            spec.add_type(module, name, body)
            spec.reload(module)
        # retype the field line
        found = spec.field_line(x["at"])
        if found is None:
            continue
        m, i = found
        line = spec.text[m].split("\n")[i]
        new = re.sub(r'type: (")?\[string\]\1', f'type: "[{name}]"', line, count=1)
        if new == line:
            new = re.sub(r"type: string\b", f"type: {name}", line, count=1)
        if spec.replace_line(m, i, new):
            made += 1
    return made


def retype(spec, snap, findings):
    """Fields the spec leaves `json` where the source has a type get that type."""
    filler = Filler(spec, snap)
    made = 0
    for x in findings:
        at = x["at"].split()
        module = os.path.basename(at[0])[:-5]
        ep_module = filler.module_of_endpoint(x["endpoint"])
        ref = snap.get(spec.endpoint_key(ep_module, x["endpoint"]), {})
        src = ref.get("response" if x["place"] == "response" else x["place"], {})
        facts = src.get(x["path"])
        if not facts:
            continue
        filler.request = x["place"] != "response"
        filler.endpoint_base = x["endpoint"].replace(".", "_")
        wire_leaf = x["path"].rsplit(".", 1)[-1].replace("[]", "").replace("{}", "")
        ty = filler.type_of(module, src, x["path"], facts["type"], wire_leaf, set())
        if not ty or ty in ("json", "[json]", "{json}"):
            continue
        found = spec.field_line(x["at"])
        if found is None:
            continue
        m, i = found
        line = spec.text[m].split("\n")[i]
        new_ty = q(ty) if ty[0] in "[{" else ty
        new = re.sub(r'type: (?:"json"|json|"\[json\]"|"\{json\}")(?=[,}])', f"type: {new_ty}", line, count=1)
        if facts.get("doc") and "Named by the PHP SDK" in new:
            new = re.sub(r'doc: ".*?"(?=[,}])', "doc: " + q(facts["doc"]).replace("\\", "\\\\"), new, count=1)
        if spec.replace_line(m, i, new):
            made += 1
    return made


def doc_links(spec, snap, root_url):
    """Doc links that are the docs root, or that two endpoints share, get the page the snapshot's
    source ties the method to (`doc_id`); the comment that said none was known goes."""
    used = {}
    for m, d in spec.data.items():
        for name, e in (d.get("endpoints") or {}).items():
            used.setdefault(e.get("doc_url"), []).append(name)
    made = 0
    for m in list(spec.data):
        for name, e in (spec.data[m].get("endpoints") or {}).items():
            url = e.get("doc_url", "")
            ref = snap.get(spec.endpoint_key(m, name)) or {}
            doc_id = ref.get("doc_id")
            if not doc_id:
                continue
            is_root = url.rstrip("/") == root_url.rstrip("/")
            if not (is_root or len(used.get(url, [])) > 1):
                continue
            new_url = f"{root_url.rstrip('/')}/{doc_id}"
            if new_url == url or new_url in used:
                continue
            lines = spec.text[m].split("\n")
            e0 = spec.section_start(m, "endpoints")
            b = spec.block(m, name + ":", e0 or 0)
            for i in range(b[0], b[1]):
                if lines[i].startswith("    doc_url: "):
                    lines[i] = f"    doc_url: {new_url}"
                    if lines[i - 1].strip().startswith("# doc_url:"):
                        del lines[i - 1]
                    break
            spec.text[m] = "\n".join(lines)
            spec.reload(m)
            used.setdefault(new_url, []).append(name)
            made += 1
    return made


def no_data(spec, snap):
    """Endpoints without response fields whose source shows no data class say so (`no_data:`)."""
    made = 0
    for m in list(spec.data):
        for name, e in (spec.data[m].get("endpoints") or {}).items():
            ref = snap.get(spec.endpoint_key(m, name)) or {}
            if e.get("response") or e.get("no_data") or e.get("deprecated") or ref.get("data") != "none":
                continue
            why = {"java": "the official Java SDK has no data class for it",
                   "java+go": "the official Java SDK has no data class for it",
                   "go": "the official Go SDK types no data for it",
                   "cs": "the doc-page C# SDK documents no response fields",
                   None: "the official response model has no data fields"}.get(ref.get("source"))
            if not why:
                continue
            lines = spec.text[m].split("\n")
            b = spec.block(m, name + ":", spec.section_start(m, "endpoints") or 0)
            at = next(i for i in range(b[0], b[1]) if lines[i].startswith("    doc_url:"))
            lines.insert(at + 1, f"    no_data: {q(why)}")
            spec.text[m] = "\n".join(lines)
            spec.reload(m)
            made += 1
    return made


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--missing", default=None, help="the output of `cargo xtask fidelity --json`")
    ap.add_argument("--platform", required=True)
    ap.add_argument("--place", help="only this place (body, query, response, ...)")
    ap.add_argument("--enums", action="store_true", help="type the source's enums (the json's enum_untyped)")
    ap.add_argument("--no-data", action="store_true", help="endpoints whose source has no data class say so")
    ap.add_argument("--doc-links", metavar="DOC_ROOT", help="docs-root and shared doc links from the snapshot's doc ids")
    ap.add_argument("--retype", action="store_true", help="type the spec's json fields as the source does (the json's untyped)")
    a = ap.parse_args()
    data = json.load(open(a.missing, encoding="utf-8")) if a.missing else {}
    spec = Spec(a.platform)
    snap = load_snapshot(a.platform)
    if a.no_data:
        made = no_data(spec, snap)
        spec.save()
        print(f"{a.platform}: {made} endpoints say the platform returns no data")
        return
    if a.doc_links:
        made = doc_links(spec, snap, a.doc_links)
        spec.save()
        print(f"{a.platform}: {made} doc links set to the page the source names")
        return
    if a.retype:
        made = retype(spec, snap, data.get("untyped", {}).get(a.platform, []))
        spec.save()
        print(f"{a.platform}: {made} json fields typed as the source types them")
        return
    if a.enums:
        made = type_enums(spec, snap, data.get("enum_untyped", {}).get(a.platform, []))
        spec.save()
        print(f"{a.platform}: {made} fields typed as enums")
        return
    filler = Filler(spec, snap)
    filler.fill(data.get("missing", data).get(a.platform, []), a.place)
    spec.save()
    print(f"{a.platform}: {filler.added} fields added, {len(filler.types_added)} new structs, "
          f"{len(filler.moved)} structs moved to types.yaml")
    for m, n in filler.moved:
        print(f"  moved {m}::{n} to types.yaml")


if __name__ == "__main__":
    main()
