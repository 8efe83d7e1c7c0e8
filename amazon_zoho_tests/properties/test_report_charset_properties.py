"""Report documents decode with the charset their Content-Type declares, and bytes that charset cannot read
fall back instead of raising."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from amazon_zoho.amazon.reports import charset_of, decode

from .support import budget

# Every character cp1252 can encode (its five undefined bytes map to nothing).
CP1252_CHARS = sorted({ch for b in range(256) for ch in [bytes([b]).decode("cp1252", errors="ignore")] if ch})
cp1252_text = st.text(st.sampled_from(CP1252_CHARS))
any_text = st.text(st.characters(blacklist_categories=("Cs",)))
media_types = st.sampled_from(["text/plain", "text/tab-separated-values", "application/octet-stream", "text/csv"])


@st.composite
def spelled(draw, name: str) -> str:
    """How a server may write a charset parameter: any case, quoted or not, with or without a space after ';'."""
    cased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in name)
    quoted = f'"{cased}"' if draw(st.booleans()) else cased
    return f"{draw(media_types)}{draw(st.sampled_from(['; ', ';', ';  ']))}charset={quoted}"


cp1252_headers = st.one_of(spelled("cp1252"), spelled("windows-1252"))
utf8_headers = st.one_of(spelled("utf-8"), spelled("UTF8"), st.none(), st.just("text/plain"), st.just(""))


@settings(max_examples=budget(200))
@given(text=cp1252_text, content_type=cp1252_headers)
def test_cp1252_text_decodes_to_itself_with_its_declared_charset(text, content_type):
    assert decode(text.encode("cp1252"), charset_of(content_type)) == text


@settings(max_examples=budget(200))
@given(text=any_text, content_type=utf8_headers)
def test_utf8_text_decodes_to_itself_declared_or_by_default(text, content_type):
    assert decode(text.encode("utf-8"), charset_of(content_type)) == text


@settings(max_examples=budget(200))
@given(data=st.binary(max_size=64), content_type=st.one_of(
    st.none(), st.text(max_size=40), cp1252_headers, utf8_headers, spelled("utf-16"), spelled("windows-31j"), spelled("base64"),
    st.just("text/plain; charset=x-no-such-charset"),
))
def test_undecodable_bytes_never_raise(data, content_type):
    text = decode(data, charset_of(content_type))
    assert isinstance(text, str)
