"""Runs a command and succeeds only if it exits with 0 and its output matches.

Usage: expect-output.py REGEX COMMAND [ARGS...]

ctest's PASS_REGULAR_EXPRESSION ignores the exit code, so a command that
prints its success line and then fails (a LeakSanitizer report at exit, a
crash in a destructor) would still pass; this wrapper checks both. The
command's stdout and stderr pass through, merged.
"""

import re
import subprocess
import sys

if len(sys.argv) < 3:
    sys.stderr.write("usage: expect-output.py REGEX COMMAND [ARGS...]\n")
    sys.exit(2)
# As in ctest's regular expressions, "." also matches a newline.
pattern = re.compile(sys.argv[1], re.DOTALL)
process = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
output = process.stdout.decode(errors="replace")
sys.stdout.write(output)
if process.returncode != 0:
    sys.stderr.write(f"expect-output: {sys.argv[2]} exited with "
                     f"{process.returncode}, expected 0\n")
    sys.exit(1)
if not pattern.search(output):
    sys.stderr.write(f"expect-output: no match for /{sys.argv[1]}/ in the "
                     "output\n")
    sys.exit(1)
