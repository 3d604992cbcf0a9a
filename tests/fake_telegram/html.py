"""Telegram's HTML parse mode, as strict as Telegram: text plus entities, or a 400 error."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^>]*)?)>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);"
)
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


class ParseError(ValueError):
    """What Telegram answers with "Bad Request: can't parse entities: …"."""


@dataclass
class _Open:
    tag: str
    offset: int
    url: str | None


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Turn Telegram HTML into plain text and message entities, or raise ParseError."""
    out: list[str] = []
    length = 0
    stack: list[_Open] = []
    entities: list[dict] = []
    position = 0
    for match in _TOKEN.finditer(source):
        plain = source[position : match.start()]
        _check_plain(plain, position)
        out.append(plain)
        length += utf16_len(plain)
        position = match.end()
        closing, tag, attributes, entity = match.groups()
        if entity is not None:
            char = _decode_entity(entity, match.start())
            out.append(char)
            length += utf16_len(char)
            continue
        tag = tag.lower()
        if tag not in _TAGS:
            raise ParseError(f'Unsupported start tag "{tag}" at byte offset {match.start()}')
        if closing:
            if not stack or stack[-1].tag != tag:
                raise ParseError(
                    f'Unmatched end tag at byte offset {match.start()}, expected "</'
                    f'{stack[-1].tag if stack else ""}>", found "</{tag}>"'
                )
            opened = stack.pop()
            if length > opened.offset:
                entity_dict = {
                    "type": _TAGS[tag],
                    "offset": opened.offset,
                    "length": length - opened.offset,
                }
                if tag == "a":
                    entity_dict["url"] = opened.url
                entities.append(entity_dict)
            continue
        url = None
        if tag == "a":
            href = _HREF.search(attributes or "")
            url = next((group for group in href.groups() if group is not None), "") if href else ""
        stack.append(_Open(tag, length, url))
    tail = source[position:]
    _check_plain(tail, position)
    out.append(tail)
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda item: (item["offset"], -item["length"]))
    return "".join(out), entities


def _check_plain(text: str, base: int) -> None:
    for index, char in enumerate(text):
        if char == "<":
            raise ParseError(
                f"Unsupported start tag at byte offset {base + index}"
                if index + 1 < len(text) and text[index + 1].isalpha()
                else f"Unexpected end of name token at byte offset {base + index}"
            )
        if char == "&":
            raise ParseError(f"Unexpected end of name token at byte offset {base + index}")


def _decode_entity(entity: str, offset: int) -> str:
    if entity.startswith("#x"):
        return chr(int(entity[2:], 16))
    if entity.startswith("#"):
        return chr(int(entity[1:]))
    if entity in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[entity]
    decoded = html.unescape(f"&{entity};")
    if decoded == f"&{entity};":
        raise ParseError(f'Unknown HTML entity "&{entity};" at byte offset {offset}')
    return decoded
