"""Load the OpenAPI file once and resolve its local `$ref`s, for tests that read the spec."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi" / "az-futures.yaml"


@functools.cache
def load_spec() -> dict[str, Any]:
    """The spec as parsed YAML (cached; callers must not mutate it)."""
    with SPEC_PATH.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    return spec


def resolve(node: Any, spec: dict[str, Any] | None = None) -> Any:
    """Return `node` with every local `$ref` replaced by its target, recursively.

    The spec has no recursive schemas, so full inlining terminates.
    """
    root = spec if spec is not None else load_spec()
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target, root)
        return {key: resolve(value, root) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(item, root) for item in node]
    return node


def example(name: str) -> Any:
    """The value of `components.examples[name]`."""
    return load_spec()["components"]["examples"][name]["value"]
