"""The WeChat official account's API, as much of it as publishing a draft and reading counts back
needs: an access token (cgi-bin/token), media/uploadimg for body images, material/add_material
for the cover, draft/add and draft/update, datacube/getarticletotal. Nothing is ever published:
a person presses 发表.

The AppID and AppSecret come from the environment only (KEXIE_WECHAT_APPID, KEXIE_WECHAT_SECRET)
and are never written or printed; neither is the access token (both travel in URLs, so no URL
is ever shown). KEXIE_WECHAT_API replaces https://api.weixin.qq.com (a fixed-IP proxy, or the
tests' fake server). JSON is sent as UTF-8, not \\uXXXX escapes (WeChat stores the escapes as
they are). httpx, with timeouts; a request is retried only when the connection could not be
made (a request that reached WeChat is never sent twice: no duplicate drafts).
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

DEFAULT_API = "https://api.weixin.qq.com"
ENV_APPID, ENV_SECRET, ENV_API = "KEXIE_WECHAT_APPID", "KEXIE_WECHAT_SECRET", "KEXIE_WECHAT_API"
TOKEN_EXPIRED = {40001, 40014, 42001}
TIMEOUT = 30.0
RETRIES = 2


class WechatError(Exception):
    """An answer from the API that is not a success, said for an editor (Chinese, a hint)."""

    def __init__(self, code: int, message: str, hint: str = ""):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


@dataclass(frozen=True)
class Credentials:
    appid: str
    secret: str
    api: str

    def __repr__(self) -> str:                 # (never the secret, not even in a traceback)
        return f"Credentials(appid={self.appid!r}, api={self.api!r})"


def credentials(environ=os.environ) -> Credentials:
    appid, secret = environ.get(ENV_APPID, "").strip(), environ.get(ENV_SECRET, "").strip()
    missing = [name for name, value in ((ENV_APPID, appid), (ENV_SECRET, secret)) if not value]
    if missing:
        raise WechatError(0, f"没有设置环境变量 {'、'.join(missing)} (WeChat credentials missing)",
                          "在公众平台 → 设置与开发 → 基本配置 找到 AppID 和 AppSecret；PowerShell 里 "
                          f"$env:{ENV_APPID}=\"wx…\"，cmd 里 set {ENV_APPID}=wx…，macOS/Linux 里 export {ENV_APPID}=wx…"
                          "（AppSecret 同样）；不要写进文件")
    return Credentials(appid, secret, (environ.get(ENV_API, "").strip() or DEFAULT_API).rstrip("/"))


def explain(code: int, errmsg: str) -> WechatError:
    """An error code as an editor's message."""
    if code == 40164:
        ip = re.search(r"invalid ip ([0-9a-fA-F.:]+)", errmsg or "")
        where = f"（这台电脑的出口 IP 是 {ip.group(1)}）" if ip else ""
        return WechatError(code, f"调用接口的 IP 不在公众号的 IP 白名单里{where} (40164 IP not whitelisted)",
                           "在 公众平台 → 设置与开发 → 基本配置 → IP白名单 加上这个 IP；IP 不固定时，"
                           f"经一台固定 IP 的代理调用，并设置 {ENV_API} 指向它")
    if code == 45003:
        return WechatError(code, "标题太长，公众号不收 (45003 title too long)", "缩短 title：公众号标题最多约 64 字节（约 21 个汉字）")
    if code == 45004:
        return WechatError(code, "摘要太长，公众号不收 (45004 digest too long)", "在 front matter 里写一句 120 字以内的 wechat_digest")
    if code == 48001:
        return WechatError(code, "公众号没有这个接口的权限 (48001 api unauthorized)",
                           "草稿和素材接口要求公众号已认证；在 公众平台 → 设置与开发 → 接口权限 查看，或改用 export wechat 手动粘贴")
    if code in (40013, 40125, 41004, 40002):
        return WechatError(code, f"AppID 或 AppSecret 不对 ({code} invalid credentials)",
                           f"核对 {ENV_APPID} 和 {ENV_SECRET}；AppSecret 重置过的话要用新的")
    if code in TOKEN_EXPIRED:
        return WechatError(code, f"access_token 无效或过期，重新获取后仍然失败 ({code})", "稍后再试；别的程序可能同时在刷新这个公众号的 token")
    if code == 45009:
        return WechatError(code, "今天的接口调用次数用完了 (45009 daily quota)", "明天再试，或在公众平台清零调用次数")
    if code == 40007:
        return WechatError(code, "媒体文件不存在 (40007 invalid media_id)", "草稿可能已在公众号后台删除或发表")
    return WechatError(code, f"公众号接口返回错误 {code}: {errmsg} (WeChat API error)", "查看微信公众平台的全局返回码说明")


