"""Checks that docs/importer.md's op table lists exactly the registered ops.

    python3 check-op-table.py SOURCE_DIR

The ops are the kinds registered with `table.add("...")` in
importer/lib/*.cpp; the table is the one under "## What the importer does"
in docs/importer.md, where every op is written out in full (`aten::exp`).
Prints what is missing on either side and exits 1, or prints the count.
"""

import re
import sys
from pathlib import Path


def main():
    root = Path(sys.argv[1])
    registered = set()
    for source in sorted((root / "importer" / "lib").glob("*.cpp")):
        registered |= set(re.findall(r'table\.add\(\s*"([^"]+)"', source.read_text()))
    doc = (root / "docs" / "importer.md").read_text()
    section = doc.split("## What the importer does", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    documented = set(re.findall(r"`((?:aten|prim)::[A-Za-z0-9_]+)`", table))
    missing = sorted(registered - documented)
    extra = sorted(documented - registered)
    for op in missing:
        print(f"registered but not in docs/importer.md's op table: {op}")
    for op in extra:
        print(f"in docs/importer.md's op table but not registered: {op}")
    if missing or extra or not registered:
        sys.exit(1)
    print(f"docs/importer.md lists all {len(registered)} registered ops")


if __name__ == "__main__":
    main()
