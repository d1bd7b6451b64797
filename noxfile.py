"""Every task a developer or CI runs: tests, lint, generate, spec.

Tool versions are pinned here so that `nox -s generate` reproduces `generated/` byte for byte on any
machine, and so that lint verdicts do not drift with new releases.
"""

from __future__ import annotations

import filecmp
import json
import re
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

# The spec as a product for other-language teams (`spec` and `docs` sessions). The Node tools are
# pinned exactly and installed with `npm ci`: Redocly CLI (lint with the rule set in redocly.yaml,
# HTML reference) in the root package.json; openapi-typescript, openapi-fetch and TypeScript in
# openapi/package.json, so that a team given only openapi/ checks the example the same way.
NODE_MIN_VERSION = (20, 19)  # what the pinned @redocly/cli accepts
NODE_ENV = {
    # No telemetry, update notices or other calls home from the tools; nothing to download at run
    # time. (Redocly CLI still prints a notice that Node.js 20 is nearing its end of support.)
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_NOTIFICATIONS": "true",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "NO_UPDATE_NOTIFIER": "1",
    "npm_config_update_notifier": "false",
    "npm_config_audit": "false",
    "npm_config_fund": "false",
}
REDOCLY_CONFIG = ROOT / "redocly.yaml"
OPENAPI_PACKAGE = ROOT / "openapi"  # its own package.json: `npm ci && npm run check` there
TS_TYPES = OPENAPI_PACKAGE / "build" / "az-futures.ts"  # written by its `npm run types`
DOCS_DIR = ROOT / "build" / "docs"
BATCH_OPERATION = ("batchOrders", "/az/future/trade/v1/order/batch")

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
    # The pinned generator, for the test that regenerates a changed copy of the spec.
    session.install(GENERATOR, RUFF)
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff on the hand-written code, mypy --strict on the wrapper."""
    install_project(session, "test")
    session.install(RUFF, MYPY)
    paths = ["wrapper", "tests", "bench", "codegen", "noxfile.py"]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)
    session.run("mypy", "--strict", "wrapper/src")


def _generate_into(session: nox.Session, out_dir: Path) -> Path:
    """Run the pinned generator with the repo's config and templates; return the generated tree."""
    session.install(GENERATOR, RUFF)
    target = out_dir / "generated"
    session.run("python", str(CODEGEN / "generate.py"), str(SPEC), str(target))
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


def _npm_ci(session: nox.Session, folder: Path = ROOT) -> None:
    """Check that Node.js and npm are there and recent enough, then install the pinned tools of
    the package in `folder`."""
    missing = [tool for tool in ("node", "npm", "npx") if shutil.which(tool) is None]
    if missing:
        session.error(
            f"{', '.join(missing)} not found: this session needs Node.js "
            f">= {'.'.join(map(str, NODE_MIN_VERSION))} with npm (the spec's lint, docs and "
            "TypeScript check run on the Node tools pinned in package.json); install Node.js "
            "and npm, then run it again"
        )
    version = session.run("node", "--version", external=True, silent=True, env=NODE_ENV)
    found = re.match(r"v(\d+)\.(\d+)", str(version).strip())
    if found is None or (int(found[1]), int(found[2])) < NODE_MIN_VERSION:
        session.error(
            f"Node.js {str(version).strip()} is too old: the pinned tools need "
            f">= {'.'.join(map(str, NODE_MIN_VERSION))}"
        )
    # `npm ci`: exactly package-lock.json, no install scripts (none of the tools needs one).
    npm_ci = ("npm", "ci", "--ignore-scripts", "--prefer-offline", "--prefix", str(folder))
    session.run(*npm_ci, external=True, env=NODE_ENV)


def _npx(session: nox.Session, *args: str, **kwargs: object) -> object:
    """Run a tool installed by `npm ci` (`npx --no`: never download one that is missing)."""
    return session.run("npx", "--no", "--", *args, external=True, env=NODE_ENV, **kwargs)


def _redocly_lint(session: nox.Session) -> None:
    """Lint the spec with redocly.yaml; fail on any error and on any warning."""
    lint = ["redocly", "lint", str(SPEC), "--config", str(REDOCLY_CONFIG), "--lint-config", "error"]
    _npx(session, *lint)  # readable report; fails on errors
    # `redocly lint` exits 0 on warnings: count them from its JSON report.
    output = str(_npx(session, *lint, "--format", "json", silent=True))
    report, _ = json.JSONDecoder().raw_decode(output, output.index("{"))
    totals = report["totals"]
    if totals["errors"] or totals["warnings"]:
        session.error(
            f"redocly lint: {totals['errors']} errors, {totals['warnings']} warnings; every rule "
            "in redocly.yaml is an error or off, so fix the spec or explain the rule there."
        )
    session.log(f"redocly lint {report['version']}: no errors, no warnings.")


