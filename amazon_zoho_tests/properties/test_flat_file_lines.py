"""flat_files.iter_lines (the order report's lines, one at a time) says exactly what split_lines says, and read_tsv
makes the same table from a file's text as from its lines: the 10,000-orders-a-day report is read the first way,
settlement files and the fixtures the second (issue #17)."""

import duckdb
from hypothesis import example, given, strategies as st

from amazon_zoho.amazon import flat_files

# The characters line splitting can trip on: both line ends, a lone carriage return, the BOM, U+0085 (which
# str.splitlines() would wrongly break on), tabs and padding.
TEXT = st.lists(st.sampled_from(["a", "b", "\t", " ", "\n", "\r", "\r\n", "\ufeff", "\x85", "\u00a0"]), max_size=40).map("".join)


@given(TEXT)
@example("")
@example("\ufeff")
@example("a\r")
@example("a\r\r\nb\n\n")
def test_iter_lines_is_split_lines_one_at_a_time(text):
    assert list(flat_files.iter_lines(text)) == flat_files.split_lines(text)
    assert flat_files.first_line(text) == (flat_files.split_lines(text) or [""])[0]


@given(st.lists(st.text(alphabet=st.sampled_from(["x", "y", " ", "\t", "\r", "\u00a0"]), max_size=8), min_size=1, max_size=6),
       st.sampled_from(["\n", "\r\n"]), st.booleans())
@example(["h1\th2", "a\r\tb", "c"], "\r\n", True)
def test_read_tsv_reads_text_as_it_reads_lines(rows, newline, bom):
    text = ("\ufeff" if bom else "") + newline.join(rows) + newline
    with duckdb.connect() as conn:
        header_lines = flat_files.read_tsv(conn, flat_files.split_lines(text), "from_lines", "rejects_lines")
        header_text = flat_files.read_tsv(conn, text, "from_text", "rejects_text")
        assert header_text == header_lines
        assert conn.execute("SELECT * FROM from_text ORDER BY ALL").fetchall() == conn.execute("SELECT * FROM from_lines ORDER BY ALL").fetchall()
        rejects = "SELECT csv_line FROM {} ORDER BY ALL"
        assert conn.execute(rejects.format("rejects_text")).fetchall() == conn.execute(rejects.format("rejects_lines")).fetchall()
