"""Split a migration file into single statements, because the Data API runs one statement per call.

The scanner knows the places where a semicolon does not end a statement: single- and double-quoted
text, dollar-quoted bodies (``$$ … $$``, ``$tag$ … $tag$``), and ``--`` and ``/* */`` comments.
"""

from __future__ import annotations

import re

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


def split_statements(script: str) -> list[str]:
    """The statements of ``script`` in order, without their terminating semicolons or empty ones."""
    statements: list[str] = []
    start = 0
    i = 0
    length = len(script)
    while i < length:
        char = script[i]
        if char in ("'", '"'):
            i = _skip_quoted(script, i, char)
        elif script.startswith("--", i):
            newline = script.find("\n", i)
            i = length if newline < 0 else newline + 1
        elif script.startswith("/*", i):
            end = script.find("*/", i + 2)
            i = length if end < 0 else end + 2
        elif char == "$" and (tag := _DOLLAR_TAG.match(script, i)) and not _in_identifier(script, i):
            end = script.find(tag.group(0), tag.end())
            if end < 0:
                raise ValueError("unterminated dollar-quoted text")
            i = end + len(tag.group(0))
        elif char == ";":
            _keep(statements, script[start:i])
            i += 1
            start = i
        else:
            i += 1
    _keep(statements, script[start:])
    return statements


def _skip_quoted(script: str, i: int, quote: str) -> int:
    """The index after the quoted text starting at ``i``; a doubled quote is part of the text."""
    i += 1
    while True:
        end = script.find(quote, i)
        if end < 0:
            raise ValueError(f"unterminated {quote}-quoted text")
        if script.startswith(quote * 2, end):
            i = end + 2
            continue
        return end + 1


def _in_identifier(script: str, i: int) -> bool:
    """``$`` inside a name (``a$1``) or a positional parameter is not a dollar quote."""
    return i > 0 and (script[i - 1].isalnum() or script[i - 1] == "_")


def _keep(statements: list[str], text: str) -> None:
    stripped = text.strip()
    if _has_code(stripped):
        statements.append(stripped)


def _has_code(text: str) -> bool:
    without_comments = re.sub(r"--[^\n]*|/\*.*?\*/", "", text, flags=re.DOTALL)
    return bool(without_comments.strip())
