"""The spec's version and changelog, which other-language teams pin their clients to.

`info.version` follows semantic versioning (openapi/README.md states the policy) and
`info.x-changelog` lists every version, newest first, so a team can tell what changed.
"""

from __future__ import annotations

import json
import re

from tests.spec_loader import SPEC_PATH, load_spec

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


def _key(version: str) -> tuple[int, ...]:
    match = SEMVER.match(version)
    assert match, f"not MAJOR.MINOR.PATCH: {version!r}"
    return tuple(int(part) for part in match.groups())


def test_version_is_semver_and_has_the_newest_changelog_entry() -> None:
    info = load_spec()["info"]
    changelog = info["x-changelog"]
    assert changelog, "info.x-changelog is empty"
    assert changelog[0]["version"] == info["version"], "add a changelog entry for info.version"
    for entry in changelog:
        assert set(entry) == {"version", "changes"}, entry
        assert entry["changes"].strip(), entry["version"]
    keys = [_key(entry["version"]) for entry in changelog]
    assert keys == sorted(keys, reverse=True), "x-changelog must be newest first, no repeats"
    assert len(set(keys)) == len(keys), "x-changelog must be newest first, no repeats"


def test_the_openapi_package_is_self_contained_and_versioned_with_the_spec() -> None:
    """openapi/ is handed to other teams alone: its package carries the spec's version and pins
    every tool exactly, and the example's tsconfig reaches nothing outside the folder."""
    folder = SPEC_PATH.parent
    package = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    assert package["version"] == load_spec()["info"]["version"]
    tools = package["devDependencies"]
    assert {"openapi-typescript", "typescript", "openapi-fetch"} <= set(tools)
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in tools.values()), tools
    lock = json.loads((folder / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["devDependencies"] == tools
    tsconfig = (folder / "examples" / "typescript" / "tsconfig.json").read_text(encoding="utf-8")
    example_dir = (folder / "examples" / "typescript").resolve()
    for target in re.findall(r'"(\.\.[^"]*)"', tsconfig):
        assert (example_dir / target).resolve().is_relative_to(folder.resolve()), target
