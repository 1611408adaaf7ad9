#!/usr/bin/env python3
"""The search index's budgets (issue 18), measured on a built bench corpus:

    python bench/search_budget.py SITE [--queries 降雨 北斗卫星 …] [--browser] [--times]

SITE is a kexie-site site (e.g. the 10k corpus bench/run.py makes under /tmp/kexie-bench/). It
is built if it has no public/. Reported: the index's size against the UTF-8 size of the
articles' text; for each query, the bytes the reader's browser downloads (what search.js
fetches: index.json, the shards, the documents it shows or confirms — simulated with the
reference engine, which reads the same files); with --browser, the time from the input (a
Chinese word arrives whole when the input method commits it) to the first results in Chromium
with 4× CPU throttling; with --times, a cold build and a
one-article edit with the index and without it ([search] enabled = false), in fresh processes.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from kexie_site import search  # noqa: E402

QUERIES = ["降雨", "北斗", "黑洞", "科学", "卫星", "强降雨", "北斗卫星", "人工智能", "量子通信", "气候变化",
           "新能源车", "5G", "AI", "科普 北斗"]


def candidates_of(index_dir: Path, wanted: list[str]) -> set[int]:
    index = json.loads((index_dir / "index.json").read_bytes())
    read = lambda path: json.loads((index_dir / path).read_bytes())      # noqa: E731
    pool = set(range(index["docs"]))
    for term in wanted:
        sets = search.postings(term, index, read)
        if sets is not None:
            pool &= set().union(*sets)
    return pool


def downloads(index_dir: Path, query: str, page: int = 10) -> tuple[int, int, list[int]]:
    """(bytes, files) search.js fetches for the query, and the answer."""
    read_paths: dict[str, int] = {}

    def read(path: str) -> bytes:
        data = (index_dir / path).read_bytes()
        read_paths[path] = len(data)
        return data
    answer = search.query(query, read)
    wanted = search.terms(query)
    read_paths = {p: n for p, n in read_paths.items() if not p.startswith("d/")}
    if all(search.is_sure(t) for t in wanted):            # the browser reads only the documents it shows
        shown = answer[:page]
    else:                                                 # it confirms candidates, 12 at a time, until a page is found
        found, shown = set(answer), []
        candidates = sorted(candidates_of(index_dir, wanted), reverse=True)
        for start in range(0, len(candidates), 12):
            shown += candidates[start:start + 12]
            if len(found.intersection(shown)) >= page:
                break
    for n in shown:
        read_paths[f"d/{n}.json"] = (index_dir / f"d/{n}.json").stat().st_size
    return sum(read_paths.values()), len(read_paths), answer


def build(site: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kexie_site", "build", "--site", str(site), *args], check=True,
                   capture_output=True, cwd=HERE.parent)
    return time.perf_counter() - started


EDITS = 5


def times(site: Path) -> dict[str, float]:
    found = {}
    work = Path(tempfile.mkdtemp(prefix="search-times-"))
    try:
        for name, enabled in (("with index", True), ("without", False)):
            copy = work / name.replace(" ", "-")
            shutil.copytree(site, copy, ignore=shutil.ignore_patterns("public", ".kexie-cache"))
            if not enabled:
                with open(copy / "site.toml", "a", encoding="utf-8") as f:
                    f.write("\n[search]\nenabled = false\n")
            found[f"cold, {name}"] = build(copy)
            articles = sorted((copy / "content").rglob("*.md"))
            edits = []
            for n in range(EDITS):                  # a sentence added to one article, then a build
                with open(articles[len(articles) * (n + 1) // (EDITS + 1)], "a", encoding="utf-8") as f:
                    f.write(f"\n\n编辑部补充说明（第{n + 1}次）。\n")
                edits.append(build(copy))
            found[f"one edit, {name} (median of {EDITS})"] = statistics.median(edits)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return found


def serving(out: Path):
    """A static server for `out`: bench/static_server.js under Node (keep-alive, no Nagle delay,
    as nginx or a CDN), else Python's http.server made to keep connections; (port, stop)."""
    if shutil.which("node"):
        server = subprocess.Popen(["node", str(HERE / "static_server.js"), str(out)], stdout=subprocess.PIPE, text=True)
        return int(server.stdout.readline()), server.kill

    class Quiet(http.server.SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd.server_address[1], httpd.shutdown


FIRST_RESULT = """q => new Promise(done => {
    const input = document.getElementById('search-q'), list = document.getElementById('search-results');
    const status = document.getElementById('search-status');
    let first = null;
    const seen = () => { if (first === null && (list.querySelector('li:not([hidden])') || status.hasAttribute('data-done')))
                           { first = performance.now() - t0; done(first); } };
    new MutationObserver(seen).observe(document.body, {attributes: true, childList: true, subtree: true});
    const t0 = performance.now();
    input.value = q; input.dispatchEvent(new Event('input'));
})"""


def browser_times(out: Path, queries: list[str], repeat: int = 3) -> dict[str, float]:
    """For each query, the median over `repeat` fresh pages of the time from the input event to
    the first result shown (or "没有找到"), in Chromium with 4× CPU throttling."""
    from playwright.sync_api import sync_playwright

    port, stop = serving(out)
    found: dict[str, list[float]] = {q: [] for q in queries}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            for _ in range(repeat):
                for query in queries:
                    page = browser.new_page()
                    cdp = page.context.new_cdp_session(page)
                    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                    page.goto(f"http://127.0.0.1:{port}/search/")
                    page.wait_for_load_state("networkidle")
                    found[query].append(page.evaluate(FIRST_RESULT, query))
                    page.close()
            browser.close()
    finally:
        stop()
    return {q: statistics.median(ms) for q, ms in found.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site", type=Path)
    ap.add_argument("--queries", nargs="+", default=QUERIES)
    ap.add_argument("--browser", action="store_true")
    ap.add_argument("--times", action="store_true")
    args = ap.parse_args(argv)
    out = args.site / "public"
    if not (out / "search/index/index.json").exists():
        build(args.site)
    index_dir = out / "search/index"
    total = json.loads((index_dir / "index.json").read_text("utf-8"))["docs"]
    text = index = 0
    for n in range(total):
        data = (index_dir / f"d/{n}.json").read_bytes()
        doc = search.doc_from_file(data)
        text += len("\n".join(doc.fields()).encode("utf-8"))
    index = sum(p.stat().st_size for p in index_dir.rglob("*.json"))
    print(f"| articles | {total} |\n| articles' text (UTF-8) | {text / 1e6:.1f} MB |\n"
          f"| whole index | {index / 1e6:.1f} MB ({index / text:.2f}× the text) |")
    print("\n| query | results | files | downloaded |\n|---|---:|---:|---:|")
    for query in args.queries:
        size, files, answer = downloads(index_dir, query)
        print(f"| {query} | {len(answer)} | {files} | {size / 1024:.0f} KB |")
    if args.browser:
        print("\n| query | first results, Chromium 4× CPU throttling (median of 3) |\n|---|---:|")
        for query, ms in browser_times(out, args.queries).items():
            print(f"| {query} | {ms:.0f} ms |")
    if args.times:
        print("\n| build | seconds |\n|---|---:|")
        for name, seconds in times(args.site).items():
            print(f"| {name} | {seconds:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