def _typescript_check(session: nox.Session) -> None:
    """From openapi/ alone, as a team given only that folder would: install its pinned tools,
    generate TypeScript types from the spec and type-check the example against them
    (`npm run check`; --default-non-nullable=false keeps createOrderFirst optional)."""
    TS_TYPES.unlink(missing_ok=True)  # never check against a stale file
    _npm_ci(session, OPENAPI_PACKAGE)
    session.run(
        "npm", "run", "check", "--prefix", str(OPENAPI_PACKAGE), external=True, env=NODE_ENV
    )
    if not TS_TYPES.is_file():
        session.error(f"openapi-typescript wrote no {TS_TYPES.relative_to(ROOT)}")
    session.log("openapi/examples/typescript type-checks against the generated types.")


@nox.session(python=PYTHON)
def spec(session: nox.Session) -> None:
    """Validate, lint and type-check the OpenAPI file as a product for other-language teams.

    openapi-spec-validator; every example against its schema and the signing vectors against the
    SDK and the sandbox's verifier (pytest tests/spec); then, on the Node tools pinned in
    package-lock.json, Redocly's lint with redocly.yaml; then, from openapi/ alone with its own
    pinned tools, openapi-typescript types with the TypeScript example type-checked.
    """
    install_project(session, "sandbox")
    session.install(SPEC_VALIDATOR, "pytest", "pyyaml")
    session.run("openapi-spec-validator", str(SPEC))
    session.run("pytest", "tests/spec", "-p", "no:cacheprovider", "-o", "addopts=")
    _npm_ci(session)
    _redocly_lint(session)
    _typescript_check(session)


def _check_docs(session: nox.Session, html_path: Path) -> None:
    """The rendered reference exists, shows the batch operation and needs nothing from the web."""
    if not html_path.is_file():
        session.error(f"redocly build-docs wrote no {html_path.relative_to(ROOT)}")
    html = html_path.read_text(encoding="utf-8")
    problems = [f"missing {needle!r}" for needle in BATCH_OPERATION if needle not in html]
    if re.search(r"<script[^>]*\ssrc=", html):
        problems.append("loads a script from elsewhere (expected the Redoc bundle inlined)")
    if problems:
        session.error(f"{html_path.relative_to(ROOT)}: " + "; ".join(problems))
    size_kib = html_path.stat().st_size // 1024
    session.log(
        f"HTML reference: {html_path.relative_to(ROOT)} ({size_kib} KiB), open it in a browser."
    )


@nox.session(python=False)
def docs(session: nox.Session) -> None:
    """Render the spec as a browsable, self-contained HTML reference in build/docs/index.html."""
    _npm_ci(session)
    shutil.rmtree(DOCS_DIR, ignore_errors=True)
    html_path = DOCS_DIR / "index.html"
    _npx(
        session,
        "redocly",
        "build-docs",
        str(SPEC),
        "--config",
        str(REDOCLY_CONFIG),
        "--lint-config",
        "error",
        "--inlineBundle",
        "--title",
        "AZ Futures market-maker batch API",
        "--output",
        str(html_path),
    )
    _check_docs(session, html_path)


@nox.session(python=PYTHON)
def record(session: nox.Session) -> None:
    """Re-record the HTTP cassettes against fresh sandboxes (tests/cassettes/cassettes/)."""
    install_project(session, "test")
    session.run("pytest", "tests/cassettes", "--record-mode=rewrite", *session.posargs)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job: `az-futures demo` (a sample batch in each encoding on the sandbox)."""
    install_project(session, "cli", "sandbox")
    session.run("az-futures", "demo", *session.posargs)


# Peers raced by `nox -s bench`, pinned so that runs compare; benchmark-only, never the SDK's.
BENCH_PEERS = ("ccxt==4.5.90", "pyxt==0.6.24", "requests==2.34.2", "matplotlib==3.11.2")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Client cost per signed batch: the SDK against raw httpx, hand-rolled clients, ccxt, pyxt.

    Prints the table, writes bench/results/latest.json and latest.png; never fails on timing.
    `nox -s bench -- --quick` for a short trial run.
    """
    install_project(session, "sandbox", "cli")
    session.install(*BENCH_PEERS)
    session.run("python", "-m", "bench", *session.posargs)
