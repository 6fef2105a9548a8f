#!/usr/bin/env bash
# Writes the seed corpus of one fuzz target into OUTDIR, from the tests:
#   make_seeds.sh npy|json|mlir|torchscript OUTDIR
set -euo pipefail
target=$1 seeds=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
python=/usr/bin/python3
rm -rf "$seeds" && mkdir -p "$seeds"
case "$target" in
  npy) "$python" "$root/test/Fuzz/make_npy_seeds.py" "$seeds" ;;
  json) "$python" "$root/test/Fuzz/make_json_seeds.py" "$seeds" ;;
  mlir)
    # Every split of every lit test file.
    find "$root/test" -name '*.mlir' -not -path '*/Fuzz/*' -print0 | sort -z |
      xargs -0 "$python" "$root/test/Fuzz/split_mlir_seeds.py" "$seeds" ;;
  torchscript) "$python" "$root/test/Importer/make_models.py" "$seeds" > /dev/null ;;
  *) echo "error: unknown fuzz target '$target'" >&2; exit 2 ;;
esac
