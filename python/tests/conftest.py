"""Shared fixtures: the repository's data and the command line to compare with."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "datasets" / "example"
CONFORMANCE = ROOT / "tests" / "data" / "conformance"


def cli_command() -> list:
    """The recaudit command line to compare with: $RECAUDIT_BIN (the cargo-built binary, as
    .ci/run sets it), else the wheel's `recaudit` command."""
    binary = os.environ.get("RECAUDIT_BIN") or shutil.which("recaudit")
    if not binary:
        pytest.skip("no recaudit command (set RECAUDIT_BIN)")
    return [binary]


def run_cli(args, check=True):
    """Runs the CLI with `args`; returns the completed process."""
    done = subprocess.run(cli_command() + [str(a) for a in args], capture_output=True, text=True)
    if check and done.returncode not in (0, 1):
        raise AssertionError(f"recaudit {args} exited {done.returncode}: {done.stderr}")
    return done


@pytest.fixture(scope="session")
def example_paths():
    return {t: str(EXAMPLE / f"{t}.csv") for t in ("recs", "users", "items", "truth", "history")}
