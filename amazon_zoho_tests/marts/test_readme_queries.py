"""The README's "For analysts" queries, extracted from README.md and run as written against an analyst copy."""

import re
from pathlib import Path

import duckdb

README = Path(__file__).resolve().parents[2] / "README.md"


def analyst_queries() -> list[str]:
    text = README.read_text()
    section = text.split("\n## For analysts\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_has_five_queries_and_each_answers_on_the_analyst_copy(built):
    queries = analyst_queries()
    assert len(queries) == 5
    with duckdb.connect(str(built.analyst_copy), read_only=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        for query in queries:
            relation = conn.sql(query)
            assert relation.fetchall(), f"no rows from:\n{query}"
            # What an analyst sees printed: counts as plain integers (sum() of an integer is HUGEINT, which
            # drivers and spreadsheets show oddly), a month as a month, not a midnight timestamp.
            types = dict(zip(relation.columns, map(str, relation.types)))
            assert "HUGEINT" not in types.values(), (types, query)
            assert all(t.startswith("VARCHAR") or t == "DATE" for c, t in types.items() if c in ("month", "day")), (types, query)