class Client:
    """The API over one httpx client; the token fetched once and again once when WeChat says it
    expired."""

    def __init__(self, creds: Credentials, transport=None):
        import httpx

        self.creds = creds
        self._token = ""
        self.http = httpx.Client(base_url=creds.api, timeout=TIMEOUT,
                                 transport=transport or httpx.HTTPTransport(retries=RETRIES))

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def token(self, fresh: bool = False) -> str:
        if self._token and not fresh:
            return self._token
        answer = self._send("GET", "/cgi-bin/token", params={"grant_type": "client_credential", "appid": self.creds.appid,
                                                              "secret": self.creds.secret})
        self._token = str(answer.get("access_token", ""))
        if not self._token:
            raise WechatError(0, "公众号接口没有给出 access_token (no token)", "稍后再试")
        return self._token

    def call(self, path: str, body: dict | None = None, files: dict | None = None, params: dict | None = None) -> dict:
        """POST with the access token; the token fetched again once if it expired."""
        for attempt in (0, 1):
            query = {**(params or {}), "access_token": self.token(fresh=attempt == 1)}
            try:
                if files is not None:
                    return self._send("POST", path, params=query, files=files)
                data = json.dumps(body or {}, ensure_ascii=False).encode("utf-8")
                return self._send("POST", path, params=query, content=data,
                                  headers={"Content-Type": "application/json; charset=utf-8"})
            except WechatError as exc:
                if exc.code not in TOKEN_EXPIRED:
                    raise
                if attempt:
                    raise explain(exc.code, exc.message) from None
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, **kwargs) -> dict:
        import httpx

        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise WechatError(-2, "公众号接口没有及时回应 (timeout)", "检查网络后再试；草稿可能已经建好，先到公众号后台看一眼") from None
        except httpx.TransportError as exc:
            raise WechatError(-1, f"连不上公众号接口 (network error: {type(exc).__name__})",
                              f"检查网络和代理；{ENV_API} 设置了的话，确认地址对") from None
        try:
            answer = response.json()
        except ValueError:
            raise WechatError(-3, f"公众号接口的回答看不懂 (HTTP {response.status_code}, not JSON)", "稍后再试") from None
        if not isinstance(answer, dict):
            raise WechatError(-3, "公众号接口的回答看不懂 (not a JSON object)", "稍后再试")
        code = answer.get("errcode", 0)
        if code:
            if path == "/cgi-bin/token" and code in TOKEN_EXPIRED:     # (the token endpoint says 40001 for a wrong AppSecret)
                raise explain(40125, str(answer.get("errmsg", "")))
            if code in TOKEN_EXPIRED:
                raise WechatError(int(code), "access_token expired")    # (call() fetches a token again, once)
            raise explain(int(code), str(answer.get("errmsg", "")))
        return answer

    # -------------------------------------------------------------- the calls

    def upload_image(self, name: str, data: bytes) -> str:
        """media/uploadimg: an image for the body; its URL on WeChat's servers."""
        answer = self.call("/cgi-bin/media/uploadimg", files={"media": (name, data, _mime(name))})
        return str(answer.get("url", ""))

    def add_cover(self, name: str, data: bytes) -> tuple[str, str]:
        """material/add_material?type=image: a permanent image (the cover); (media_id, url)."""
        answer = self.call("/cgi-bin/material/add_material", files={"media": (name, data, _mime(name))},
                           params={"type": "image"})
        return str(answer.get("media_id", "")), str(answer.get("url", ""))

    def add_draft(self, article: dict) -> str:
        return str(self.call("/cgi-bin/draft/add", {"articles": [article]}).get("media_id", ""))

    def update_draft(self, media_id: str, article: dict) -> None:
        self.call("/cgi-bin/draft/update", {"media_id": media_id, "index": 0, "articles": article})

    def article_totals(self, day: str) -> list[dict]:
        """datacube/getarticletotal for the articles sent on one day (YYYY-MM-DD)."""
        answer = self.call("/datacube/getarticletotal", {"begin_date": day, "end_date": day})
        items = answer.get("list", [])
        return [x for x in items if isinstance(x, dict)] if isinstance(items, list) else []


def _mime(name: str) -> str:
    return "image/png" if name.lower().endswith(".png") else "image/jpeg"
