"""Images as the WeChat editor and API take them: JPG or PNG, at most `max_bytes` each
(media/uploadimg refuses the rest). A JPG or PNG already small enough is kept byte for byte;
anything else is converted with Pillow (SVG drawn with resvg first): a picture with transparency
to PNG, others to JPG, quality and then size stepped down until it fits. Deterministic: the same
file gives the same bytes.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

MIN_WIDTH = 320          # smaller than this is no longer worth showing: the image is refused
SVG_WIDTH = 1280         # an SVG is drawn this wide (sharp on a phone's screen)
JPEG_QUALITIES = (88, 80, 72, 64)


class ImageRefused(ValueError):
    """The image cannot be made into a JPG or PNG under the limit (the message says why, in Chinese)."""


@dataclass(frozen=True)
class WxImage:
    data: bytes
    ext: str                 # "jpg" or "png"
    note: str                # what was done, for the summary ("" when kept as it was)


def kind_of(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return "svg"
    return ""


def for_wechat(data: bytes, max_bytes: int) -> WxImage:
    kind = kind_of(data)
    if kind in ("jpg", "png") and len(data) <= max_bytes:
        return WxImage(data, kind, "")
    if kind == "svg":
        data = _draw_svg(data)
        if len(data) <= max_bytes:
            return WxImage(data, "png", "SVG 转成 PNG")
    from PIL import Image, ImageOps, UnidentifiedImageError

    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("图片的像素太多，转换不了（超过 8900 万像素）(too many pixels)") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageRefused(f"不是能读出的图片 (not a readable image: {type(exc).__name__})") from None
    notes = []
    if getattr(image, "n_frames", 1) > 1:
        notes.append("动图只保留第一帧")
        image.seek(0)
    source = (kind or (image.format or "?").lower()).upper()
    image = ImageOps.exif_transpose(image)
    original_width = image.width
    alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if alpha:                          # (a screenshot saved with an alpha channel it does not use: a photo)
        image = image.convert("RGBA")
        alpha = image.getchannel("A").getextrema()[0] < 255
    image = image.convert("RGBA" if alpha else "RGB")
    while True:
        for out, ext in _encodings(image, alpha):
            if len(out) <= max_bytes:
                what = f"{source} 转成 {ext.upper()}" if source.lower() != ext else f"压缩到 {len(out) // 1024} KB"
                if image.width != original_width:
                    what += f"，缩到 {image.width} 像素宽"
                return WxImage(out, ext, "，".join([what, *notes]))
        width = int(image.width * 0.8)
        if width < MIN_WIDTH:
            raise ImageRefused(f"压缩到 {MIN_WIDTH} 像素宽仍超过 {max_bytes // 1000} KB (too large even when made smaller)")
        image = image.resize((width, max(1, round(image.height * width / image.width))), Image.LANCZOS)


def _encodings(image, alpha: bool):
    if alpha:
        buf = io.BytesIO()
        image.save(buf, "PNG", optimize=True)
        yield buf.getvalue(), "png"
        return
    for quality in JPEG_QUALITIES:
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=quality, optimize=True, progressive=False)
        yield buf.getvalue(), "jpg"


def _draw_svg(data: bytes) -> bytes:
    import resvg_py

    try:
        text = data.decode("utf-8")
        return bytes(resvg_py.svg_to_bytes(svg_string=text, width=SVG_WIDTH, background="#ffffff"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ImageRefused(f"SVG 画不出来 (SVG could not be drawn: {exc})") from None
