"""Command line: `kexie-site build|…`. Exit 0 on success, 1 on content or config problems
(all listed as path:line: message), 2 on usage errors. No traceback unless --debug."""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

from . import __version__
from .errors import ERROR, BuildFailed, Problem

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _safe_streams() -> None:
    """A console whose encoding cannot show a character (GBK and emoji, say) must not crash us."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2, with the usage line
        self.print_usage(sys.stderr)
        print(f"{self.prog}: 用法错误 (usage error): {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kexie-site", description="每日科普 static site generator")
    parser.add_argument("--version", action="version", version=f"kexie-site {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)
    b = sub.add_parser("build", help="build the site into the output directory (默认 public/)")
    b.add_argument("--site", default=".", help="site directory holding site.toml and content/ (default: .)")
    b.add_argument("--output", default=None, help="output directory (default: <site>/public)")
    b.add_argument("--drafts", action="store_true", help="also publish drafts (draft: true)")
    b.add_argument("--future", action="store_true", help="also publish articles dated in the future")
    b.add_argument("--now", default=None, help="take this time as now for scheduling (e.g. 2024-08-22 08:00)")
    b.add_argument("--no-cache", action="store_true", help="ignore the cache in .kexie-cache/ (same output, slower)")
    b.add_argument("--jobs", type=int, default=0, help="worker processes for Markdown and pages (default: one per core)")
    b.add_argument("--debug", action="store_true", help="show Python tracebacks")
    n = sub.add_parser("new", help="write a new article with complete front matter (never overwrites)")
    n.add_argument("title", help="the article's title, e.g. \"每日一问：为什么天空是蓝色的？\"")
    n.add_argument("--column", required=True, help="a column declared in site.toml, by name or slug")
    n.add_argument("--site", default=".", help="site directory (default: .)")
    n.add_argument("--date", default=None, help="publication date (default: now in the site's time zone)")
    n.add_argument("--debug", action="store_true", help="show Python tracebacks")
    v = sub.add_parser("serve", help="build into a temporary folder and serve it with live reload")
    v.add_argument("--site", default=".", help="site directory (default: .)")
    v.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this computer only)")
    v.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    v.add_argument("--drafts", action="store_true", help="also show drafts (with a banner)")
    v.add_argument("--future", action="store_true", help="also show scheduled articles (with a banner)")
    v.add_argument("--debug", action="store_true", help="show Python tracebacks")
    c = sub.add_parser("check", help="report every problem and pre-publication warning, write nothing")
    c.add_argument("--site", default=".", help="site directory (default: .)")
    c.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    c.add_argument("--now", default=None, help="take this time as now (scheduling, the last 30 days)")
    c.add_argument("--debug", action="store_true", help="show Python tracebacks")
    p = sub.add_parser("pin", help="write each article's id and slug into its front matter (dry run unless --write)")
    p.add_argument("--site", default=".", help="site directory (default: .)")
    p.add_argument("--output", default=None, help="where the site was published, for its ids and URLs (default: <site>/public)")
    p.add_argument("--write", action="store_true", help="write the files (default: only show the changes)")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks")
    return parser


def print_problems(problems: tuple[Problem, ...]) -> None:
    for p in problems:
        print(p.format(), file=sys.stderr)


def _progress():
    """A one-line progress display on a terminal (builds longer than a couple of seconds);
    nothing at all when stderr is not a TTY (CI logs, pipes)."""
    if not sys.stderr.isatty():
        return None
    started = time.monotonic()

    def show(stage: str, done: int, total: int) -> None:
        if time.monotonic() - started > 1.5 and total:
            print(f"\r  {stage} {done}/{total} ", end="", file=sys.stderr, flush=True)
    return show


def summary(result) -> list[str]:
    """The lines a build prints when it is done (a BuildResult)."""
    r = result.report
    return [
        f"已构建 built {result.output_dir}",
        f"  文章 articles   {result.articles}",
        f"  页面 pages      {result.pages}",
        f"  订阅 feeds      {result.feeds}",
        f"  定时 scheduled  {len(result.scheduled)}" + (f"  ({', '.join(result.scheduled)})" if result.scheduled else ""),
        f"  草稿 drafts     {len(result.drafts)}" + (f"  ({', '.join(result.drafts)})" if result.drafts else ""),
        f"  跳过 skipped    {len(result.skipped)}",
        f"  文件 files      {len(r.written)} written, {len(r.unchanged)} unchanged, {len(r.removed)} removed",
        "  输出 outputs    " + "，".join(f"{k.label} {k.outputs}" + (f"（生成 made {k.made}）" if k.made else "")
                                        for k in result.kinds),
        f"  排版 rendered   {result.markdown_renders} Markdown, {result.pages_rendered} pages"
        + ("  (没有变化 nothing changed)" if result.fast else ""),
        f"  警告 warnings   {len(result.problems)}",
        "  身份 identity   " + ("按上次发布的记录保持 id 和网址 (kept from the last publish's record)" if result.record_found else
                               "没有上次发布的记录：id 和网址按日期和文件名推出 (no record of a previous publish: "
                               "ids and URLs derived in date and file order; kexie-site pin --write fixes them in the files)"),
        *(f"  过大或过慢 heavy {h}" for h in result.heavy),
        f"  用时 time       {result.seconds:.2f} s",
    ]


def cmd_build(args) -> int:
    from .pipeline import BuildOptions, build

    site = Path(args.site)
    output = Path(args.output) if args.output else None
    try:
        result = build(site, output, BuildOptions(drafts=args.drafts, future=args.future, now=args.now,
                                                  cache=not args.no_cache, jobs=max(0, args.jobs),
                                                  progress=_progress()))
    except BuildFailed as failed:
        print_problems(failed.problems)
        errors = sum(p.is_error for p in failed.problems)
        warnings = len(failed.problems) - errors
        print(f"构建失败 build failed: {errors} 个错误 error(s), {warnings} 个警告 warning(s)；"
              f"输出目录没有改动 (output left untouched)", file=sys.stderr)
        return EXIT_PROBLEMS
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    print_problems(result.problems)
    lines = summary(result)
    if args.debug and result.timings:
        lines.append("  stages         " + ", ".join(f"{k} {v:.2f}s ({mib} MiB)" for k, v, mib in result.timings))
    print("\n".join(lines))
    return EXIT_OK


def cmd_new(args) -> int:
    from .newpost import new_article

    path, problem = new_article(Path(args.site), args.title, args.column, args.date)
    if problem:
        print_problems((problem,))
        return EXIT_PROBLEMS
    print(path)
    return EXIT_OK


def cmd_pin(args) -> int:
    from .pin import apply, diff, plan

    site = Path(args.site)
    report = plan(site, Path(args.output) if args.output else None)
    if args.write:
        report = apply(site, report)
    print_problems(report.problems)
    if not args.write:
        for pin in report.pins:
            print(diff(pin), end="")
    origin = ("按已发布站点的记录 (from the published site's record)" if report.record_found
              else "没有已发布站点的记录，按日期和文件名推出 (no published record: derived in date and file order)")
    if args.write:
        print(f"已写入 pinned {len(report.written)} 个文件 files；id 和网址{origin}")
    elif report.pins:
        print(f"将写入 would pin {len(report.pins)} 个文件 files（id 和网址{origin}）；加 --write 写入 (add --write to apply)")
    else:
        print("每篇文章都已写明 id 和 slug (every article has its id and slug)")
    return EXIT_PROBLEMS if any(p.is_error for p in report.problems) else EXIT_OK


def cmd_check(args) -> int:
    from .check import check

    site_dir = Path(args.site)
    try:   # ids and URLs as the site in public/ published them
        result = check(site_dir, now=args.now, progress=_progress())
    except BuildFailed as failed:
        print_problems(failed.problems)
        print(f"检查未通过 check failed: {sum(p.is_error for p in failed.problems)} 个错误 error(s)", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.strict:               # the CI gate: every warning is an error, and says so
        print_problems(tuple(replace(p, severity=ERROR) for p in result.problems))
        print(f"检查{'未通过 check failed' if result.problems else '完成 checked'}: {result.articles} 篇文章 articles, "
              f"{len(result.problems)} 个错误 errors (--strict)", file=sys.stderr if result.problems else sys.stdout)
        return EXIT_PROBLEMS if result.problems else EXIT_OK
    print_problems(result.problems)
    print(f"检查完成 checked {result.articles} 篇文章 articles: 0 个错误 errors, {len(result.problems)} 个警告 warnings")
    return EXIT_OK


def cmd_serve(args) -> int:
    from .serve import serve

    site = Path(args.site)
    if not (site / "site.toml").is_file():
        from .config import missing_config
        print_problems((missing_config(site),))
        return EXIT_PROBLEMS
    return serve(site, args.host, args.port, args.drafts, args.future)


COMMANDS = {"build": cmd_build, "new": cmd_new, "check": cmd_check, "serve": cmd_serve, "pin": cmd_pin}


def _terminate_as_interrupt() -> None:
    """SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C: a half-done publish is rolled back."""
    import signal

    def handler(signum, frame):
        raise KeyboardInterrupt
    try:
        signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    _safe_streams()
    _terminate_as_interrupt()
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("已中断 interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: an editor never sees a traceback
        if getattr(args, "debug", False):
            traceback.print_exc()
        else:
            print(f"内部错误 internal error: {type(exc).__name__}: {exc}\n"
                  f"    提示 hint: 加 --debug 重新运行可看到详细信息，并请报告这个问题", file=sys.stderr)
        return EXIT_PROBLEMS
