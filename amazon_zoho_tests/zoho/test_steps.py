"""The declared SQL steps of a push (amazon_zoho/zoho/steps.py) say what their files read, create and write, and
each step of PREPARE reads only what an earlier step created or Python hands it."""

import re
from pathlib import Path

import pandas as pd
import pytest

from amazon_zoho.zoho import steps
from amazon_zoho.zoho.mapping import MODULE_ORDER

SQL_DIR = Path(steps.__file__).parent / "sql"
SCHEMAS = ("raw", "core", "marts", "ops", "pii")
# Temp tables and views handed between steps, or given by Python: any of them a file names, it reads or creates.
HANDED_OVER = {name for step in steps.ALL for name in step.creates + step.given}


def _code(step: steps.Step) -> str:
    """The file without comments and string literals (which name tables in prose)."""
    text = (SQL_DIR / step.sql_file).read_text()
    return re.sub(r"'[^']*'", "''", re.sub(r"--[^\n]*", "", text))


@pytest.mark.parametrize("step", steps.ALL, ids=lambda s: s.sql_file)
def test_each_step_declares_what_its_file_reads_creates_and_writes(step):
    code = _code(step)
    created = set(re.findall(r"CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s+(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", code, re.IGNORECASE))
    assert created == set(step.creates)
    written = set(re.findall(rf"(?:INSERT\s+(?:OR\s+REPLACE\s+)?INTO|UPDATE|DELETE\s+FROM)\s+((?:{'|'.join(SCHEMAS)})\.\w+)", code, re.IGNORECASE))
    assert written == set(step.writes)
    warehouse = set(re.findall(rf"\b((?:{'|'.join(SCHEMAS)})\.\w+)", code))
    assert warehouse == {t for t in step.reads if "." in t} | set(step.writes)
    named = {name for name in HANDED_OVER if re.search(rf"\b{name}\b", code)}
    assert named - set(step.creates) == {t for t in step.reads if "." not in t} | set(step.given)


@pytest.mark.parametrize("module", MODULE_ORDER)
def test_prepare_reads_only_what_an_earlier_step_created_or_python_gives(module):
    made: set[str] = set()
    for step in (s for s in steps.PREPARE if module in s.modules):
        assert {t for t in step.reads if "." not in t} <= made, step.sql_file
        made |= set(step.creates)
    assert {"pending", "classified", "to_send"} <= made


def test_every_sql_file_of_the_push_is_a_declared_step():
    run_by_other_modules = {"credit_ledger.sql", "lines_pruned.sql", "prune_candidates.sql", "preview.sql", "preview_summary.sql",
                            "sync_run.sql", "sync_history.sql", "dead_letter_count.sql", "days_without_orders.sql", "run_problems.sql"}
    assert {p.name for p in SQL_DIR.glob("*.sql")} == {s.sql_file for s in steps.ALL} | run_by_other_modules


def test_a_step_takes_exactly_the_data_frames_it_declares():
    with pytest.raises(ValueError, match="mark_deferred.sql is given deferred, not results"):
        steps.MARK_DEFERRED.run(None, {}, results=pd.DataFrame())
