"""The one writer of reference/<platform>/*.json (see tools/README.md, "Reference snapshots").

A snapshot file is one module of one platform:

    {
      "source": {"name": ..., "revision": ..., "written_by": ...},
      "endpoints": {
        "POST /order/202309/orders/search": {
          "operation": "getOrderList",
          "query": {
            "page_size": {"type": "int", "required": true},
            ...
          },
          "body": {...}, "path": {...},
          "data": "object",
          "response": {"orders": {"type": "[object]"}, "orders[].id": {"type": "string"}, ...}
        }
      }
    }

Endpoints are sorted by key; fields keep the source's order, one per line, so a new upstream
release shows up as a readable diff.
"""

import json
import os


def _line(v):
    return json.dumps(v, ensure_ascii=False, sort_keys=False, separators=(", ", ": "))


def render(source, endpoints):
    out = ["{", f'  "source": {_line(source)},', '  "endpoints": {']
    keys = sorted(endpoints)
    for i, key in enumerate(keys):
        e = endpoints[key]
        out.append(f"    {_line(key)}: {{")
        items = list(e.items())
        for j, (k, v) in enumerate(items):
            comma = "," if j + 1 < len(items) else ""
            if isinstance(v, dict) and k not in ("incomplete",):
                if not v:
                    out.append(f"      {_line(k)}: {{}}{comma}")
                    continue
                out.append(f"      {_line(k)}: {{")
                fields = list(v.items())
                for m, (path, facts) in enumerate(fields):
                    c2 = "," if m + 1 < len(fields) else ""
                    out.append(f"        {_line(path)}: {_line(facts)}{c2}")
                out.append(f"      }}{comma}")
            else:
                out.append(f"      {_line(k)}: {_line(v)}{comma}")
        out.append("    }" + ("," if i + 1 < len(keys) else ""))
    out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


def write_snapshot(out_dir, source, modules):
    """Writes one file per module into `out_dir`, removing module files no longer there."""
    os.makedirs(out_dir, exist_ok=True)
    keep = set()
    n = 0
    for module, endpoints in sorted(modules.items()):
        name = f"{module}.json"
        keep.add(name)
        text = render(source, endpoints)
        json.loads(text)  # the writer's own check: what it writes parses
        path = os.path.join(out_dir, name)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        n += len(endpoints)
    for f in os.listdir(out_dir):
        if f.endswith(".json") and f not in keep:
            os.remove(os.path.join(out_dir, f))
    return n
