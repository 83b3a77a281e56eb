#!/usr/bin/env python3
"""Rewrite built example responses from the official SDK's per-field example values
(see tools/README.md, "Examples from the official field examples").

    python3 tools/examples_from_reference.py --platform doudian
    cargo xtask gen && cargo xtask fidelity      # examples official / built

The official Doudian Java SDK gives each response field an `example=` value (`@OpField`), kept in
reference/doudian/*.json. For an endpoint whose example is built from the fields (marked
`# Example built from the fields`) or is the envelope alone while the spec now types a response,
this writes the example from those values: every field the snapshot gives a value for, with the
value in the field's type; fields without one are left out, and so are objects left empty. The
example is then marked `# Example assembled from the official SDK's field examples`, which the
fidelity check counts as official. An endpoint whose response has no official example value keeps
its example.
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fill_from_reference import Spec, load_snapshot  # noqa: E402

ASSEMBLED = "# Example assembled from the official SDK's field examples (no sample response was available)."
BUILT = "# Example built from the fields"
ENVELOPE = {"doudian": '{"code":10000,"msg":"success","sub_code":"","sub_msg":"","log_id":"%s","data":%s}'}


def value_of(ty, text):
    """The example text as a JSON value of the field's type, or None."""
    text = text.strip()
    try:
        if ty == "int":
            return int(text)
        if ty == "number":
            v = float(text)
            return int(v) if v.is_integer() and "." not in text else v
        if ty == "bool":
            return {"true": True, "false": False, "1": True, "0": False}.get(text.lower())
        if ty == "string":
            return text
        if ty.startswith("[") or ty.startswith("{") or ty in ("any", "object"):
            v = json.loads(text)
            return v
    except (ValueError, json.JSONDecodeError):
        return None
    return None


def assemble(src, prefix=""):
    """The object at `prefix` from the snapshot's example values."""
    out = {}
    for path, facts in src.items():
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix):]
        if "." in rest or not rest or rest.startswith("["):
            continue
        key = rest
        ty = facts["type"]
        if ty == "object" or re.match(r"^(\[|\{)+object(\]|\})+$", ty):
            inner_prefix = path + "".join("[]" if c == "[" else "{}" for c in ty if c in "[{") + "."
            inner = assemble(src, inner_prefix)
            if not inner:
                continue
            v = inner
            for c in reversed([c for c in ty if c in "[{"]):
                v = [v] if c == "[" else {"key": v}
            out[key] = v
            continue
        if "example" not in facts:
            continue
        if ty.startswith("[") and not ty.startswith("[["):
            inner_ty = ty[1:-1]
            v = value_of(ty, facts["example"])
            if not isinstance(v, list):
                one = value_of(inner_ty, facts["example"])
                v = [one] if one is not None else None
        else:
            v = value_of(ty, facts["example"])
        if v is not None:
            out[key] = v
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--platform", default="doudian")
    a = ap.parse_args()
    if a.platform not in ENVELOPE:
        sys.exit(f"no envelope for {a.platform}: its sources carry no field examples")
    spec = Spec(a.platform)
    snap = load_snapshot(a.platform)
    changed = 0
    for module in list(spec.text):
        endpoints = (spec.data[module].get("endpoints") or {})
        for name, e in endpoints.items():
            key = spec.endpoint_key(module, name)
            ref = snap.get(key)
            if not ref or not e.get("response"):
                continue
            lines = spec.text[module].split("\n")
            e0 = spec.section_start(module, "endpoints")
            b = spec.block(module, name + ":", e0 or 0)
            ex = [i for i in range(b[0], b[1]) if lines[i] == "    example: |"]
            if len(ex) != 1:
                continue
            i = ex[0]
            # the comment lines right above `example:`
            c = i
            while c - 1 > b[0] and lines[c - 1].startswith("    #"):
                c -= 1
            comments = "\n".join(lines[c:i])
            body = json.loads(lines[i + 1].strip()) if i + 1 < b[1] else {}
            built = BUILT in comments or "envelope only" in comments or ASSEMBLED in comments
            if not built:
                continue
            src = ref.get("response") or {}
            if ref.get("data") not in (None, "object", "none"):
                continue  # a one-value data: left as it is
            data = assemble(src)
            if "data_value" in (e.get("flags") or []) and data and list(data) != ["data"]:
                data = {"data": data}
            if not data:
                continue
            log_id = body.get("log_id", "20240101120000010000000000000000")
            text = ENVELOPE[a.platform] % (log_id, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
            lines[c:i + 2] = [f"    {ASSEMBLED}", "    example: |", "      " + text]
            spec.text[module] = "\n".join(lines)
            spec.reload(module)
            changed += 1
    spec.save()
    print(f"{a.platform}: {changed} examples assembled from the official field examples")


if __name__ == "__main__":
    main()
