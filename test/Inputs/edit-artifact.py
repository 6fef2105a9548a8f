"""Copies an artifact and breaks one thing in it, for qtensor-exec's tests.

    edit-artifact.py SRC DST KIND

KIND: json (manifest is not JSON), format, version, field (no "inputs"),
offset (a parameter's offset is not aligned), feature (needs a CPU feature
no runtime knows), library (no model.so), entry (an entry point the library
lacks), weights (weights.bin one byte short), weights_bytes (less than the
parameters take), chip (cuda: chip sm_99x), binary (cuda: gpu_binary elf).
"""
import json
import shutil
import sys
from pathlib import Path


def main():
    src, dst, kind = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    manifest_path = dst / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if kind == "json":
        manifest_path.write_text(manifest_path.read_text()[:-10])
        return
    if kind == "format":
        manifest["format"] = "onnx"
    elif kind == "version":
        manifest["version"] = 99
    elif kind == "field":
        del manifest["inputs"]
    elif kind == "offset":
        manifest["parameters"][1]["offset"] += 1
    elif kind == "feature":
        manifest["cpu_features"].append("qtensor-test-feature")
    elif kind == "library":
        (dst / "model.so").unlink()
    elif kind == "entry":
        manifest["entry"] = "no_such_entry"
    elif kind == "weights":
        weights = dst / "weights.bin"
        weights.write_bytes(weights.read_bytes()[:-1])
    elif kind == "weights_bytes":
        manifest["weights_bytes"] -= 64
    elif kind == "chip":
        manifest["chip"] = "sm_99x"
    elif kind == "binary":
        manifest["gpu_binary"] = "elf"
    else:
        raise SystemExit(f"unknown kind {kind}")
    manifest_path.write_text(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    main()
