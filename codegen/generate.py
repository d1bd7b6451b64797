"""Run the pinned generator on a spec with this folder's configuration and templates.

One command line for every caller: `nox -s generate` / `generate_check`, and the test that
regenerates a changed copy of the spec (tests/spec_change/). Needs the pinned
openapi-python-client and ruff (noxfile.py) on PATH.

    python codegen/generate.py SPEC OUTPUT_DIR
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CODEGEN = Path(__file__).resolve().parent


def generate(spec: Path, output: Path) -> None:
    """Write the generated client for `spec` into `output` (replaced if it exists)."""
    # The pinned generator on PATH (noxfile.py installs it); every argument is our own.
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "openapi-python-client",
            "generate",
            "--path",
            str(spec),
            "--config",
            str(CODEGEN / "config.yaml"),
            "--custom-template-path",
            str(CODEGEN / "templates"),
            "--meta",
            "uv",
            "--output-path",
            str(output),
            "--overwrite",
        ],
        check=True,
    )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    generate(Path(sys.argv[1]), Path(sys.argv[2]))
