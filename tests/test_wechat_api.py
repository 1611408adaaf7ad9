"""The official account's API, end to end against a local fake of it (pytest-httpserver): a draft
made from an article (images uploaded, the cover as a permanent image, UTF-8 JSON, the article's
URL as 原文链接), updated on a second run, the token fetched again once when it expired, each
error an editor can meet said in Chinese with its hint, the secret never printed or written, and
read counts pulled back into data/views/ where the site shows them."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from werkzeug import Request, Response

from kexie_site.errors import BuildFailed
from kexie_site.publish import RECORD, publish_drafts, pull_views
from kexie_site.wxapi import Credentials

from conftest import REPO, article, build_site, parse_html, write_site

SECRET = "s3cr3t-AppSecret-0123456789abcdef"
APPID = "wx1234567890abcdef"
PNG = (REPO / "content/kyky/images/beidou-xingzuo.png").read_bytes()
COVER = (REPO / "data/wechat-cover.png").read_bytes()


class FakeWechat:
    """api.weixin.qq.com as far as the drafts and the counts go; it remembers every request and
    can be told to answer one call with an error."""

    def __init__(self, server):
        self.server, self.requests, self.errors, self.drafts = server, [], {}, {}
        self.tokens = 0
        self.totals: dict[str, list] = {}
        server.expect_request(re.compile(r"/.*")).respond_with_handler(self.handle)

    def fail(self, path: str, code: int, errmsg: str = "", times: int = 1):
        self.errors[path] = [(code, errmsg)] * times

    def handle(self, request: Request) -> Response:
        self.requests.append((request.path, dict(request.args), request.get_data(), request.headers.get("Content-Type", "")))
        if self.errors.get(request.path):
            code, errmsg = self.errors[request.path].pop(0)
            return self.json({"errcode": code, "errmsg": errmsg or f"error {code}"})
        if request.path == "/cgi-bin/token":
            if request.args.get("secret") != SECRET or request.args.get("appid") != APPID:
                return self.json({"errcode": 40125, "errmsg": "invalid appsecret"})
            self.tokens += 1
            return self.json({"access_token": f"TOKEN{self.tokens}", "expires_in": 7200})
        if request.args.get("access_token") != f"TOKEN{self.tokens}":
            return self.json({"errcode": 40001, "errmsg": "invalid credential"})
        if request.path == "/cgi-bin/media/uploadimg":
            name = request.files["media"].filename
            return self.json({"url": f"http://mmbiz.qpic.cn/mmbiz_png/{name}"})
        if request.path == "/cgi-bin/material/add_material":
            assert request.args.get("type") == "image"
            return self.json({"media_id": f"THUMB-{len(self.requests)}", "url": "http://mmbiz.qpic.cn/cover"})
        if request.path == "/cgi-bin/draft/add":
            media_id = f"DRAFT-{len(self.drafts) + 1}"
            self.drafts[media_id] = json.loads(request.get_data())["articles"][0]
            return self.json({"media_id": media_id})
        if request.path == "/cgi-bin/draft/update":
            body = json.loads(request.get_data())
            if body["media_id"] not in self.drafts:
                return self.json({"errcode": 40007, "errmsg": "invalid media_id"})
            self.drafts[body["media_id"]] = body["articles"]
            return self.json({"errcode": 0, "errmsg": "ok"})
        if request.path == "/datacube/getarticletotal":
            day = json.loads(request.get_data())["begin_date"]
            return self.json({"list": self.totals.get(day, [])})
        return Response("not found", status=404)

    @staticmethod
    def json(value) -> Response:
        return Response(json.dumps(value, ensure_ascii=False), content_type="application/json; charset=utf-8")

    def calls(self, path: str) -> list:
        return [r for r in self.requests if r[0] == path]


@pytest.fixture
def fake(httpserver):
    return FakeWechat(httpserver)


@pytest.fixture
def creds(httpserver):
    return Credentials(APPID, SECRET, httpserver.url_for("").rstrip("/"))


def wechat_site(root: Path, **articles) -> Path:
    files = {
        "site.toml": '[site]\ntitle = "科普"\nbase_url = "https://kepu.example.cn/kexie/"\n\n'
                     '[[columns]]\nname = "科言科语"\nslug = "kyky"\nwechat = true\n\n[wechat]\nauthor = "科协"\n',
        "content/kyky/images/xingzuo.png": PNG,
        "content/kyky/images/cover.png": COVER,
        "content/kyky/a.md": article("北斗卫星导航系统", "2024-08-22 08:00", id="kyky-a", cover="images/cover.png",
                                     summary="北斗是中国自己的卫星导航系统。",
                                     body="北斗三号有 30 颗卫星。\n\n![星座图](images/xingzuo.png)\n\n"
                                          "参见[中国卫星导航系统管理办公室](http://www.beidou.gov.cn/)。\n"),
    }
    files.update(articles)
    return write_site(root, files)


def test_a_draft_is_made_with_the_images_uploaded_and_sent_again_as_an_update(tmp_path, fake, creds):
    site = wechat_site(tmp_path / "site")
    sent, warnings = publish_drafts(site, ["kyky-a"], creds, now="2024-08-23 08:00")
    assert [s.updated for s in sent] == [False] and not warnings
    draft = fake.drafts["DRAFT-1"]
    assert draft["title"] == "北斗卫星导航系统" and draft["author"] == "科协"
    assert draft["digest"] == "北斗是中国自己的卫星导航系统。"
    assert draft["content_source_url"] == "https://kepu.example.cn/kexie/2024/08/22/" + sent[0].path.split("/")[-1][:-3] + "/" \
        or draft["content_source_url"].startswith("https://kepu.example.cn/kexie/2024/08/22/")
    assert draft["thumb_media_id"].startswith("THUMB-")
    assert 'src="http://mmbiz.qpic.cn/mmbiz_png/01-xingzuo.png"' in draft["content"]
    assert "beidou.gov.cn" not in re.sub(r"<p[^>]*>\[1\][^<]*</p>", "", draft["content"])   # only listed, not linked
    assert "参考链接" in draft["content"] and "http://www.beidou.gov.cn/" in draft["content"]
    add = fake.calls("/cgi-bin/draft/add")[0]
    assert "charset=utf-8" in add[3] and "北斗卫星导航系统".encode("utf-8") in add[2] and b"\\u" not in add[2]
    assert len(fake.calls("/cgi-bin/media/uploadimg")) == 1 and len(fake.calls("/cgi-bin/material/add_material")) == 1
    record = json.loads((site / RECORD).read_text("utf-8"))
    assert record["articles"]["kyky-a"]["media_id"] == "DRAFT-1"

    (site / "content/kyky/a.md").write_text((site / "content/kyky/a.md").read_text("utf-8").replace("30 颗", "三十颗"), "utf-8")
    again, _ = publish_drafts(site, ["content/kyky/a.md"], creds, now="2024-08-23 08:00")
    assert [s.updated for s in again] == [True] and list(fake.drafts) == ["DRAFT-1"]
    assert "三十颗" in fake.drafts["DRAFT-1"]["content"]
    assert len(fake.calls("/cgi-bin/media/uploadimg")) == 1, "an image already uploaded is not uploaded again"
    assert len(fake.calls("/cgi-bin/draft/add")) == 1 and len(fake.calls("/cgi-bin/draft/update")) == 1


def test_an_expired_token_is_fetched_again_once(tmp_path, fake, creds):
    site = wechat_site(tmp_path / "site")
    fake.fail("/cgi-bin/draft/add", 42001, "access_token expired")
    sent, _ = publish_drafts(site, ["kyky-a"], creds, now="2024-08-23 08:00")
    assert sent and fake.tokens == 2 and len(fake.calls("/cgi-bin/draft/add")) == 2

    fake.fail("/cgi-bin/draft/update", 42001, times=2)            # still refused after a fresh token: said, in Chinese
    with pytest.raises(BuildFailed) as failed:
        publish_drafts(site, ["kyky-a"], creds, now="2024-08-23 08:00")
    problem = failed.value.problems[0]
    assert "access_token 无效或过期" in problem.message and problem.hint


def test_a_draft_deleted_on_wechat_is_made_again(tmp_path, fake, creds):
    site = wechat_site(tmp_path / "site")
    publish_drafts(site, ["kyky-a"], creds, now="2024-08-23 08:00")
    fake.drafts.clear()                                           # deleted in the account's back office
    sent, warnings = publish_drafts(site, ["kyky-a"], creds, now="2024-08-23 08:00")
    assert not sent[0].updated and sent[0].media_id == "DRAFT-1"
    assert [w.message for w in warnings if "draft replaced" in w.message]          # said, not silently
    assert json.loads((site / RECORD).read_text("utf-8"))["articles"]["kyky-a"]["media_id"] == "DRAFT-1"


@pytest.mark.parametrize("path, code, errmsg, said", [
    ("/cgi-bin/token", 40164, "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 1", ["IP 白名单", "203.0.113.7"]),
    ("/cgi-bin/draft/add", 45003, "title size out of limit", ["标题太长", "45003"]),
    ("/cgi-bin/draft/add", 45004, "description size out of limit", ["摘要太长", "wechat_digest"]),
    ("/cgi-bin/draft/add", 48001, "api unauthorized", ["没有这个接口的权限", "48001"]),
    ("/cgi-bin/token", 40125, "invalid appsecret", ["AppSecret 不对"]),
    ("/cgi-bin/token", 40001, "invalid credential", ["AppSecret 不对"]),          # (the token endpoint's way of saying it)
])
def test_each_error_is_said_for_an_editor_and_never_shows_the_secret(tmp_path, fake, httpserver, path, code, errmsg, said):
    site = wechat_site(tmp_path / "site")
    fake.fail(path, code, errmsg)
    env = {"KEXIE_WECHAT_APPID": APPID, "KEXIE_WECHAT_SECRET": SECRET, "KEXIE_WECHAT_API": httpserver.url_for(""),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "kexie_site", "publish", "wechat-draft", "kyky-a", "--site", str(site),
                          "--now", "2024-08-23 08:00"], capture_output=True, text=True, env=env, cwd=REPO)
    assert run.returncode == 1, run.stdout + run.stderr
    for words in said:
        assert words in run.stderr
    assert "Traceback" not in run.stderr
    assert SECRET not in run.stdout + run.stderr and "TOKEN" not in run.stdout + run.stderr
    for written in site.rglob("*"):
        if written.is_file():
            assert SECRET.encode() not in written.read_bytes(), written


def test_no_secret_in_any_output_or_file_on_success(tmp_path, fake, httpserver):
    site = wechat_site(tmp_path / "site")
    env = {"KEXIE_WECHAT_APPID": APPID, "KEXIE_WECHAT_SECRET": SECRET, "KEXIE_WECHAT_API": httpserver.url_for(""),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "kexie_site", "publish", "wechat-draft", "kyky-a", "--site", str(site),
                          "--now", "2024-08-23 08:00", "--debug"], capture_output=True, text=True, env=env, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert "草稿" in run.stdout and "发表" in run.stdout
    assert SECRET not in run.stdout + run.stderr
    assert all(SECRET.encode() not in p.read_bytes() for p in site.rglob("*") if p.is_file())
    missing = subprocess.run([sys.executable, "-m", "kexie_site", "publish", "wechat-draft", "kyky-a", "--site", str(site)],
                             capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, cwd=REPO)
    assert missing.returncode == 1 and "KEXIE_WECHAT_SECRET" in missing.stderr and "$env:" in missing.stderr


def test_an_article_the_api_would_refuse_is_not_sent(tmp_path, fake, creds):
    long_title = "这是一个非常非常长的标题，长到公众号的标题输入框放不下它了吧真的很长"
    site = wechat_site(tmp_path / "site", **{"content/kyky/b.md": article(long_title, "2024-08-22 09:00", id="kyky-b")})
    with pytest.raises(BuildFailed) as failed:
        publish_drafts(site, ["kyky-b"], creds, now="2024-08-23 08:00")
    title = [p for p in failed.value.problems if "45003" in p.message]
    assert [(p.path, p.line, p.is_error) for p in title] == [("content/kyky/b.md", 2, True)]
    assert any("no cover" in p.message for p in failed.value.problems)          # (nor image, nor default cover)
    assert not fake.calls("/cgi-bin/draft/add") and not fake.calls("/cgi-bin/token")


def test_read_counts_come_back_into_the_views_the_site_shows(tmp_path, fake, creds):
    site = wechat_site(tmp_path / "site")
    fake.totals["2024-08-22"] = [
        {"ref_date": "2024-08-22", "msgid": "2247483650_1", "title": "北斗卫星导航系统",
         "details": [{"stat_date": "2024-08-22", "int_page_read_count": 1200},
                     {"stat_date": "2024-08-23", "int_page_read_count": 53000}]},
        {"ref_date": "2024-08-22", "msgid": "2247483651_1", "title": "别的号的文章", "details": []},
    ]
    path, rows, warnings = pull_views(site, date(2024, 8, 21), date(2024, 8, 23), creds, now="2024-08-24 08:00")
    assert rows == 1 and path.name == "wechat-2024-08-21-2024-08-23.csv"
    lines = path.read_text("utf-8").splitlines()
    assert lines[0] == "id,url,source,views" and lines[1].startswith("kyky-a,https://kepu.example.cn/kexie/2024/08/22/")
    assert lines[1].endswith(",wechat,53000")
    assert len(warnings) == 1 and "别的号的文章" in warnings[0].message
    assert len(fake.calls("/datacube/getarticletotal")) == 3           # one call a day
    record = json.loads((site / RECORD).read_text("utf-8"))
    assert record["articles"]["kyky-a"]["msgid"] == "2247483650_1"

    # a second pull over an overlapping range: the article is counted once, in the newer file
    fake.totals["2024-08-22"][0]["title"] = "北斗（改了标题）"         # matched by the msgid recorded now
    fake.totals["2024-08-22"][0]["details"].append({"stat_date": "2024-08-24", "int_page_read_count": 60000})
    newer, _, _ = pull_views(site, date(2024, 8, 22), date(2024, 8, 24), creds, now="2024-08-25 08:00")
    assert newer.read_text("utf-8").splitlines()[1].endswith(",wechat,60000")
    assert path.read_text("utf-8").splitlines() == ["id,url,source,views"]

    _, out = build_site(site, now="2024-08-25 08:00")
    stats = parse_html(out / "stats/index.html")
    text = " ".join(stats.itertext())
    assert "微信公众号" in text and ("6万" in text or "60,000" in text or "60000" in text), text[:2000]


def test_check_finds_the_cover_the_way_publish_does(tmp_path, fake, creds):
    """A cover that is not a file of the site (an address on another site) is no cover for
    WeChat: check says so, as export and publish do (check used to accept it)."""
    from kexie_site.check import check

    site = wechat_site(tmp_path / "site", **{"content/kyky/b.md": article(
        "外链封面", "2024-08-22 09:00", id="kyky-b", cover="https://img.example.com/cover.jpg", summary="一句摘要。")})
    result = check(site, now="2024-08-23 08:00")
    line = (site / "content/kyky/b.md").read_text("utf-8").splitlines().index("cover: https://img.example.com/cover.jpg") + 1
    assert [(p.path, p.line) for p in result.problems if "(no cover)" in p.message] == [("content/kyky/b.md", line)]
    with pytest.raises(BuildFailed) as failed:
        publish_drafts(site, ["kyky-b"], creds, now="2024-08-23 08:00")
    assert any("(no cover)" in p.message for p in failed.value.problems)
