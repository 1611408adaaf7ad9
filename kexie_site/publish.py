"""`kexie-site publish wechat-draft ARTICLE …` and `kexie-site views pull wechat`: the official
account's API (wxapi.py) with the site's record of what it sent, data/wechat.json:

    {"articles": {"<article id>": {"media_id": …, "thumb_media_id": …, "title": …, "msgid": …}},
     "images": {"<sha256>": "<url on WeChat>"}, "covers": {"<sha256>": {"media_id": …, "url": …}},
     "views_files": {"data/views/wechat-….csv": "<sha256>"}}

so that a second run updates the article's draft instead of adding another, and uploads no
image twice. The record is rewritten after each article (a failure halfway keeps what was
done) through a temporary file and a rename; a record that is not this tool's JSON is never
overwritten.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from . import urls, wxlint
from .errors import BuildFailed, Problem, error, warning
from .export import ArticleExport, Site, export_article, prepared, select
from .writer import replace_file, write_ours
from .wxapi import Client, Credentials, WechatError

RECORD = "data/wechat.json"
SECTIONS = ("articles", "images", "covers", "views_files")


@dataclass(frozen=True)
class Sent:
    path: str
    title: str
    media_id: str
    updated: bool                      # an existing draft was updated (else one was added)


def read_record(site_dir: Path) -> dict:
    path = site_dir / RECORD
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {k: {} for k in SECTIONS}
    except (OSError, ValueError) as exc:
        raise BuildFailed([error(RECORD, 1, f"读不出公众号记录 (unreadable record): {exc}",
                                 "这个文件由 kexie-site 维护；改坏了的话从版本库里恢复它")]) from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k, {}), dict) for k in SECTIONS):
        raise BuildFailed([error(RECORD, 1, "公众号记录的格式不对 (not kexie-site's record)，没有改动它",
                                 "这个文件由 kexie-site 维护；从版本库里恢复它，或改名后重新运行")])
    return {k: dict(data.get(k, {})) for k in SECTIONS}


def write_record(site_dir: Path, record: dict) -> None:
    text = json.dumps({k: dict(sorted(record[k].items())) for k in SECTIONS}, ensure_ascii=False, indent=1) + "\n"
    replace_file(site_dir / RECORD, text.encode("utf-8"))


# ------------------------------------------------------------------ drafts



def publish_drafts(site_dir: Path, names: list[str], creds: Credentials, now: str | None = None,
                   transport=None) -> tuple[list[Sent], list[Problem]]:
    """Each article named made a draft (or its draft updated); (what was sent, the warnings).
    BuildFailed when an article would be refused (title, digest, cover, images) or the API says
    no; the articles sent before stay sent and recorded."""
    site_dir = Path(site_dir)
    record = read_record(site_dir)
    with prepared(site_dir, now) as site:
        chosen, problems = select(site, names, None)
        exports = [(a, export_article(site, a, "wechat")) for a in chosen]
    if problems:
        raise BuildFailed(problems)
    refused = [p for _, e in exports for p in e.problems if wxlint.refused_by_api(p)]
    if refused:
        raise BuildFailed([_as_error(p) for p in refused])
    warnings = [p for _, e in exports for p in e.problems]
    sent: list[Sent] = []
    try:
        with Client(creds, transport) as client:
            for article, exported in exports:
                sent.append(_send(client, site, article, exported, record, warnings))
                write_record(site_dir, record)
    except WechatError as exc:
        where = exports[len(sent)][0].doc.path
        raise BuildFailed([error(where, 1, exc.message, exc.hint)], ) from None
    return sent, warnings


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;")


def _as_error(p: Problem) -> Problem:
    return error(p.path, p.line, p.message + "，没有发送 (not sent)", p.hint)


def _send(client: Client, site: Site, article, exported: ArticleExport, record: dict, notes: list[Problem]) -> Sent:
    files = dict(exported.files)
    html = files["article.html"].decode("utf-8")
    for image in exported.meta["images"]:          # each image uploaded once, shown from WeChat's servers
        data = files[image["file"]]
        key = hashlib.sha256(data).hexdigest()
        if key not in record["images"]:
            record["images"][key] = client.upload_image(image["file"].rsplit("/", 1)[-1], data)
        html = html.replace(f'src="{_attr(image["src"])}"', f'src="{_attr(record["images"][key])}"')
    cover_name = exported.meta["cover"]
    cover = files[cover_name]
    key = hashlib.sha256(cover).hexdigest()
    if key not in record["covers"]:
        media_id, url = client.add_cover(cover_name, cover)
        record["covers"][key] = {"media_id": media_id, "url": url}
    meta = exported.meta
    body = {"title": meta["title"], "author": meta["author"], "digest": meta["digest"], "content": html,
            "content_source_url": meta["content_source_url"], "thumb_media_id": record["covers"][key]["media_id"],
            "need_open_comment": 0, "only_fans_can_comment": 0}
    known = record["articles"].get(article.id, {})
    if known.get("media_id"):
        try:
            client.update_draft(known["media_id"], body)
            media_id, updated = known["media_id"], True
        except WechatError as exc:
            if exc.code != 40007:            # (the draft was deleted or sent in the meantime: a new one)
                raise
            media_id, updated = client.add_draft(body), False
            notes.append(warning(article.doc.path, 1, "原来的草稿已在公众号后台发表或删除，新建了一份草稿 (draft replaced)",
                                 "发表过的文章要改，请在公众号后台修改；不要重复发表"))
    else:
        media_id, updated = client.add_draft(body), False
    record["articles"][article.id] = {**known, "media_id": media_id, "thumb_media_id": body["thumb_media_id"],
                                      "title": article.title, "url": meta["content_source_url"]}
    return Sent(article.doc.path, article.title, media_id, updated)


# ------------------------------------------------------------------ read counts back

VIEWS_DIR = "data/views"


def pull_views(site_dir: Path, start: date, end: date, creds: Credentials, now: str | None = None,
               transport=None) -> tuple[Path, int, list[Problem]]:
    """datacube/getarticletotal for each day from start to end (the articles sent that day,
    with their read counts so far) into data/views/wechat-<start>-<end>.csv in the views
    format (id,url,source,views; source wechat); (the file, the rows, the warnings). An
    article is matched by the msgid recorded for it, else by its exact title (then the msgid
    is recorded). An article counted here is taken out of the earlier files of pulls, so that
    no count is added twice."""
    site_dir = Path(site_dir)
    record = read_record(site_dir)
    with prepared(site_dir, now) as site:
        articles = list(site.articles)
        base_url = site.config.base_url
    by_title: dict[str, list] = {}
    for a in articles:
        by_title.setdefault(a.title, []).append(a)
    by_msgid = {v.get("msgid"): k for k, v in record["articles"].items() if v.get("msgid")}
    by_id = {a.id: a for a in articles}
    counts: dict[str, int] = {}
    problems: list[Problem] = []
    try:
        with Client(creds, transport) as client:
            day = start
            while day <= end:
                for item in client.article_totals(day.isoformat()):
                    article_id = _match(item, by_msgid, by_title, record, problems)
                    if article_id:
                        reads = max((_count(d.get("int_page_read_count")) for d in item.get("details", [])
                                     if isinstance(d, dict)), default=0)
                        counts[article_id] = counts.get(article_id, 0) + reads
                day += timedelta(days=1)
    except WechatError as exc:
        raise BuildFailed([error(RECORD, 1, exc.message, exc.hint)]) from None
    rows = [(aid, urls.absolute(base_url, by_id[aid].url) if aid in by_id else "", "wechat", n)
            for aid, n in sorted(counts.items())]
    name = f"{VIEWS_DIR}/wechat-{start.isoformat()}-{end.isoformat()}.csv"
    problems += _take_out_of_older(site_dir, record, name, set(counts))
    _write_owned(site_dir, name, _csv(rows), record, problems)
    write_record(site_dir, record)
    return site_dir / name, len(rows), problems


def _count(value) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _match(item: dict, by_msgid: dict, by_title: dict, record: dict, problems: list[Problem]) -> str:
    msgid = str(item.get("msgid", ""))
    if msgid in by_msgid:
        return by_msgid[msgid]
    title = str(item.get("title", "")).strip()
    found = by_title.get(title, [])
    if len(found) == 1:
        entry = record["articles"].setdefault(found[0].id, {})
        entry["msgid"] = msgid
        by_msgid[msgid] = found[0].id
        return found[0].id
    why = "有两篇同名文章" if found else "网站上没有这个标题的文章"
    problems.append(warning(RECORD, 1, f"公众号文章《{title}》对不上网站的文章（{why}），没有计入 (not matched)",
                            f"在 {RECORD} 里给对应文章的记录加上 \"msgid\": \"{msgid}\""))
    return ""


def _csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "url", "source", "views"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _write_owned(site_dir: Path, name: str, data: bytes, record: dict, problems: list[Problem]) -> bool:
    """Write a file this tool made (recorded by its hash); one changed by hand, or not ours, is kept."""
    done, digest = write_ours(site_dir / name, data, record["views_files"].get(name))
    if done == "kept":
        problems.append(warning(name, 1, "这个文件改动过（或不是 kexie-site 写的），没有覆盖 (changed by hand: kept)",
                                "改名或删掉它后重新运行"))
        return False
    record["views_files"][name] = digest
    return True


def _take_out_of_older(site_dir: Path, record: dict, name: str, ids: set[str]) -> list[Problem]:
    """The rows of these articles removed from the other files of earlier pulls."""
    problems: list[Problem] = []
    for other in sorted(record["views_files"]):
        if other == name:
            continue
        path = site_dir / other
        try:
            text = path.read_text("utf-8")
        except OSError:
            record["views_files"].pop(other, None)
            continue
        rows = list(csv.reader(io.StringIO(text)))[1:]
        kept = [r for r in rows if r and r[0] not in ids]
        if len(kept) != len(rows):
            _write_owned(site_dir, other, _csv(kept), record, problems)
    return problems

