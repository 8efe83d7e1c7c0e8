"""Zoho search criteria: `((Field:operator:value)and(Field:operator:value))`, up to 10 conditions.

Escaping (search-records docs, Kaizen #82): `(`, `)` and `,` inside a value are written `\\(`, `\\)`,
`\\,` (and a literal backslash `\\\\`); commas separate the values of `in`. Operators: equals,
not_equal, starts_with, in, not_in, greater_than, greater_equal, less_than, less_equal, between.
Comparisons of text are case-insensitive, as in Zoho search.
"""

from __future__ import annotations

MAX_CONDITIONS = 10
OPERATORS = {"equals", "not_equal", "starts_with", "in", "not_in", "greater_than", "greater_equal", "less_than", "less_equal", "between"}


class CriteriaError(ValueError):
    pass


def parse(text: str):
    """Returns a tree: ("cond", field, op, [values]) or ("and"|"or", left, right)."""
    tokens = _tokens(text)
    pos, tree = _expr(tokens, 0)
    if pos != len(tokens):
        raise CriteriaError("trailing input")
    if _count(tree) > MAX_CONDITIONS:
        raise CriteriaError("more than 10 criteria")
    return tree


def _tokens(text: str) -> list:
    """Splits into "(", ")", "and", "or" and condition strings (escapes kept for _condition)."""
    out, i, buf = [], 0, ""
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf += text[i : i + 2]
            i += 2
            continue
        if ch in "()":
            if buf.strip():
                out.append(("cond", buf) if ":" in buf else ("word", buf.strip().lower()))
            buf = ""
            out.append(ch)
        else:
            buf += ch
        i += 1
    if buf.strip():
        out.append(("cond", buf) if ":" in buf else ("word", buf.strip().lower()))
    return out


def _expr(tokens, pos):
    pos, left = _term(tokens, pos)
    while pos < len(tokens) and isinstance(tokens[pos], tuple) and tokens[pos][0] == "word" and tokens[pos][1] in ("and", "or"):
        op = tokens[pos][1]
        pos, right = _term(tokens, pos + 1)
        left = (op, left, right)
    return pos, left


def _term(tokens, pos):
    if pos >= len(tokens):
        raise CriteriaError("unexpected end")
    tok = tokens[pos]
    if tok == "(":
        pos, tree = _expr(tokens, pos + 1)
        if pos >= len(tokens) or tokens[pos] != ")":
            raise CriteriaError("unbalanced parentheses")
        return pos + 1, tree
    if isinstance(tok, tuple) and tok[0] == "cond":
        return pos + 1, _condition(tok[1])
    raise CriteriaError(f"unexpected token {tok!r}")


def _condition(raw: str):
    field, sep, rest = raw.partition(":")
    op, sep2, value = rest.partition(":")
    op = op.strip().lower()
    if not sep or not sep2 or op not in OPERATORS or not field.strip():
        raise CriteriaError(f"bad condition {raw!r}")
    values, buf, i = [], "", 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            buf += value[i + 1]
            i += 2
            continue
        if value[i] == "," and op in ("in", "not_in", "between"):
            values.append(buf)
            buf = ""
        else:
            buf += value[i]
        i += 1
    values.append(buf)
    return ("cond", field.strip(), op, values)


def _count(tree) -> int:
    return 1 if tree[0] == "cond" else _count(tree[1]) + _count(tree[2])


def matches(tree, record: dict) -> bool:
    if tree[0] == "and":
        return matches(tree[1], record) and matches(tree[2], record)
    if tree[0] == "or":
        return matches(tree[1], record) or matches(tree[2], record)
    _, field, op, values = tree
    actual = record.get(field)
    if isinstance(actual, dict):  # lookups compare by id
        actual = actual.get("id")
    return _compare(actual, op, values)


def _norm(value):
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return float(value)
    return "" if value is None else str(value).lower()


def _compare(actual, op, values) -> bool:
    a = _norm(actual)
    vs = [_coerce_like(a, v) for v in values]
    if op == "equals":
        return a == vs[0]
    if op == "not_equal":
        return a != vs[0]
    if op == "starts_with":
        return isinstance(a, str) and a.startswith(str(vs[0]))
    if op == "in":
        return a in vs
    if op == "not_in":
        return a not in vs
    try:
        if op == "between":
            return vs[0] <= a <= vs[1]
        return {"greater_than": a > vs[0], "greater_equal": a >= vs[0], "less_than": a < vs[0], "less_equal": a <= vs[0]}[op]
    except (TypeError, IndexError):
        return False


def _coerce_like(actual, raw: str):
    if isinstance(actual, float):
        try:
            return float(raw)
        except ValueError:
            return raw.lower()
    return raw.lower()


def equals_lookup(tree) -> tuple[str, str] | None:
    """(field, value) when the criteria is one `equals` condition: the indexable common case."""
    if tree[0] == "cond" and tree[2] == "equals":
        return tree[1], tree[3][0]
    return None
