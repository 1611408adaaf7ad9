"""Every generated page passes the Nu HTML Checker with 0 errors (warnings are listed, not failing)."""
from __future__ import annotations

import json
import subprocess

from conftest import build_site, html_files
from quality import vnu_command


def run_vnu(files) -> tuple[list[dict], list[dict]]:
    cmd = vnu_command() + ["--format", "json", "--exit-zero-always", *map(str, files)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    report = json.loads(proc.stderr or proc.stdout or '{"messages": []}')
    messages = report.get("messages", [])
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    warnings = [m for m in messages if m.get("type") == "info" and m.get("subType") == "warning"]
    return errors, warnings


def test_every_page_of_the_example_site_is_valid_html(example_site, tmp_path):
    _, out = build_site(example_site, tmp_path / "out")
    files = html_files(out)
    assert len(files) > 20
    errors, warnings = run_vnu(files)
    for w in warnings:
        print("vnu warning:", w.get("url"), w.get("lastLine"), w.get("message"))
    assert errors == [], "\n".join(f'{e.get("url")}:{e.get("lastLine")}: {e.get("message")}' for e in errors)


def test_pages_under_a_sub_path_are_valid_html(example_site, tmp_path):
    toml = example_site / "site.toml"
    toml.write_text(toml.read_text("utf-8").replace(
        'base_url = "https://kepu.example.cn/"', 'base_url = "https://www.example.gov.cn/kexie/kepu/"'), "utf-8")
    _, out = build_site(example_site, tmp_path / "out", drafts=True, future=True)
    errors, _ = run_vnu(html_files(out))
    assert errors == [], errors
