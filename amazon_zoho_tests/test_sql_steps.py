"""Every layer's declared SQL steps (amazon, core, ops and zoho: their steps.py, built on warehouse/steps.py) say what
their files read, create and write; each declared sequence reads only what an earlier step created, what Python
gives or prepared it, or warehouse tables; every .sql file of a layer is a declared step or a query run where named
below; and Python reads afterwards only the temp tables a step declares it creates."""

import ast
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import amazon_zoho
from amazon_zoho.amazon import steps as amazon_steps
from amazon_zoho.core import steps as core_steps
from amazon_zoho.ops import steps as ops_steps
from amazon_zoho.warehouse.steps import (
    Step,
    beside,
    code,
    macros_called,
    tables_written,
    temp_macros_created,
    temp_tables_created,
    temp_tables_read,
    warehouse_tables,
)
from amazon_zoho.zoho import steps as zoho_steps
from amazon_zoho_tests.python_source import parse

PACKAGE = Path(amazon_zoho.__file__).parent
LAYERS = {"amazon": amazon_steps, "core": core_steps, "ops": ops_steps, "zoho": zoho_steps}
STEPS = [(layer, step) for layer, module in LAYERS.items() for step in module.ALL]
SEQUENCES = [(layer, name) for layer, module in LAYERS.items() for name in module.SEQUENCES]

# Files that are not steps: queries over warehouse tables alone, which the module named reads with sql() and runs
# itself (it wants the cursor or the rows).
RUN_ELSEWHERE = {
    "amazon/order_update_gaps.sql": "amazon/order_updates.py",
    "amazon/settlement_gaps.sql": "amazon/settlement_assets.py",
    "zoho/prune_candidates.sql": "zoho/lines.py",
    "zoho/preview_summary.sql": "zoho/jobs.py",
    "zoho/sync_history.sql": "zoho/report.py",
    "zoho/dead_letter_count.sql": "zoho/report.py",
    "zoho/days_without_orders.sql": "zoho/report.py",
    "zoho/run_problems.sql": "zoho/report.py",
    "zoho/dead_letter_reasons.sql": "zoho/report.py",
}
# Temp tables Python makes and reads itself, no step involved (DuckDB's reader loads a flat file into them), with
# the module that makes them.
MADE_BY_PYTHON = {"settlement_file": "amazon/settlement_files.py", "order_report_file": "amazon/order_reports.py",
                  "order_report_all_lines": "amazon/order_reports.py", "order_report_loaded": "amazon/order_reports.py"}


def _temp(names: tuple[str, ...]) -> set[str]:
    return {name for name in names if "." not in name}


# Every temp macro a step creates.
MACROS = {name for _, step in STEPS for name in step.macros}


def _sql(step_or_path: Step | Path) -> str:
    return code((step_or_path.path if isinstance(step_or_path, Step) else step_or_path).read_text())


@pytest.mark.parametrize("step", [step for _, step in STEPS], ids=lambda step: step.name)
def test_each_step_declares_what_its_file_reads_creates_and_writes(step):
    sql = _sql(step)
    assert temp_tables_created(sql) == set(step.creates)
    assert temp_macros_created(sql) == set(step.macros)
    assert tables_written(sql) - set(step.creates) == set(step.writes)
    assert warehouse_tables(sql) == {t for t in step.reads + step.writes if "." in t}
    # Temp tables, views and frames it reads or writes, and macros it calls, but did not make itself.
    used = (temp_tables_read(sql) | _temp(tables_written(sql))) - set(step.creates) | macros_called(sql, MACROS) - set(step.macros)
    assert used == _temp(step.reads) | _temp(step.writes) | set(step.given) | set(step.prepared)


@pytest.mark.parametrize(("layer", "name"), SEQUENCES, ids=[f"{layer}: {name}" for layer, name in SEQUENCES])
def test_each_sequence_reads_only_what_an_earlier_step_created(layer, name):
    made: set[str] = set()
    for step in LAYERS[layer].SEQUENCES[name]:
        assert step in LAYERS[layer].ALL, f"{step.name} is not among the layer's steps"
        wanted = _temp(step.reads) | _temp(step.writes)
        assert wanted <= made, f"{step.name} reads {sorted(wanted - made)}, which no earlier step of {name!r} creates"
        made |= set(step.creates) | set(step.macros)


