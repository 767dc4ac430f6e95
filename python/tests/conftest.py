"""Finds the package as built (<build>/python, MADLAB_BUILD_DIR or ../../build) unless madlab is
installed, and gives the tests the madlab binary and the shared data folder."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("MADLAB_BUILD_DIR") or os.path.join(ROOT, "build")
if os.path.isdir(os.path.join(BUILD, "python", "madlab")):
    sys.path.insert(0, os.path.join(BUILD, "python"))


@pytest.fixture(scope="session")
def madlab_binary():
    path = os.environ.get("MADLAB_BINARY") or os.path.join(BUILD, "madlab")
    if not os.path.exists(path):
        pytest.fail(f"the madlab binary {path} does not exist; build it (scripts/build.sh) or "
                    f"set MADLAB_BINARY")
    return path


@pytest.fixture(scope="session")
def shared_dir():
    return os.environ.get("MADLAB_SHARED_DIR") or os.path.join(os.path.dirname(ROOT), "shared")


@pytest.fixture(scope="session")
def run_cli(madlab_binary):
    """Runs `madlab ARGS...`; returns the completed process (check=True)."""

    def run(*args, cwd=None):
        return subprocess.run([madlab_binary, *map(str, args)], check=True, capture_output=True,
                              text=True, cwd=cwd)

    return run
