"""Writes each `// -----` split of the given .mlir files as one fuzz seed.

    python3 split_mlir_seeds.py OUTDIR FILE.mlir ...
"""

import sys
from pathlib import Path

out = Path(sys.argv[1])
count = 0
for name in sys.argv[2:]:
    text = Path(name).read_text()
    for chunk in text.split("// -----"):
        # Drop lit/FileCheck comment lines: they are not what the parser sees
        # in the field, and they would dominate the seeds.
        lines = [l for l in chunk.splitlines() if not l.lstrip().startswith("//")]
        body = "\n".join(lines).strip()
        if body:
            (out / f"{count:04d}.mlir").write_text(body + "\n")
            count += 1
print(f"{count} .mlir seeds")
