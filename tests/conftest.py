"""Shared helpers: write a whole tiny site inline, build it into tmp_path, parse what came out."""
from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import lxml.html
import pytest

from imagebytes import gif_bytes, jpeg_bytes, png_bytes  # noqa: F401 (for the tests)
from kexie_site.dates import get_zone, parse_date
from kexie_site.errors import BuildFailed
from kexie_site.model import ArticleDoc, Meta
from kexie_site.pipeline import BuildOptions, build

REPO = Path(__file__).resolve().parent.parent

SITE_TOML = """\
[site]
title = "测试科普站"
base_url = "{base_url}"
description = "测试用的每日科普站点"
publisher = "测试市科学技术协会"
icp = "鲁ICP备00000000号-1"

[[columns]]
name = "科言科语"
slug = "kyky"
description = "新技术"

[[columns]]
name = "一目了然科普汇"
description = "一目了然"

[feeds]
limit = {limit}
"""


def site_toml(base_url: str = "https://kepu.example.cn/", limit: int = 20, drop: tuple[str, ...] = (),
              **site_keys) -> str:
    """The test site's site.toml (SITE_TOML) with [site] keys removed (drop) or set (site_keys): a key
    the table has gets the new value in its own line, a new key goes first in [site]. Strings are
    written as JSON strings (a TOML basic string). site_toml() is what write_site writes by default."""
    text = SITE_TOML.format(base_url=base_url, limit=limit)
    head, columns = text.split("\n[[columns]]", 1)            # [site] only: columns have a description too
    for key in drop:
        head, n = re.subn(rf"(?m)^{key} = .*\n", "", head)
        assert n == 1, f"no {key} in [site]"
    extra = ""
    for key, value in site_keys.items():
        value = (json.dumps(value, ensure_ascii=False) if isinstance(value, str)
                 else str(value).lower() if isinstance(value, bool) else value)
        head, n = re.subn(rf"(?m)^{key} = .*$", lambda _: f"{key} = {value}", head)
        if not n:
            extra += f"{key} = {value}\n"
    return head.replace("[site]\n", "[site]\n" + extra, 1) + "\n[[columns]]" + columns


def article(title: str, date: str, column: str = "科言科语", body: str = "正文。", **meta) -> str:
    """Markdown source of one article; extra front-matter keys as keyword arguments."""
    lines = ["---", f'title: "{title}"', f"date: {date}", f"column: {column}"]
    for key, value in meta.items():
        if isinstance(value, (list, tuple)):
            value = "[" + ", ".join(value) + "]"
        elif isinstance(value, bool):
            value = "true" if value else "false"
        lines.append(f"{key}: {value}")
    lines += ["---", "", textwrap.dedent(body).strip(), ""]
    return "\n".join(lines)


def body_doc(body: str, path: str = "content/kyky/a.md") -> ArticleDoc:
    """An article of the given Markdown body, as the render stage gets it (the body starts on
    line 6 of its file)."""
    meta = Meta(title="t", date=parse_date("2024-08-22", get_zone("Asia/Shanghai")), column="科言科语")
    return ArticleDoc(path=path, sha256="x", meta=meta, body=body, body_line=6)


def write_site(root: Path, files: dict[str, str | bytes], base_url: str = "https://kepu.example.cn/",
               limit: int = 20, config: str | None = None) -> Path:
    """Write site.toml (unless given in files) and the given files under root."""
    root.mkdir(parents=True, exist_ok=True)
    if "site.toml" not in files:
        (root / "site.toml").write_text(config or site_toml(base_url, limit), "utf-8")
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, "utf-8")
    return root


NOW = "2026-12-01 12:00"


def build_site(root: Path, out: Path | None = None, *, drafts=False, future=False, now=NOW, **options):
    """Build; returns (result, output dir). Raises BuildFailed on problems. Further keyword
    arguments are BuildOptions (cache=False, jobs=2 …)."""
    out = out or root / "public"
    result = build(root, out, BuildOptions(drafts=drafts, future=future, now=now, **options))
    return result, out


def problems_of(root: Path, **kwargs):
    """Build expecting failure; the problems reported."""
    with pytest.raises(BuildFailed) as caught:
        build_site(root, **kwargs)
    return caught.value.problems


def parse_html(path: Path):
    return lxml.html.fromstring(path.read_bytes())


def page(out: Path, url: str):
    """The parsed page served at a site-relative URL ('' for home, 'columns/kyky/' …)."""
    target = out / (url + "index.html" if url == "" or url.endswith("/") else url)
    return parse_html(target)


@pytest.fixture
def example_site(tmp_path) -> Path:
    """A copy of the repository's example site (site.toml + content/)."""
    site = tmp_path / "example"
    site.mkdir()
    shutil.copy(REPO / "site.toml", site / "site.toml")
    shutil.copytree(REPO / "content", site / "content")
    return site


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under root (an output folder, say): {POSIX path relative to root: its bytes}, in
    path order."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ quality-gate summary
QUALITY_GATES = {
    "test_html_validity.py": "Nu HTML Checker",
    "test_browser.py": "browser (chromium)",
    "test_serve.py": "serve in a browser",
    "test_feeds.py": "feed validation",
}
_gate_results: dict[str, dict[str, int]] = {}


def pytest_runtest_logreport(report):
    name = report.nodeid.split("::")[0].rsplit("/", 1)[-1]
    if name in QUALITY_GATES and (report.when == "call" or report.outcome == "skipped"):
        counts = _gate_results.setdefault(QUALITY_GATES[name], {})
        counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter):
    """Say in the log which external checkers ran (CI must show they were not skipped)."""
    if _gate_results:
        terminalreporter.section("quality gates")
        for gate, counts in sorted(_gate_results.items()):
            terminalreporter.write_line(f"{gate}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
