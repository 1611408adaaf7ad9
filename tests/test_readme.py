"""The README's commands work where editors type them: the two set-up commands are on the first
screen, and no command for Windows (cmd, PowerShell) or for every shell uses single quotes,
which cmd does not understand (`pip install -e '.[test]'` fails there)."""
from __future__ import annotations

import re

from conftest import REPO

FENCE_RE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
WINDOWS = {"powershell", "ps1", "bat", "cmd", "batch"}


def blocks(text: str) -> list[tuple[str, str]]:
    return [(lang.lower(), body) for lang, body in FENCE_RE.findall(text)]


def test_no_single_quoted_argument_in_a_windows_or_shared_command():
    text = (REPO / "README.md").read_text("utf-8")
    found = blocks(text)
    assert {"powershell", "bat", "sh"} <= {lang for lang, _ in found}
    bad = []
    for lang, body in found:
        # (sh blocks are also what Windows editors copy for pip: no single quotes there either)
        if lang in WINDOWS or lang == "sh":
            for line in body.splitlines():
                command = line.split("#", 1)[0] if lang != "powershell" else line
                if re.search(r"(^|\s)'[^']*'", command):
                    bad.append(f"{lang}: {line}")
    assert not bad, bad


def test_the_two_set_up_commands_are_on_the_first_screen():
    lines = (REPO / "README.md").read_text("utf-8").splitlines()
    first = "\n".join(lines[:40])
    assert 'pip install -e . && python build.py' in first
    assert 'pip install -e ".[test]" && pytest' in first


def test_the_windows_blocks_use_a_virtual_environment():
    found = dict((lang, body) for lang, body in blocks((REPO / "README.md").read_text("utf-8")) if lang in WINDOWS)
    assert "Activate.ps1" in found["powershell"] and "activate.bat" in found["bat"]
    assert all("venv" in body for body in found.values())
