"""Prints the PTX held by the gpu.binary ops of an MLIR file.

Usage: extract-ptx.py FILE [--ptxas PTXAS --gpu-name SM]

`gpu-module-to-binary{format=isa}` leaves each kernel module's PTX as the
escaped string of a `#gpu.object`; this decodes every one (MLIR string
escapes: \\XX hex bytes, \\\\, \\", \\n, \\t) and prints it after a line
`// gpu.binary @NAME`. With --ptxas, each is instead assembled by
`PTXAS -v --gpu-name SM` and its report is printed after that line (a
failing ptxas makes this script fail).
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BINARY = re.compile(r'gpu\.binary @(\w+)\s*(?:<[^>]*>)?\s*\[#gpu\.object<.*?assembly = "((?:[^"\\]|\\.)*)"', re.S)
ESCAPE = re.compile(r'\\([0-9A-Fa-f]{2}|.)')


def unescape(text):
    def one(match):
        code = match.group(1)
        if len(code) == 2:
            return chr(int(code, 16))
        return {"n": "\n", "t": "\t"}.get(code, code)
    return ESCAPE.sub(one, text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--ptxas")
    parser.add_argument("--gpu-name")
    args = parser.parse_args()
    found = BINARY.findall(Path(args.file).read_text())
    if not found:
        sys.exit(f"extract-ptx: no gpu.binary with PTX assembly in {args.file}")
    for name, assembly in found:
        ptx = unescape(assembly)
        print(f"// gpu.binary @{name}", flush=True)
        if not args.ptxas:
            print(ptx)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / f"{name}.ptx"
            source.write_text(ptx)
            run = subprocess.run([args.ptxas, "-v", "--gpu-name", args.gpu_name, str(source),
                                  "-o", str(Path(tmp) / f"{name}.cubin")],
                                 capture_output=True, text=True)
            print(run.stdout + run.stderr, flush=True)
            if run.returncode:
                sys.exit(f"extract-ptx: ptxas failed on @{name}")


if __name__ == "__main__":
    main()
