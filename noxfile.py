"""Every task a developer or CI runs: tests, lint, generate, spec.

Tool versions are pinned here so that `nox -s generate` reproduces `generated/` byte for byte on any
machine, and so that lint verdicts do not drift with new releases.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).parent
SPEC = ROOT / "openapi" / "az-futures.yaml"
GENERATED = ROOT / "generated"
CODEGEN = ROOT / "codegen"

# Pinned tools. The generator is beta software: a new release can change its output, so it moves
# only deliberately, together with a regenerated `generated/`.
GENERATOR = "openapi-python-client==0.29.1"
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"
SPEC_VALIDATOR = "openapi-spec-validator==0.9.0"

PYTHON = "3.11"

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "spec", "generate_check", "tests"]
nox.options.reuse_existing_virtualenvs = True


def install_project(session: nox.Session, *extras: str) -> None:
    """Install the generated client and the wrapper (editable) with the given wrapper extras."""
    wrapper = "./wrapper" + (f"[{','.join(extras)}]" if extras else "")
    session.install("-e", "./generated", "-e", wrapper)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (unit, generated-client, spec-example and cassette tests)."""
    install_project(session, "test")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff on the hand-written code, mypy --strict on the wrapper."""
    install_project(session, "test")
    session.install(RUFF, MYPY)
    paths = ["wrapper", "tests", "noxfile.py"]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)
    session.run("mypy", "--strict", "wrapper/src")


def _generate_into(session: nox.Session, out_dir: Path) -> Path:
    """Run the pinned generator with the repo's config and templates; return the generated tree."""
    session.install(GENERATOR, RUFF)
    target = out_dir / "generated"
    session.run(
        "openapi-python-client",
        "generate",
        "--path",
        str(SPEC),
        "--config",
        str(CODEGEN / "config.yaml"),
        "--custom-template-path",
        str(CODEGEN / "templates"),
        "--meta",
        "uv",
        "--output-path",
        str(target),
        "--overwrite",
    )
    return target


def _tree_differences(left: Path, right: Path) -> list[str]:
    """Relative paths that differ between two trees (missing on either side, or other bytes)."""
    differences: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        for name in cmp.left_only:
            differences.append(f"only in {left.name}/: {prefix}{name}")
        for name in cmp.right_only:
            differences.append(f"only in fresh output: {prefix}{name}")
        # shallow=False: compare bytes, not stat signatures.
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        differences.extend(f"differs: {prefix}{name}" for name in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(left, right, ignore=["__pycache__"]), "")
    return differences


def _regenerate(session: nox.Session, *, check: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = _generate_into(session, Path(tmp))
        if check:
            differences = _tree_differences(GENERATED, fresh)
            if differences:
                session.error(
                    "generated/ is stale or was edited by hand; run `nox -s generate`:\n  "
                    + "\n  ".join(differences)
                )
            session.log("generated/ matches the spec byte for byte.")
            return
        shutil.rmtree(GENERATED, ignore_errors=True)
        shutil.copytree(fresh, GENERATED)
        session.log(f"regenerated generated/ from {SPEC.relative_to(ROOT)}")


@nox.session(python=PYTHON)
def generate(session: nox.Session) -> None:
    """Regenerate generated/ from the spec (`nox -s generate -- --check` only verifies it)."""
    _regenerate(session, check="--check" in session.posargs)


@nox.session(python=PYTHON)
def generate_check(session: nox.Session) -> None:
    """Fail if generated/ differs by a single byte from what the spec and pinned tools produce."""
    _regenerate(session, check=True)


@nox.session(python=PYTHON)
def spec(session: nox.Session) -> None:
    """Validate the OpenAPI file and check that every example matches its schema."""
    session.install(SPEC_VALIDATOR, "pytest", "pyyaml")
    session.run("openapi-spec-validator", str(SPEC))
    session.run("pytest", "tests/spec", "-p", "no:cacheprovider", "-o", "addopts=")


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job: `az-futures demo`."""
    install_project(session)
    session.run("az-futures", "demo", *session.posargs)
