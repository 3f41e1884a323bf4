#!/usr/bin/env python3
"""The minimum Rust version the dependency tree allows.

Walks `cargo metadata`'s resolved graph from odestride over normal and build
dependencies (dev-dependencies do not reach users) and prints the packages
with the highest `rust-version`, and their maximum: `rust-version` in
Cargo.toml must be at least that. Extra arguments go to cargo metadata, e.g.

    python3 scripts/msrv.py
    python3 scripts/msrv.py --all-features
    python3 scripts/msrv.py --no-default-features

(The graph covers every target platform, so it is an upper bound for any one
of them.)
"""
import json
import subprocess
import sys


def version_key(v):
    parts = [int(x) for x in v.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    meta = json.loads(
        subprocess.check_output(
            ["cargo", "metadata", "--format-version", "1", "--locked"] + sys.argv[1:]
        )
    )
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = meta["resolve"]["root"]
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for dep in nodes[node]["deps"]:
            if any(k["kind"] in (None, "build") for k in dep["dep_kinds"]):
                stack.append(dep["pkg"])
    seen.discard(root)
    declared = sorted(
        (
            (packages[i]["rust_version"], packages[i]["name"], packages[i]["version"])
            for i in seen
            if packages[i].get("rust_version")
        ),
        key=lambda r: version_key(r[0]),
    )
    for rv, name, version in declared[-5:]:
        print(f"{rv:>8}  {name} {version}")
    print(
        f"minimum Rust version: {declared[-1][0]} "
        f"({len(seen)} dependencies, {len(seen) - len(declared)} declare none)"
    )


if __name__ == "__main__":
    main()
