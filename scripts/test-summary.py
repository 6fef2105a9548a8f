"""Prints one line, "N passed, M failed[, K skipped]", for test runs.

    test-summary.py [--skipped WHAT]... RESULTS_DIR [RESULTS_DIR ...]

Each `--skipped WHAT` is a whole suite that did not run (scripts/test.sh
passes one per QTENSOR_SKIP_* setting); it counts as one skipped test and is
named above the summary line, so that a skipped suite cannot pass unseen.


ctest runs the lit suite as a single test named `lit`; this counts the lit
cases one by one from lit's xunit file instead, and every other ctest test
(GoogleTest cases, docs checks) as itself. Exits 1 if anything failed or if
no test ran at all.
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def count_cases(path):
    """Returns (passed, failed, skipped) for the testcases of a JUnit file."""
    passed = failed = skipped = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        status = case.get("status", "")
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None or status in ("notrun", "disabled"):
            skipped += 1
        elif status in ("fail", "failed"):
            failed += 1
        else:
            passed += 1
    return passed, failed, skipped


def count_run(results):
    """[passed, failed, skipped] of one results directory."""
    totals = [0, 0, 0]
    ctest_xml = results / "ctest.xml"
    lit_xml = results / "lit.xml"
    if not ctest_xml.exists():
        print(f"error: ctest wrote no results in {results}; see the output above")
        return [0, 1, 0]

    for case in ET.parse(ctest_xml).getroot().iter("testcase"):
        name = case.get("name")
        status = case.get("status", "")
        if name == "lit" and lit_xml.exists():
            continue  # counted case by case below
        if status == "run":
            totals[0] += 1
        elif status in ("notrun", "disabled"):
            totals[2] += 1
        else:
            totals[1] += 1

    if lit_xml.exists():
        passed, failed, skipped = count_cases(lit_xml)
        totals[0] += passed
        totals[1] += failed
        totals[2] += skipped
    return totals


def main():
    totals = [0, 0, 0]
    args = sys.argv[1:]
    directories = []
    while args:
        arg = args.pop(0)
        if arg == "--skipped" and args:
            print(f"skipped: {args.pop(0)}")
            totals[2] += 1
        else:
            directories.append(arg)
    for directory in directories:
        for i, count in enumerate(count_run(Path(directory))):
            totals[i] += count
    passed, failed, skipped = totals
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
