"""After a plain (non-editable) install, a site holding only site.toml and content/ builds with
the packaged default theme."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO, article, parse_html, write_site


def test_wheel_ships_the_default_theme_and_builds_a_bare_site(tmp_path):
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "kexie_site", src / "kexie_site", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "themes", src / "themes")
    (src / "kexie_site" / "probe_sub").mkdir()            # a sub-package the code may grow: found, not listed
    (src / "kexie_site" / "probe_sub" / "__init__.py").write_text("", "utf-8")
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheels), str(src)], check=True, capture_output=True)
    wheel = next(wheels.glob("kexie_site-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "kexie_site/themes/default/templates/article.html" in names
    assert "kexie_site/probe_sub/__init__.py" in names
    assert "kexie_site/themes/default/static/style.css" in names

    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    site = write_site(tmp_path / "bare", {"content/a.md": article("黑洞是怎么形成的", "2024-08-22")})
    assert sorted(p.name for p in site.iterdir()) == ["content", "site.toml"]
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import kexie_site; print(kexie_site.__file__)"],
                           cwd=site, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(target))
    proc = subprocess.run([sys.executable, "-m", "kexie_site", "build", "--now", "2026-12-01"],
                          cwd=site, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = site / "public"
    assert (out / "static" / "style.css").is_file()
    doc = parse_html(next(out.glob("2024/08/22/*/index.html")))
    assert doc.xpath("string(//h1)") == "黑洞是怎么形成的"
    assert doc.xpath("//link[@rel='stylesheet']/@href") == ["/static/style.css"]
