"""The files of an exported article besides its body: the folder's name, the preview page an
editor opens (with its 复制到公众号 button), the 学习强国 page, and the zip of a folder."""
from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime

from . import urls
from .model import Article, Config
from .text import zh_date

TITLE_CHARS = 40                       # of the title in a folder's name
UNSAFE_NAME_RE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')     # (not allowed in a Windows file name)


def folder_name(article: Article) -> str:
    """The article's date and title, as a file name any system takes."""
    title = " ".join(UNSAFE_NAME_RE.sub(" ", article.title).split())[:TITLE_CHARS].rstrip(" .") or article.id
    return f"{article.date:%Y-%m-%d}-{title}"


PREVIEW = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>公众号预览：{title}</title>
<style>
body {{ margin: 0; background: #eef0f3; font-family: -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; }}
.bar {{ position: sticky; top: 0; background: #fff; border-bottom: 1px solid #d8dee4; padding: 10px 16px; }}
.bar button {{ font: inherit; font-size: 16px; padding: 6px 18px; color: #fff; background: #07c160; border: 0; border-radius: 4px; cursor: pointer; }}
.bar button:focus-visible {{ outline: 3px solid #c2410c; outline-offset: 2px; }}
.bar p {{ margin: 6px 0 0; font-size: 14px; color: #57606a; }}
.phone {{ max-width: 420px; margin: 16px auto; background: #fff; padding: 20px 16px; box-shadow: 0 1px 4px rgba(0,0,0,.1); }}
.phone h1 {{ font-size: 22px; line-height: 1.4; margin: 0 0 16px; }}
</style>
</head>
<body>
<div class="bar">
<button type="button" id="copy">复制到公众号</button> <span id="status" role="status"></span>
<p>复制后，在公众号后台新建图文，点正文粘贴。图片在 images/ 文件夹里，按编号在编辑器中上传；
或者用 <code>kexie-site publish wechat-draft</code> 自动上传图片并建好草稿。</p>
</div>
<main class="phone">
<h1>{title}</h1>
{html}
</main>
<script type="application/json" id="article-html">{data}</script>
<script>
(function () {{
  var html = JSON.parse(document.getElementById("article-html").textContent);
  var status = document.getElementById("status");
  var text = document.querySelector(".phone").innerText;
  document.getElementById("copy").addEventListener("click", function () {{
    /* the copy event carries the HTML exactly as exported (the asynchronous clipboard API
       parses and writes it again, with the images' addresses changed) */
    function put(e) {{
      e.clipboardData.setData("text/html", html);
      e.clipboardData.setData("text/plain", text);
      e.preventDefault();
    }}
    document.addEventListener("copy", put);
    var ok = false;
    try {{ ok = document.execCommand("copy"); }} catch (err) {{ ok = false; }}
    document.removeEventListener("copy", put);
    if (ok) {{ status.textContent = "已复制，可以粘贴到公众号编辑器了"; return; }}
    if (navigator.clipboard && window.ClipboardItem) {{
      navigator.clipboard.write([new ClipboardItem({{
        "text/html": new Blob([html], {{type: "text/html"}}),
        "text/plain": new Blob([text], {{type: "text/plain"}})
      }})]).then(function () {{ status.textContent = "已复制"; }},
                 function () {{ status.textContent = "复制失败：请选中文章后按 Ctrl+C"; }});
    }} else {{
      status.textContent = "复制失败：请选中文章后按 Ctrl+C";
    }}
  }});
}})();
</script>
</body>
</html>
"""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def preview_page(title: str, html: str, images: list[dict] = ()) -> str:
    """The page an editor opens: the article shown with the exported image files (it works
    offline), and the button that copies article.html as it is."""
    data = json.dumps(html, ensure_ascii=False).replace("</", "<\\/")
    shown = html
    for image in images:
        shown = shown.replace(f'src="{_escape(image["src"])}"', f'src="{_escape(image["file"])}"')
    return PREVIEW.format(title=_escape(title), html=shown, data=data)


def xuexi_page(article: Article, html: str, config: Config) -> str:
    """A whole document without styles: title, date, author, source, then the body."""
    byline = " ".join(x for x in (zh_date(article.date), article.meta.author, config.publisher) if x)
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n<title>{_escape(article.title)}</title>\n'
            f'</head>\n<body>\n<h1>{_escape(article.title)}</h1>\n<p>{_escape(byline)}</p>\n{html}\n'
            f'<p>原文：{_escape(urls.absolute(config.base_url, article.url))}</p>\n</body>\n</html>\n')


def zip_of(folder: str, files: tuple[tuple[str, bytes], ...], date: datetime) -> bytes:
    """The folder as a .zip, the same bytes each time (entries sorted, stamped with the article's date)."""
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in sorted(files):
            info = zipfile.ZipInfo(f"{folder}/{name}", stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.flag_bits |= 0x800                      # UTF-8 names (Chinese titles on Windows)
            z.writestr(info, data)
    return out.getvalue()