@pytest.mark.parametrize("layer", LAYERS)
def test_every_step_that_reads_a_temp_table_is_in_a_sequence(layer):
    """Otherwise the sequence check never sees where its temp tables come from."""
    sequenced = {step for sequence in LAYERS[layer].SEQUENCES.values() for step in sequence}
    loose = [step.name for step in LAYERS[layer].ALL if (_temp(step.reads) | _temp(step.writes)) and step not in sequenced]
    assert not loose


def test_every_sql_file_of_a_layer_is_a_declared_step_or_a_query_run_elsewhere():
    files = {f"{layer}/{path.name}" for layer in LAYERS for path in (PACKAGE / layer / "sql").glob("*.sql")}
    declared = {step.name for _, step in STEPS}
    assert not declared & set(RUN_ELSEWHERE)
    assert files == declared | set(RUN_ELSEWHERE)


@pytest.mark.parametrize("file", RUN_ELSEWHERE)
def test_a_query_run_elsewhere_is_run_where_named_and_hands_nothing_over(file):
    layer, name = file.split("/")
    assert f'"{name}"' in (PACKAGE / RUN_ELSEWHERE[file]).read_text()
    sql = _sql(PACKAGE / layer / "sql" / name)
    assert not temp_tables_created(sql) | temp_macros_created(sql) | tables_written(sql)
    assert not temp_tables_read(sql) | macros_called(sql, MACROS)


def _layer_modules(layer: str) -> list[Path]:
    return [path for path in (PACKAGE / layer).glob("*.py") if path.name != "steps.py"]


def _strings(path: Path) -> list[str]:
    return [node.value for node in ast.walk(parse(path)) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


@pytest.mark.parametrize("layer", LAYERS)
def test_python_reads_only_temp_tables_a_step_creates(layer):
    """Tables without a schema after FROM or JOIN in the string literals of the layer's Python (SQL keywords in
    capitals, as the code writes them; not schema.table, not a table function) are made by a step, prepared for one,
    or made by Python itself."""
    allowed = {name for step in LAYERS[layer].ALL for name in step.creates + step.prepared} | set(MADE_BY_PYTHON)
    read = {
        (path.relative_to(PACKAGE).as_posix(), name)
        for path in _layer_modules(layer)
        for text in _strings(path)
        for name in re.findall(r"\b(?:FROM|JOIN)\s+([A-Za-z_]\w*)\b(?!\s*[.(])", text)
    }
    assert {(module, name) for module, name in read if name not in allowed} == set()


@pytest.mark.parametrize("name", MADE_BY_PYTHON)
def test_a_temp_table_python_makes_is_made_where_named(name):
    assert f'"{name}"' in (PACKAGE / MADE_BY_PYTHON[name]).read_text()


@pytest.mark.parametrize("layer", LAYERS)
def test_python_runs_sql_files_and_registers_frames_only_through_steps(layer):
    calls = [
        f"{path.relative_to(PACKAGE).as_posix()}:{node.lineno}"
        for path in _layer_modules(layer)
        for node in ast.walk(parse(path))
        if isinstance(node, ast.Call)
        and ((isinstance(node.func, ast.Name) and node.func.id == "run_sql")
             or (isinstance(node.func, ast.Attribute) and node.func.attr in ("run_sql", "register", "unregister")))
    ]
    assert not calls


def test_a_step_takes_exactly_the_data_frames_it_declares():
    with pytest.raises(ValueError, match="mark_deferred.sql is given deferred, not results"):
        zoho_steps.MARK_DEFERRED.run(None, {}, results=pd.DataFrame())


def test_a_step_registers_its_frames_while_it_runs_and_answers_its_last_query(tmp_path):
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "count.sql").write_text(
        "CREATE OR REPLACE TEMP TABLE counted AS SELECT count(*) AS n FROM numbers WHERE x > $above;\nSELECT n FROM counted;\n"
    )
    step = beside(str(tmp_path / "layer.py"))("count.sql", given=("numbers",), creates=("counted",))
    assert step.name == f"{tmp_path.name}/count.sql"
    with duckdb.connect() as conn:
        assert step.rows(conn, {"above": 1, "unused": 0}, numbers=pd.DataFrame({"x": [1, 2, 3]})) == [(2,)]
        with pytest.raises(duckdb.CatalogException):
            conn.execute("SELECT * FROM numbers")
        assert conn.execute("SELECT n FROM counted").fetchall() == [(2,)]
