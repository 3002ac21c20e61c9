#!/usr/bin/env python3
"""Check that the workspace's `rust-version` is no lower than its dependencies need.

Reads `cargo metadata --locked` (the lock file's resolution, every feature, every
target platform) and takes, over the crates that the published crates of the workspace
(those without `publish = false`) depend on, transitively, as normal or build
dependencies, the highest `rust-version` they declare. Dev-dependencies do not count:
a user of the published crates never builds them. Fails, naming each crate that needs
more, when a published crate's `rust-version` is lower than that. A higher one is no
error: the workspace has one `rust-version` for all its crates, and heartwire's own code
may need more than a crate's dependencies do.

Usage: python3 .ci/rust-version.py  (from anywhere in the workspace)
"""

import json
import subprocess
import sys


def version_key(text):
    """'1.89' or '1.89.0' as a comparable tuple (1, 89, 0)."""
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--all-features"],
            check=True,
            stdout=subprocess.PIPE,
        ).stdout
    )
    packages = {p["id"]: p for p in metadata["packages"]}
    members = set(metadata["workspace_members"])
    # `publish = false` is an empty list in cargo's metadata; `null` means crates.io.
    published = sorted(
        (i for i in members if packages[i]["publish"] != []),
        key=lambda i: packages[i]["name"],
    )
    nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}

    def runtime_deps(node_id):
        for dep in nodes[node_id]["deps"]:
            if any(k["kind"] in (None, "build") for k in dep["dep_kinds"]):
                yield dep["pkg"]

    def closure(root):
        """Every crate `root` needs to build, each with the crate that pulled it in."""
        via = {}
        todo = [root]
        while todo:
            current = todo.pop()
            for dep in runtime_deps(current):
                if dep not in via and dep != root:
                    via[dep] = current
                    todo.append(dep)
        return via

    def chain(via, pkg_id):
        names = [packages[pkg_id]["name"]]
        while pkg_id in via:
            pkg_id = via[pkg_id]
            names.append(packages[pkg_id]["name"])
        return " <- ".join(names)

    def label(pkg_id):
        package = packages[pkg_id]
        return f"{package['name']} {package['version']} needs {package['rust_version']}"

    failed = False
    for member in published:
        package = packages[member]
        via = closure(member)
        # The workspace's own crates share its rust-version: only third-party ones count.
        needs = sorted(
            (
                (version_key(packages[d]["rust_version"]), d)
                for d in via
                if d not in members and packages[d].get("rust_version")
            ),
            reverse=True,
        )
        declared = package.get("rust_version")
        if declared is None:
            print(f"error: {package['name']} declares no rust-version", file=sys.stderr)
            failed = True
            continue
        if not needs:
            print(f"{package['name']}: rust-version {declared}, no dependency declares one")
            continue
        highest = needs[0][0]
        if version_key(declared) < highest:
            print(
                f"error: {package['name']} says rust-version {declared}, lower than its "
                "dependencies need:",
                file=sys.stderr,
            )
            for key, dep in needs:
                if key > version_key(declared):
                    print(f"  {label(dep)} ({chain(via, dep)})", file=sys.stderr)
            failed = True
            continue
        top = [label(d) for key, d in needs if key == highest]
        if len(top) > 3:
            top[3:] = [f"and {len(top) - 3} more"]
        print(
            f"{package['name']} {declared}: the highest of its {len(via)} dependencies: "
            f"{', '.join(top)}"
        )
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
