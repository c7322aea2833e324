#!/usr/bin/env python3
"""Checks that every RPC's comment lists the status codes it answers.

Usage: check_status_codes.py API_JSON

API_JSON is protoc-gen-doc's JSON output for proto/ (bin/check-protos makes it), so the check reads
each comment exactly as docs/api.md shows it. Every method's description must have a paragraph
that starts with "Status codes" (a "(...)" remark may follow) and a colon, followed by one or more
lines "- CODE[, CODE...]: why", each CODE a gRPC status code name other than OK, none twice.
Prints each problem and exits 1 when there is one; prints a summary and exits 0 otherwise.
"""
import json
import re
import sys

CODES = {
    "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}
HEADING = re.compile(r"^Status codes( \([^)]*\))?:$")
ITEM = re.compile(r"^- ([A-Z_]+(?:, [A-Z_]+)*): \S")


def problems_of(description):
    """The problems of one RPC's comment; empty when it lists its codes."""
    lines = [line.strip() for line in description.splitlines()]
    starts = [i for i, line in enumerate(lines) if HEADING.match(line)]
    if len(starts) != 1:
        return [f"{len(starts)} 'Status codes:' paragraphs (expected: exactly one)"]
    problems, seen, items = [], set(), 0
    for line in lines[starts[0] + 1:]:
        if not line:
            break
        if not line.startswith("- "):
            continue  # the continuation of an item's reason
        m = ITEM.match(line)
        if not m:
            problems.append(f"the line {line!r} (expected: '- CODE: why' or '- CODE, CODE: why')")
            continue
        items += 1
        for code in m.group(1).split(", "):
            if code not in CODES:
                problems.append(f"{code}: not a gRPC status code (expected: one of {sorted(CODES)})")
            elif code in seen:
                problems.append(f"{code}: listed twice")
            seen.add(code)
    if items == 0:
        problems.append("no '- CODE: why' line after 'Status codes:'")
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        api = json.load(f)
    failures, rpcs = [], 0
    for file in api["files"]:
        for service in file["services"]:
            for method in service["methods"]:
                rpcs += 1
                where = f"{file['name']}: {service['fullName']}.{method['name']}"
                failures += [f"{where}: {p}" for p in problems_of(method["description"])]
    if rpcs == 0:
        failures.append(f"{sys.argv[1]}: no RPC at all (expected: the services of proto/)")
    for failure in failures:
        print(failure)
    if failures:
        print("Each rpc's comment in proto/ must end with a 'Status codes:' list (see proto/README.md).")
        return 1
    print(f"{rpcs} RPCs, each listing its status codes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
