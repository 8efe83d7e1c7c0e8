"""Text fitted to the org's field lengths before it is sent.

Zoho refuses a whole record when one value is longer than its field ("The 'INVALID_DATA' error is thrown if the
field value length is more than the maximum length defined for that field", insert-records docs v3-v8,
https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html; the error's details carry api_name and
maximum_length, record.json API_Exception in /work/shared/reference/zoho). Product_Name holds 120 characters and
Amazon titles of 150-200 are ordinary, so a product, and every order that points at it, would be refused on every
run. Each field's length is read from the org's field metadata (GET /crm/v8/settings/fields?module=..., `length`,
fields.json in /work/shared/reference/zoho), which the push reads anyway in its preflight.

Zoho counts characters ("if a Text field has a maximum length of 10 characters, the API cannot accept a value such as
"12345678901", since it contains 11 characters", v8 upsert-records request body, in a public rendering of Zoho's
OpenAPI) without saying how it counts a character outside the BMP; its servers are Java, whose String
length counts UTF-16 code units, so a value is cut until it fits in both code points and UTF-16 units (the
stricter of the two readings). It is cut between grapheme clusters (the rules of Unicode UAX #29 that matter for
names and titles, with the standard library: see _clusters), so neither a surrogate pair nor an accent or emoji
sequence is split, and ends in "…" to show it was cut.
The warehouse keeps the full value: only what is sent is fitted, and the id map's payload hash is the full one's.
"""

from __future__ import annotations

import unicodedata

# Types whose values are free text that may be cut; an email, phone or URL cut short is another, wrong value.
FITTED_TYPES = ("text", "textarea")
ELLIPSIS = "…"
ZWJ = "\u200d"


def _extends(ch: str) -> bool:
    """Whether `ch` belongs to the grapheme cluster before it (UAX #29 GB9/GB9a Extend, SpacingMark; emoji modifiers,
    variation selectors and tag characters are Extend; Hangul medial vowels and final consonants join their syllable)."""
    cp = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Me", "Mc") or ch == ZWJ or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF
            or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F or 0x1160 <= cp <= 0x11FF)


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _clusters(text: str) -> list[str]:
    """`text` as grapheme clusters: a code point starts a new cluster unless it extends the one before, follows a
    zero-width joiner (emoji sequences, GB11), is the second of a pair of regional indicators (a flag, GB12/13), or is
    the LF of a CR LF (GB3). Enough for cutting names and titles; the full UAX #29 tables are not needed for that."""
    out: list[str] = []
    for ch in text:
        if out and (_extends(ch) or out[-1].endswith(ZWJ) or (out[-1] == "\r" and ch == "\n")
                    or (_regional(ch) and _regional(out[-1][-1]) and sum(map(_regional, out[-1])) % 2 == 1)):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def text_lengths(fields: list[dict]) -> dict[str, int]:
    """Field api_name -> the characters it holds, for the org's free-text fields (GET settings/fields answer)."""
    return {
        f["api_name"]: int(f["length"])
        for f in fields
        if f.get("data_type") in FITTED_TYPES and isinstance(f.get("length"), int) and f["length"] > 0 and f.get("api_name")
    }


def units(text: str) -> int:
    """The larger of the two ways a server may count `text`: code points, or UTF-16 code units (Java)."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its longest run of whole grapheme clusters that fits with "…"."""
    if units(text) <= limit:
        return text
    room = limit - units(ELLIPSIS)
    kept, used = [], 0
    for cluster in _clusters(text):
        size = units(cluster)
        if used + size > room:
            break
        kept.append(cluster)
        used += size
    return "".join(kept).rstrip() + ELLIPSIS if room > 0 else "".join(kept)


def fit_payload(payload: dict, lengths: dict[str, int], keep: frozenset[str] | set[str] = frozenset()) -> tuple[dict, list[str]]:
    """The payload with every top-level text value fitted to its field; returns it and the fields that were cut.
    Fields in `keep` (the match key) are never cut: a key cut short would match another record."""
    cut = [name for name, value in payload.items()
           if name not in keep and isinstance(value, str) and name in lengths and units(value) > lengths[name]]
    if not cut:
        return payload, []
    return {**payload, **{name: fit(payload[name], lengths[name]) for name in cut}}, cut
