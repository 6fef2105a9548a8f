"""Runs a command and succeeds only if it exits with the given status.

Usage: expect-exit.py STATUS COMMAND [ARGS...]

The command's stdout and stderr pass through unchanged, so a test can pipe
them into FileCheck while also checking the exact exit code, which lit's
`not` cannot do.
"""

import subprocess
import sys

expected = int(sys.argv[1])
status = subprocess.call(sys.argv[2:])
if status != expected:
    sys.stderr.write(f"expect-exit: {sys.argv[2]} exited with {status}, expected {expected}\n")
    sys.exit(1)
