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
    _channel_parsers(sub)
    return parser


def _channel_parsers(sub) -> None:
    """export, publish and views: the channels beyond the website (公众号, 学习强国)."""
    e = sub.add_parser("export", help="导出文章给公众号 (wechat) 或学习强国 (xuexi)：排好版的 HTML、图片、摘要和原文链接")
    e.add_argument("channel", choices=["wechat", "xuexi"], help="wechat：微信公众号；xuexi：学习强国")
    e.add_argument("articles", nargs="*", metavar="ARTICLE",
                   help="文章的文件路径 (content/…md)、id 或 slug；不写就导出最近 7 天的文章")
    e.add_argument("--since", default=None, help="导出这一天以来的文章 (articles since DATE)，例如 2024-10-01")
    e.add_argument("--output", default=None, help="导出到这个文件夹 (default: exports/wechat/ 或 exports/xuexi/)")
    e.add_argument("--site", default=".", help="站点文件夹，里面有 site.toml (default: .)")
    e.add_argument("--now", default=None, help="把这个时间当作现在 (take this time as now)")
    e.add_argument("--debug", action="store_true", help="出错时显示 Python 的详细信息 (tracebacks)")
    credentials = "AppID 和 AppSecret 只从环境变量 KEXIE_WECHAT_APPID、KEXIE_WECHAT_SECRET 读取"
    p = sub.add_parser("publish", help="把文章建成公众号草稿（不会自动发表）(create WeChat drafts)", description=credentials)
    p.add_argument("target", choices=["wechat-draft"], help="wechat-draft：公众号草稿箱")
    p.add_argument("articles", nargs="+", metavar="ARTICLE", help="文章的文件路径 (content/…md)、id 或 slug")
    p.add_argument("--site", default=".", help="站点文件夹 (default: .)")
    p.add_argument("--now", default=None, help="把这个时间当作现在 (take this time as now)")
    p.add_argument("--debug", action="store_true", help="出错时显示 Python 的详细信息 (tracebacks)")
    v = sub.add_parser("views", help="从公众号取回阅读数，写进 data/views/ (pull read counts)", description=credentials)
    v.add_argument("action", choices=["pull"], help="pull：取回")
    v.add_argument("channel", choices=["wechat"], help="wechat：微信公众号（数据接口 datacube/getarticletotal）")
    v.add_argument("--from", dest="start", required=True, help="从这一天发出的文章起，例如 2024-10-01")
    v.add_argument("--to", dest="end", required=True, help="到这一天发出的文章为止，例如 2024-10-31")
    v.add_argument("--site", default=".", help="站点文件夹 (default: .)")
    v.add_argument("--debug", action="store_true", help="出错时显示 Python 的详细信息 (tracebacks)")


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


def cmd_export(args) -> int:
    from .config import read_config
    from .dates import DateError, get_zone, parse_date
    from .export import CHANNELS, export

    site = Path(args.site)
    since = None
    if args.since:
        config, problems = read_config(site)
        if config is None:
            print_problems(problems)
            return EXIT_PROBLEMS
        try:
            since = parse_date(args.since, get_zone(config.timezone))
        except DateError as exc:
            print_problems((Problem("--since", 1, f"日期看不懂 (bad date): {exc}", "例如 --since 2024-10-01"),))
            return EXIT_PROBLEMS
    try:
        report = export(site, args.channel, args.articles, since, Path(args.output) if args.output else None, args.now)
    except BuildFailed as failed:
        print_problems(failed.problems)
        print(f"导出失败 export failed: {sum(p.is_error for p in failed.problems)} 个错误 error(s)", file=sys.stderr)
        return EXIT_PROBLEMS
    print_problems(report.problems)
    for item in report.articles:
        print(f"  {item.path} → {item.folder}/")
        for note in item.notes:
            print(f"      图片 image  {note}")
    w = report.written
    print(f"已导出 exported {len(report.articles)} 篇文章 articles（{CHANNELS[args.channel]}）到 {report.out_dir}："
          f"{len(w.written)} 个文件写入 written，{len(w.unchanged)} 个没有变化 unchanged，{len(w.kept)} 个改动过没有覆盖 kept；"
          f"{len(report.problems)} 个警告 warnings")
    if not report.articles:
        print("  没有要导出的文章：最近 7 天没有文章；写出文章的路径、id，或用 --since 日期 (nothing to export)")
    return EXIT_OK


def cmd_publish(args) -> int:
    from .publish import publish_drafts
    from .wxapi import WechatError, credentials

    try:
        sent, warnings = publish_drafts(Path(args.site), args.articles, credentials(), args.now)
    except WechatError as exc:
        print_problems((Problem("KEXIE_WECHAT_APPID", 1, exc.message, exc.hint),))
        return EXIT_PROBLEMS
    except BuildFailed as failed:
        print_problems(failed.problems)
        print("没有建好草稿 (drafts not created)；之前建好的都记在 data/wechat.json", file=sys.stderr)
        return EXIT_PROBLEMS
    print_problems(tuple(warnings))
    for item in sent:
        print(f"  {item.path} → {'更新了草稿 updated' if item.updated else '新建了草稿 created'}《{item.title}》")
    print(f"公众号草稿 {len(sent)} 篇已就绪：请到公众号后台 → 内容管理 → 草稿箱 检查后再点“发表” (nothing was published)")
    return EXIT_OK


def cmd_views(args) -> int:
    from datetime import date

    from .publish import pull_views
    from .wxapi import WechatError, credentials

    try:
        start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    except ValueError:
        print_problems((Problem("--from", 1, "日期要写成 2024-10-01 这样 (dates as YYYY-MM-DD)", "例如 --from 2024-10-01 --to 2024-10-31"),))
        return EXIT_PROBLEMS
    if end < start:
        print_problems((Problem("--to", 1, "--to 早于 --from (end before start)", "把两个日期对调"),))
        return EXIT_PROBLEMS
    try:
        path, rows, warnings = pull_views(Path(args.site), start, end, credentials())
    except WechatError as exc:
        print_problems((Problem("KEXIE_WECHAT_APPID", 1, exc.message, exc.hint),))
        return EXIT_PROBLEMS
    except BuildFailed as failed:
        print_problems(failed.problems)
        return EXIT_PROBLEMS
    print_problems(tuple(warnings))
    print(f"已取回 pulled {rows} 篇文章的公众号阅读数 → {path}；重新构建后在归档、热门和统计页显示")
    return EXIT_OK


COMMANDS = {"build": cmd_build, "new": cmd_new, "check": cmd_check, "serve": cmd_serve, "pin": cmd_pin,
            "export": cmd_export, "publish": cmd_publish, "views": cmd_views}


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
