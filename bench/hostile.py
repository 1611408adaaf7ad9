#!/usr/bin/env python3
"""Time and peak memory of a cold build of one site holding one hostile article: big articles
(5, 20, 50 MB of Chinese paragraphs; 5 MB mostly one pasted base64 picture), one 1 MB line of
`<a`, 10,000 footnotes. Each case is built by each checkout given, in its own process, so a
change is measured side by side with the code before it.

    python bench/hostile.py [--trees kexie=. before=/tmp/before] [--timeout 300] [--out FILE]

A build that runs past --timeout is stopped and shown as "> N s". Nothing needs the network.
"""
from __future__ import annotations

import argparse
import base64
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PARAGRAPH = "北斗卫星导航系统是中国自主建设的全球卫星导航系统，**为全球用户**提供全天候服务。见 https://www.beidou.gov.cn 。\n\n"
SITE_TOML = """[site]
title = "压力测试"
base_url = "https://kepu.example.cn/"

[[columns]]
name = "科言科语"
slug = "kyky"
"""


def body(case: str) -> str:
    if case.endswith("MB text"):
        size = int(case.split()[0]) * 1_000_000
        return PARAGRAPH * (size // len(PARAGRAPH.encode()))
    if case == "5 MB base64 picture":
        noise = random.Random(7).randbytes(3_700_000)
        return "一张粘贴进来的图：\n\n![图](data:image/png;base64," + base64.b64encode(noise).decode() + ")\n"
    if case == "1 MB line of <a":
        return "<a" * 500_000
    if case == "10,000 footnotes":
        return "".join(f"文字[^{i}]。" for i in range(10_000)) + "\n\n" + "".join(f"[^{i}]: 注释{i}\n" for i in range(10_000))
    raise ValueError(case)


CASES = ["5 MB text", "20 MB text", "50 MB text", "5 MB base64 picture", "1 MB line of <a", "10,000 footnotes"]


def build(tree: Path, site: Path, timeout: float) -> str:
    """'12.3 s, 456 MiB', '> 300 s', or 'refused (…)' for one cold build of site by the checkout at tree."""
    for name in ("public", ".kexie-cache"):
        shutil.rmtree(site / name, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(tree / "build.py"), "--site", str(site), "--now", "2026-12-01"],
                                env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                proc.wait()
                return f"> {timeout:.0f} s (stopped)"
            time.sleep(0.2)
        wall = time.perf_counter() - started
        log.seek(0)
        err = log.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        reason = "too large" if "too large" in err else err.strip().splitlines()[-1][:60] if err.strip() else "failed"
        return f"refused ({reason}) in {wall:.1f} s"
    return f"{wall:.1f} s, {usage.ru_maxrss // 1024} MiB"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trees", nargs="+", default=[f"kexie={REPO}"], help="name=checkout pairs")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--cases", nargs="+", default=CASES)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    trees = [(name, Path(path).resolve()) for name, path in (t.split("=", 1) for t in args.trees)]
    rows = [f"| case | {' | '.join(name for name, _ in trees)} |", "|---|" + "---:|" * len(trees)]
    with tempfile.TemporaryDirectory(prefix="kexie-hostile-") as work:
        site = Path(work) / "site"
        (site / "content").mkdir(parents=True)
        (site / "site.toml").write_text(SITE_TOML, "utf-8")
        for case in args.cases:
            (site / "content" / "big.md").write_text(
                f"---\ntitle: 压力测试\ndate: 2024-08-22\ncolumn: kyky\n---\n{body(case)}", "utf-8")
            cells = []
            for name, tree in trees:
                print(f"{case}: {name} …", file=sys.stderr, flush=True)
                cells.append(build(tree, site, args.timeout))
            rows.append(f"| {case} | {' | '.join(cells)} |")
    table = "\n".join(rows) + "\n"
    print(table)
    if args.out:
        args.out.write_text(table, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
