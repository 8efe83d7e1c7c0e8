"""Report documents decode back to the text that was written, in any encoding a seller's file comes in (UTF-8 with or
without a BOM, UTF-16 with a BOM, the marketplace's legacy encoding), declared or not; or the read is recorded as a
fallback (Decoded.note, which lands in ops.decode_events). Never silently garbled.

The one ambiguity no decoder resolves without a declared charset: legacy bytes that also happen to be valid UTF-8
(cp1252 "Ã©" is the UTF-8 of "é"). UTF-8 wins there, as everywhere (WHATWG); those examples are assumed away and
test_legacy_bytes_that_are_valid_utf8_read_as_utf8 pins what happens.
"""

from __future__ import annotations

import codecs

from hypothesis import assume, given, settings, strategies as st

from amazon_zoho.amazon.reports import charset_of, decode, decode_report

from .support import budget

JP = "A1VC38T7YXB528"
WESTERN = ["A1PA6795UKMFR9", "ATVPDKIKX0DER", "A1F83G8C2ARO7P", "A13V1IB3VIYZZH"]

# Every character cp1252 can encode (its five undefined bytes map to nothing).
CP1252_CHARS = sorted({ch for b in range(256) for ch in [bytes([b]).decode("cp1252", errors="ignore")] if ch})


def _round_trips(ch: str, codec: str) -> bool:
    try:
        return ch.encode(codec).decode(codec) == ch
    except UnicodeError:
        return False


# Japanese listings: ASCII, kana, common kanji, full-width forms and the ideographic space, as cp932 writes them.
CP932_CHARS = sorted(ch for ch in [
    *map(chr, range(0x20, 0x7F)), "\t", *map(chr, range(0x3041, 0x3097)), *map(chr, range(0x30A1, 0x30FB)),
    *map(chr, range(0x4E00, 0x4F00)), *map(chr, range(0xFF01, 0xFF5F)), "\u3000", "ー", "・", "円", "税込",
] if len(ch) == 1 and _round_trips(ch, "cp932"))
cp1252_text = st.text(st.sampled_from(CP1252_CHARS))
cp932_text = st.text(st.sampled_from(CP932_CHARS))
any_text = st.text(st.characters(blacklist_categories=("Cs",)))
media_types = st.sampled_from(["text/plain", "text/tab-separated-values", "application/octet-stream", "text/csv"])
# Labels a server may send for each encoding (WHATWG's and Java's names).
LABELS = {
    "cp1252": ["windows-1252", "Cp1252", "ISO-8859-1", "latin1", "x-cp1252"],
    "cp932": ["Shift_JIS", "Windows-31J", "x-sjis", "sjis", "MS932"],
    "utf-8": ["UTF-8", "utf8"],
    "utf-16-le": ["UTF-16", "UTF-16LE"],
    "utf-16-be": ["UTF-16BE"],
}
BOM = {"utf-8": codecs.BOM_UTF8, "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}


@st.composite
def spelled(draw, name: str) -> str:
    """How a server may write a charset parameter: any case, quoted or not, with or without a space after ';'."""
    cased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in name)
    quoted = f'"{cased}"' if draw(st.booleans()) else cased
    return f"{draw(media_types)}{draw(st.sampled_from(['; ', ';', ';  ']))}charset={quoted}"


@st.composite
def report_files(draw):
    """(text, bytes, Content-Type, marketplace, encoding, BOM written) of a file of the marketplace's repertoire."""
    marketplace = draw(st.sampled_from([JP, *WESTERN]))
    legacy = "cp932" if marketplace == JP else "cp1252"
    text = draw(cp932_text if legacy == "cp932" else cp1252_text)
    encoding = draw(st.sampled_from([legacy, "utf-8", "utf-16-le", "utf-16-be"]))
    with_bom = encoding.startswith("utf-16") or (encoding == "utf-8" and draw(st.booleans()))
    data = (BOM[encoding] if with_bom else b"") + text.encode(encoding)
    declared = draw(st.booleans())
    content_type = draw(spelled(draw(st.sampled_from(LABELS[encoding])))) if declared else draw(st.sampled_from([None, "text/plain"]))
    return text, data, content_type, marketplace, encoding, with_bom


@settings(max_examples=budget(400))
@given(report_files())
def test_a_file_in_any_supported_encoding_reads_back_or_is_recorded(file):
    text, data, content_type, marketplace, encoding, with_bom = file
    undeclared_legacy = content_type in (None, "text/plain") and encoding in ("cp1252", "cp932")
    if undeclared_legacy:
        try:
            assume(data.decode("utf-8") == text)  # valid UTF-8 by accident: the one ambiguity (module docstring)
        except UnicodeDecodeError:
            pass
    decoded = decode_report(data, charset_of(content_type), marketplace)

    assert decoded.text == text or decoded.note
    # Stronger: every file here is read right, and only a guess carries a note.
    assert decoded.text == text
    if with_bom or content_type not in (None, "text/plain"):
        assert decoded.note is None or "windows-1252 characters" in decoded.note
    if undeclared_legacy and not text.isascii():
        assert decoded.note and decoded.encoding == encoding


def test_legacy_bytes_that_are_valid_utf8_read_as_utf8():
    assert decode_report("Ã©".encode("cp1252"), None, WESTERN[0]).text == "é"
    assert decode_report("Ã©".encode("cp1252"), "windows-1252", WESTERN[0]).text == "Ã©"  # declared: no ambiguity


@settings(max_examples=budget(200))
@given(text=cp932_text.filter(lambda t: not t.isascii()))
def test_undeclared_japanese_prefers_windows_31j_over_cp1252(text):
    data = text.encode("cp932")
    try:
        assume(data.decode("utf-8") != text)
    except UnicodeDecodeError:
        pass
    decoded = decode_report(data, None, JP)
    assert (decoded.text, decoded.encoding) == (text, "cp932") and decoded.note


@settings(max_examples=budget(200))
@given(text=cp1252_text, content_type=st.one_of(spelled("cp1252"), spelled("windows-1252"), spelled("iso-8859-1"), spelled("us-ascii")))
def test_cp1252_text_decodes_to_itself_with_any_latin1_label(text, content_type):
    assert decode(text.encode("cp1252"), charset_of(content_type)) == text


@settings(max_examples=budget(200))
@given(text=any_text, content_type=st.one_of(spelled("utf-8"), spelled("UTF8"), st.none(), st.just("text/plain"), st.just("")))
def test_utf8_text_decodes_to_itself_or_is_recorded(text, content_type):
    decoded = decode_report(text.encode("utf-8"), charset_of(content_type))
    assert decoded.text == text or decoded.note  # NULs and tabs in UTF-8 can look like UTF-16 without its BOM
    assert decoded.text == text or not charset_of(content_type)


@settings(max_examples=budget(200))
@given(data=st.binary(max_size=64), content_type=st.one_of(
    st.none(), st.text(max_size=40), spelled("cp1252"), spelled("utf-8"), spelled("utf-16"), spelled("windows-31j"), spelled("base64"),
    st.just("text/plain; charset=x-no-such-charset"),
), marketplace=st.sampled_from([None, JP, *WESTERN]))
def test_undecodable_bytes_never_raise_and_a_lossy_read_is_recorded(data, content_type, marketplace):
    decoded = decode_report(data, charset_of(content_type), marketplace)
    assert isinstance(decoded.text, str)
    if decoded.encoding == "iso-8859-1":
        assert decoded.note and "lossy" in decoded.note
