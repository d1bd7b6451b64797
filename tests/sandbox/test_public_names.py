"""The sandbox's public names never shadow the SDK's: `from az_futures import *` and
`from az_futures.sandbox import *` in one test module must not swap an `Order` for another."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import az_futures
import az_futures.sandbox


def _sandbox_public_classes() -> set[str]:
    names: set[str] = set()
    for module_info in pkgutil.iter_modules(az_futures.sandbox.__path__):
        module = importlib.import_module(f"az_futures.sandbox.{module_info.name}")
        names.update(
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and inspect.isclass(value)
            and value.__module__ == module.__name__
        )
    return names


def test_sandbox_names_do_not_shadow_the_sdk() -> None:
    sdk = set(az_futures.__all__)
    assert set(az_futures.sandbox.__all__) & sdk == set()
    assert _sandbox_public_classes() & sdk == set()


def test_the_renamed_sandbox_names_are_exported() -> None:
    for name in ("BookOrder", "ReceivedBatch", "SandboxBatchResult", "SandboxCreateResult"):
        assert name in az_futures.sandbox.__all__
        assert getattr(az_futures.sandbox, name).__module__.startswith("az_futures.sandbox.")
