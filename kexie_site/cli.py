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


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, prefix="用法 (usage): " if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """argparse in Chinese: the usage line, the headings, -h."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "参数 (arguments)"
        self._optionals.title = "选项 (options)"
        if add_help:
            self.add_argument("-h", "--help", action="help", help="显示说明后退出 (show this help)")

    def error(self, message: str):  # usage errors exit 2, with the usage line
        self.print_usage(sys.stderr)
        print(f"{self.prog}: 用法错误 (usage error): {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


OVERVIEW = """kexie-site：每日科普站点生成器 (static site generator for daily science columns)

常用命令 (commands)：
  kexie-site init 文件夹                  新建一个站点 (start a new site)
  kexie-site new "标题" --column 栏目     新建一篇文章 (a new article)
  kexie-site serve                        边写边预览，保存后浏览器自动刷新 (preview with live reload)
  kexie-site check                        发布前检查全部问题 (check everything before publishing)
  kexie-site build                        构建网站到 public/ (build the site)
  kexie-site pin --write                  把 id 和网址写进文章，以后不会变 (pin ids and URLs)
  kexie-site export wechat|xuexi          导出给公众号、学习强国 (export for WeChat / 学习强国)
  kexie-site publish wechat-draft 文章    建公众号草稿 (create a WeChat draft)
  kexie-site views pull wechat --from … --to …   取回公众号阅读数 (pull read counts)

