"""The files published as they are: the theme's static files (under static/), the site's own
static/ (at the root) and the files under content/ that articles use (images, attachments),
where an SVG is published cleaned (svg.clean_svg): it is shown on the site's own origin. An
output kind: a copy is made again only when its source file's stamp changed."""
from __future__ import annotations

from pathlib import Path

from . import urls
from .errors import Problem, error, warning
from .hashing import digest
from .layout import Layout, OutputKind, Planned
from .model import Asset, Output
from .sources import stamp


def plan(layout: Layout) -> Planned:
    outputs: list[Output] = []
    problems: list[Problem] = []
    for rel, path in layout.theme_static.items():
        outputs.append(copy(urls.static(rel), path, f"theme static/{rel}"))
    for rel, path in layout.site_static.items():      # the site's own static/: to the root
        outputs.append(copy(rel, path, f"static/{rel}"))
        if rel.lower().endswith(".svg"):
            problems.extend(static_svg_problems(f"static/{rel}", path))
    for asset, (_, url) in zip(layout.site.assets, layout.site.asset_urls):
        if asset.path.lower().endswith(".svg"):
            output, found = clean_svg_copy(url, asset)
            problems.extend(found)
            if output is not None:
                outputs.append(output)
        else:
            outputs.append(copy(url, Path(asset.source), f"content/{asset.path}"))
    return outputs, problems


KIND = OutputKind("files", "文件 files", plan)


def copy(url: str, path: Path, origin: str) -> Output:
    try:
        key = digest("copy", str(path), stamp(path.stat()))
    except OSError:
        key = ""
    return Output(url, source=str(path), origin=origin, key=key)


def clean_svg_copy(url: str, asset: Asset) -> tuple[Output | None, list[Problem]]:
    """An SVG an article shows, without what could run or reach out (svg.clean_svg); one that
    cannot be read as an SVG is an error, not published."""
    from .svg import clean_svg

    where = f"content/{asset.path}"
    try:
        data = Path(asset.source).read_bytes()
    except OSError as exc:
        return None, [error(where, 1, f"无法读取 (cannot read): {exc.strerror or exc}", "检查文件权限")]
    cleaned, notes = clean_svg(data)
    if cleaned is None:
        return None, [error(where, 1, f"SVG 图片不能发布 (SVG refused): {notes[0] if notes else ''}",
                            "用绘图软件把它重新导出为普通的 SVG，或导出为 PNG")]
    found = []
    risky = [n for n in notes if "DOCTYPE" not in n]           # (a DOCTYPE dropped is no news)
    if risky:
        found.append(warning(where, 1, "SVG 里能运行或外链的内容已删除后发布 (SVG cleaned): " + "；".join(risky[:3])
                             + ("…" if len(risky) > 3 else ""), "用绘图软件导出时不要包含脚本和外部链接"))
    return Output(url, data=cleaned, origin=where, key=digest("svg", cleaned)), found


def static_svg_problems(where: str, path: Path) -> list[Problem]:
    """A warning for an SVG under static/ (published as it is) that carries script or loads
    from elsewhere: it would run on the site's own origin."""
    from .svg import clean_svg

    try:
        cleaned, notes = clean_svg(path.read_bytes())
    except OSError:
        return []
    risky = [n for n in notes if "DOCTYPE" not in n]
    if cleaned is not None and not risky:
        return []
    return [warning(where, 1, "static/ 里的 SVG 带有脚本或外部引用，会原样发布 (SVG with script in static/): "
                    + "；".join((risky or notes)[:3]), "把脚本和外部链接删掉；文章里用的 SVG 放在 content/，发布时会自动清理")]
