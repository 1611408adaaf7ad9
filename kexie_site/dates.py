"""Front-matter dates: every form of the contract, in the site's time zone when no offset is given."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_TIME = r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?)?"
_OFFSET = r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?"
ISO_RE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME + _OFFSET + "$")
SLASH_RE = re.compile(r"^(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})" + _TIME + _OFFSET + "$")
ZH_RE = re.compile(
    r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]"
    r"(?:\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?)?" + _OFFSET + "$"
)

FORMS = "YYYY-MM-DD、YYYY-MM-DD HH:MM[:SS]、2024-08-22T08:00:00+08:00 或 2024年8月22日"


class DateError(ValueError):
    pass


@lru_cache(maxsize=64)
def get_zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise DateError(f"未知的时区 {name!r}") from exc


def _offset(text: str) -> tzinfo:
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise DateError(f"时区偏移 {text} 不存在")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date(value: str, zone: tzinfo) -> datetime:
    """Parse a front-matter date into an aware datetime; DateError with a Chinese message if not."""
    text = str(value).strip()
    for pattern in (ISO_RE, SLASH_RE, ZH_RE):
        m = pattern.match(text)
        if m:
            break
    else:
        raise DateError(f"无法识别的日期 {text!r}，可用的写法：{FORMS}")
    parts = m.groupdict()
    fraction = (parts.get("f") or "").ljust(6, "0")
    try:
        result = datetime(
            int(parts["y"]), int(parts["m"]), int(parts["d"]),
            int(parts.get("H") or 0), int(parts.get("M") or 0), int(parts.get("S") or 0),
            int(fraction or 0),
        )
    except ValueError as exc:
        raise DateError(f"日期 {text!r} 不存在（{exc}）") from exc
    if not 1000 <= result.year <= 9998:
        raise DateError(f"日期 {text!r} 的年份超出范围 (year out of range 1000–9998)")
    tz = _offset(parts["tz"]) if parts.get("tz") else zone
    # through UTC: a wall time that does not exist in the zone (skipped when clocks go forward)
    # becomes the time it stands for, as it does when the cache reads the date back
    return result.replace(tzinfo=tz).astimezone(timezone.utc).astimezone(tz)


def to_zone(value: datetime, zone: tzinfo) -> datetime:
    return value.astimezone(zone)