每个命令都有说明：kexie-site 命令 --help (each command has --help)
"""


def _jobs(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"要写一个整数 (a whole number): {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"至少是 1 (at least 1): {number}；不写就用全部 CPU 核 (default: one per core)")
    return number


def _port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"要写一个整数 (a whole number): {value!r}") from None
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"端口要在 1–65535 之间 (port out of range): {number}")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kexie-site", description="每日科普站点生成器 (static site generator for daily science columns)")
    parser.add_argument("--version", action="version", version=f"kexie-site {__version__}", help="显示版本 (show the version)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, title="命令 (commands)", metavar="命令")
    debug = "出错时显示 Python 的详细信息 (show tracebacks)"
    site = "站点文件夹，里面有 site.toml 和 content/ (site folder; default: .)"
    b = sub.add_parser("build", help="构建网站到输出文件夹，默认 public/ (build the site)")
    b.add_argument("--site", default=".", help=site)
    b.add_argument("--output", default=None, help="输出文件夹 (output folder; default: <site>/public)")
    b.add_argument("--drafts", action="store_true", help="草稿也发布，用于预览 (also publish drafts)")
    b.add_argument("--future", action="store_true", help="定时的文章也发布，用于预览 (also publish articles dated in the future)")
    b.add_argument("--now", default=None, help="把这个时间当作现在，例如 2024-08-22 08:00 (take this time as now)")
    b.add_argument("--no-cache", action="store_true", help="不用 .kexie-cache/ 里的缓存：结果一样，只是慢 (ignore the cache)")
    b.add_argument("--jobs", type=_jobs, default=0, help="同时用几个进程，至少 1 (worker processes; default: one per core)")
    b.add_argument("--debug", action="store_true", help=debug)
    n = sub.add_parser("new", help="新建一篇文章，front matter 全部写好，不会覆盖已有文件 (write a new article)")
    n.add_argument("title", help="文章标题，例如 \"每日一问：为什么天空是蓝色的？\" (the title)")
    n.add_argument("--column", required=True, help="栏目，写 site.toml 里的名字或 slug (a declared column)")
    n.add_argument("--site", default=".", help=site)
    n.add_argument("--date", default=None, help="发布时间，默认是现在 (publication date; default: now in the site's time zone)")
    n.add_argument("--debug", action="store_true", help=debug)
    v = sub.add_parser("serve", help="边写边预览：构建到临时文件夹并打开本地网页，保存后自动刷新 (preview with live reload)")
    v.add_argument("--site", default=".", help=site)
    v.add_argument("--host", default="127.0.0.1", help="监听的地址，默认只有这台电脑能访问 (address; default: 127.0.0.1)")
    v.add_argument("--port", type=_port, default=8000, help="端口 (port; default: 8000)")
    v.add_argument("--drafts", action="store_true", help="也显示草稿，页面上有提示 (also show drafts)")
    v.add_argument("--future", action="store_true", help="也显示定时的文章，页面上有提示 (also show scheduled articles)")
    v.add_argument("--debug", action="store_true", help=debug)
    c = sub.add_parser("check", help="发布前检查：列出全部问题和提醒，不写任何文件 (report every problem, write nothing)")
    c.add_argument("--site", default=".", help=site)
    c.add_argument("--strict", action="store_true", help="有提醒也算不通过，用于自动检查 (exit 1 on warnings too)")
    c.add_argument("--now", default=None, help="把这个时间当作现在 (take this time as now)")
    c.add_argument("--debug", action="store_true", help=debug)
    p = sub.add_parser("pin", help="把每篇文章的 id 和 slug 写进 front matter；不加 --write 只显示会改什么 (pin ids and slugs)")
    p.add_argument("--site", default=".", help=site)
    p.add_argument("--output", default=None, help="网站发布在哪个文件夹，从那里读已发布的 id 和网址 (default: <site>/public)")
    p.add_argument("--write", action="store_true", help="真的写入文件 (write the files)")
    p.add_argument("--debug", action="store_true", help=debug)
    i = sub.add_parser("init", help="新建一个站点：site.toml、栏目、示例文章、.gitignore 和自动发布的配置 (start a new site)")
    i.add_argument("dir", nargs="?", default=".", help="放站点的文件夹，默认是当前文件夹 (folder; default: .)")
    i.add_argument("--title", default=None, help="网站名称 (site title)")
    i.add_argument("--publisher", default=None, help="主办单位 (publisher)")
    i.add_argument("--base-url", default=None, help="网站网址，例如 https://kepu.example.cn/ (base URL)")
    i.add_argument("--column", action="append", default=None, help="栏目名，可以写多次 (a column; repeat for more)")
    i.add_argument("--force", action="store_true", help="文件夹里已有文件时也继续，只补上缺的文件 (only add missing files)")
    i.add_argument("--now", default=None, help="示例文章的日期 (date of the example articles)")
    i.add_argument("--debug", action="store_true", help=debug)
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
        _unpublished(result)
        return EXIT_PROBLEMS if result.problems else EXIT_OK
    print_problems(result.problems)
    print(f"检查完成 checked {result.articles} 篇文章 articles: 0 个错误 errors, {len(result.problems)} 个警告 warnings")
    _unpublished(result)
    return EXIT_OK


def _unpublished(result) -> None:
    """The drafts and scheduled articles: listed, not warned about (work in progress)."""
    for label, paths in (("定时 scheduled", result.scheduled), ("草稿 drafts", result.drafts)):
        if paths:
            print(f"  {label}  {len(paths)}：" + "；".join(paths))


def cmd_serve(args) -> int:
    from .serve import serve

    site = Path(args.site)
    if not (site / "site.toml").is_file():
        from .config import missing_config
        print_problems((missing_config(site),))
        return EXIT_PROBLEMS
    busy = port_in_use(args.host, args.port)
    if busy:
        print_problems((busy,))
        return EXIT_PROBLEMS
    return serve(site, args.host, args.port, args.drafts, args.future)


def port_in_use(host: str, port: int) -> Problem | None:
    """The port already taken (another serve, another program): said, with a free one to use."""
    import socket

    def free(p: int) -> bool:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            try:
                probe.bind((host, p))
                return True
            except OSError:
                return False
    if free(port):
        return None
    spare = next((p for p in range(port + 1, min(port + 100, 65536)) if free(p)), None)
    hint = f"换一个端口：kexie-site serve --port {spare}" if spare else "关掉占用它的程序，或换一个端口 --port …"
    return Problem("--port", 1, f"端口 {port} 已经被占用 (port in use)：可能另一个 serve 还开着", hint)


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


def cmd_init(args) -> int:
    from .init import DEFAULT_COLUMNS, SiteAnswers, ask, init_site

    given = SiteAnswers(args.title or "每日科普", args.publisher or "", args.base_url or "https://kepu.example.cn/",
                        tuple(args.column or DEFAULT_COLUMNS))
    flags = any(x is not None for x in (args.title, args.publisher, args.base_url, args.column))
    answers = ask(given) if sys.stdin.isatty() and not flags else given
    report, problem = init_site(Path(args.dir), answers, args.force, args.now)
    if problem:
        print_problems((problem,))
        return EXIT_PROBLEMS
    for rel in report.created:
        print(f"  新建 created  {rel}")
    for rel in report.skipped:
        print(f"  已有 kept     {rel}（没有改动）")
    place = args.dir if args.dir != "." else "当前文件夹"
    print(f"站点已建好 (site created) 在 {place}。接下来：\n"
          f"  cd {args.dir}\n  kexie-site serve      # 预览\n  kexie-site new \"标题\" --column {answers.columns[0]}\n"
          f"  kexie-site check      # 发布前检查\n  kexie-site build      # 生成网站到 public/")
    return EXIT_OK


COMMANDS = {"init": cmd_init, "build": cmd_build, "new": cmd_new, "check": cmd_check, "serve": cmd_serve, "pin": cmd_pin,
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
    if args.command is None:
        print(OVERVIEW, end="")
        return EXIT_OK
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
