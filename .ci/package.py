#!/usr/bin/env python3
"""Package every published crate of the workspace and check what each package holds.

Runs `cargo package --workspace --no-verify --locked`, less the crates with `publish =
false` (cargo resolves the workspace's own crates locally, so nothing needs to be on
crates.io yet; `--no-verify`: no build, the build is the rest of CI), then opens each `.crate` and fails unless it holds both
licence files, the README its manifest names, and the manifest says what crates.io
shows (description, license, readme, keywords, categories).

Usage: python3 .ci/package.py [extra cargo package arguments, e.g. --allow-dirty]
"""

import json
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

REQUIRED_FILES = ("LICENSE-MIT", "LICENSE-APACHE")
REQUIRED_FIELDS = ("description", "license", "readme", "keywords", "categories")


def main():
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--no-deps"],
            check=True,
            stdout=subprocess.PIPE,
        ).stdout
    )
    published = sorted(
        (p for p in metadata["packages"] if p["publish"] != []), key=lambda p: p["name"]
    )
    internal = [
        arg
        for p in metadata["packages"]
        if p["publish"] == []
        for arg in ("--exclude", p["name"])
    ]
    subprocess.run(
        ["cargo", "package", "--workspace", *internal, "--no-verify", "--locked", *sys.argv[1:]],
        check=True,
    )
    target = Path(metadata["target_directory"]) / "package"
    failed = False
    for package in published:
        name, version = package["name"], package["version"]
        crate = target / f"{name}-{version}.crate"
        prefix = f"{name}-{version}/"
        with tarfile.open(crate) as archive:
            files = {m.name.removeprefix(prefix) for m in archive.getmembers()}
            manifest = tomllib.loads(
                archive.extractfile(prefix + "Cargo.toml").read().decode()
            )["package"]
        problems = [f"no {f}" for f in REQUIRED_FILES if f not in files]
        problems += [f"no `{f}` in its manifest" for f in REQUIRED_FIELDS if not manifest.get(f)]
        readme = manifest.get("readme")
        if readme and readme not in files:
            problems.append(f"its readme {readme} is not in the package")
        if problems:
            print(f"error: {crate.name}: {'; '.join(problems)}", file=sys.stderr)
            failed = True
        else:
            print(f"{crate.name}: {len(files)} files, licences and {readme} included")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
