"""Bytes → text for every file an editor writes: UTF-8 (with or without BOM), any line ending.

A file in another encoding is never decoded with replacement characters: it is reported with
the encoding it most likely has and how to convert it.
"""
from __future__ import annotations

import codecs

from .errors import Problem, error


def decode(data: bytes, path: str) -> tuple[str | None, Problem | None]:
    """UTF-8 text with the BOM dropped and line endings made \\n; or a problem naming the
    encoding the file most likely has and how to convert it."""
    how = "用记事本或 VS Code「另存为 / 以 UTF-8 编码保存」，或运行 iconv -f {enc} -t UTF-8 原文件 > 新文件"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
            len(data) >= 4 and (data[1::2].count(0) > len(data) // 4 or data[0::2].count(0) > len(data) // 4)):
        return None, error(path, 1, "文件是 UTF-16 编码，不是 UTF-8 (file is UTF-16, not UTF-8)",
                           how.format(enc="UTF-16"))
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            data.decode("gb18030")
            guess, enc = "很可能是 GB18030/GBK 编码（中文 Windows 的默认编码）", "GB18030"
        except UnicodeDecodeError:
            guess, enc = "编码无法识别", "原编码"
        return None, error(path, line, f"文件不是 UTF-8 编码 (not UTF-8)，{guess}", how.format(enc=enc))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, None
