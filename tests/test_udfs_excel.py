"""The Excel functions as Excel and xlwings see them: the xlwings metadata (help, optional
arguments), the VBA wrapper classic xlwings writes for each, and the sample workbook
(``workbooks/udf_sample.xlsx``) that calls every function (split from tests/test_udfs.py).

The metadata (``__xlfunc__``) is checked with xlwings' own classic decorators, loaded in a
subprocess with the Windows-only modules stubbed out, through the module xlwings imports
(``udfs/billing_udfs.py``, which imports them from the package).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from billing_model import udfs as udf

ROOT = Path(__file__).resolve().parents[1]


ISSUE_FUNCTIONS = {
    "BM_CONCURRENT_PEAK",
    "BM_NAMED_USERS",
    "BM_CONCURRENCY_PROFILE",
    "BM_BILLING_PERIODS",
    "BM_INVOICE_SCHEDULE",
    "BM_STORAGE_FORECAST",
    "BM_FAIR_USE",
    "BM_ROUND_CURRENCY",
}
# VBA keywords and type names: classic xlwings writes a VBA function whose parameters carry the
# Python argument names, so none of these may be an argument name (VBA is case-insensitive)
VBA_RESERVED = {
    "and",
    "as",
    "boolean",
    "byref",
    "byte",
    "byval",
    "call",
    "case",
    "close",
    "const",
    "currency",
    "date",
    "decimal",
    "declare",
    "dim",
    "do",
    "double",
    "each",
    "else",
    "elseif",
    "empty",
    "end",
    "enum",
    "eqv",
    "erase",
    "error",
    "event",
    "exit",
    "false",
    "for",
    "friend",
    "function",
    "get",
    "global",
    "gosub",
    "goto",
    "if",
    "imp",
    "implements",
    "in",
    "input",
    "integer",
    "is",
    "let",
    "like",
    "line",
    "lock",
    "long",
    "longlong",
    "longptr",
    "loop",
    "lset",
    "me",
    "mod",
    "name",
    "new",
    "next",
    "not",
    "nothing",
    "null",
    "object",
    "on",
    "open",
    "option",
    "optional",
    "or",
    "paramarray",
    "preserve",
    "print",
    "private",
    "property",
    "public",
    "put",
    "raiseevent",
    "redim",
    "rem",
    "resume",
    "return",
    "rset",
    "seek",
    "select",
    "set",
    "single",
    "static",
    "step",
    "stop",
    "string",
    "sub",
    "then",
    "to",
    "true",
    "type",
    "typeof",
    "unlock",
    "until",
    "variant",
    "wend",
    "while",
    "with",
    "withevents",
    "write",
    "xor",
}


# --- xlwings metadata --------------------------------------------------------------------------

METADATA_SCRIPT = textwrap.dedent("""
    import io, json, sys, types
    # xlwings' classic UDF decorators live in xlwings.udfs, which imports Windows-only modules at
    # the top; they are not used by the decorators themselves
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["pythoncom"].CoInitialize = lambda: None
    sys.modules["win32com.client"].Dispatch = None
    sys.modules["win32com"].client = sys.modules["win32com.client"]
    import xlwings as xw
    from xlwings import udfs as classic
    xw.func, xw.arg, xw.ret = classic.xlfunc, classic.xlarg, classic.xlret
    sys.path.insert(0, sys.argv[1])
    import billing_udfs
    functions = {}
    for name in dir(billing_udfs):
        obj = getattr(billing_udfs, name)
        if name.startswith("BM_") and callable(obj):
            meta = getattr(obj, "__xlfunc__", None)
            functions[name] = None if meta is None else {
                "category": meta["category"], "doc": meta["ret"]["doc"],
                "ret_options": sorted(meta["ret"]["options"]),
                "args": [{"name": a["name"], "doc": a["doc"], "optional": "optional" in a}
                         for a in meta["args"]]}
    class Workbook:
        Name = "udf_sample.xlsm"
    vba = io.StringIO()
    classic.generate_vba_wrapper("billing_udfs", billing_udfs, vba, Workbook())
    print(json.dumps({"functions": functions, "vba": vba.getvalue()}))
""")


@pytest.fixture(scope="module")
def metadata() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", METADATA_SCRIPT, str(ROOT / "udfs")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_issue_function_exists():
    assert ISSUE_FUNCTIONS <= {f.__name__ for f in udf.EXCEL_FUNCTIONS}
    assert {f.__name__ for f in udf.EXCEL_FUNCTIONS} == {
        name for name in dir(udf) if name.startswith("BM_")
    }


def test_the_xlwings_module_brings_every_function_of_the_package():
    """``udfs/billing_udfs.py`` (UDF Modules = billing_udfs) is a thin import of the package's
    module: every BM_ function, the same objects, nothing of its own."""
    from udfs import billing_udfs

    assert {n: getattr(billing_udfs, n) for n in dir(billing_udfs) if n.startswith("BM_")} == {
        f.__name__: f for f in udf.EXCEL_FUNCTIONS
    }
    assert billing_udfs.EXCEL_FUNCTIONS is udf.EXCEL_FUNCTIONS


def test_every_function_is_decorated_with_help(metadata):
    functions = metadata["functions"]
    assert set(functions) == {f.__name__ for f in udf.EXCEL_FUNCTIONS}
    for name, meta in functions.items():
        assert meta is not None, f"{name} lacks @xw.func"
        assert meta["category"] == "Billing Model", name
        doc = meta["doc"]
        assert doc and not doc.startswith("Python function"), f"{name} has no docstring"
        assert len(doc) < 255 and "\n" not in doc, f"{name}: the Function Wizard text"
        assert "expand" not in meta["ret_options"], f"{name}: arrays spill, no expand="
        for arg in meta["args"]:
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert len(arg["doc"]) < 255, (name, arg["name"])
            assert arg["name"].lower() not in VBA_RESERVED, (name, arg["name"])


def test_optional_arguments_are_optional_in_excel(metadata):
    peak = {a["name"]: a["optional"] for a in metadata["functions"]["BM_CONCURRENT_PEAK"]["args"]}
    assert peak == {
        "user_ids": False,
        "starts": False,
        "ends": False,
        "licenses": True,
        "period_start": True,
        "period_end": True,
        "rule": True,
        "min_minutes": True,
        "timezone": True,
    }


def test_classic_xlwings_writes_a_vba_wrapper_per_function(metadata):
    vba = metadata["vba"]
    for name in ISSUE_FUNCTIONS:
        assert f"Function {name}(" in vba
        assert f'XLPy.CallUDF("billing_udfs", "{name}"' in vba


# --- the sample sheet ---------------------------------------------------------------------------


def evaluate(formula: str, book) -> object:
    """A BM_ formula of the sample sheet evaluated in Python: defined names become the values
    Excel would pass (a column as a 1-D list, a cell as its value), DATE(y,m,d) a datetime and
    an omitted argument None."""
    text = formula.lstrip("=")
    for _ in range(3):
        text = text.replace("(,", "(None,").replace(",,", ",None,").replace(",)", ",None)")
    names: dict[str, object] = {"DATE": lambda y, m, d: dt.datetime(y, m, d)}
    names.update({f.__name__: f for f in udf.EXCEL_FUNCTIONS})
    for label, defined in book.defined_names.items():
        ((sheet, ref),) = defined.destinations
        cells = book[sheet][ref.replace("$", "")]
        names[label] = [row[0].value for row in cells] if isinstance(cells, tuple) else cells.value
    return eval(text, {"__builtins__": {}}, names)  # noqa: S307 - our own sample's formulas


def test_sample_sheet_calls_every_function_on_its_data():
    """workbooks/udf_sample.xlsx (scripts/make_udf_sample.py): its formulas call every BM_
    function on the sheet's sessions and inputs, and the expected values written beside them
    are what the functions give for those cells."""
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula

    book = openpyxl.load_workbook(ROOT / "workbooks" / "udf_sample.xlsx")
    sessions = book["Sessions"]
    assert 200 <= sessions.max_row - 1 <= 1000
    assert all(isinstance(c.value, dt.datetime) for c in sessions["B"][1:])
    called = set()

    singles = book["Functions"]
    for row in singles.iter_rows(min_row=2):
        formula = row[1].value
        if isinstance(formula, str) and formula.startswith("=BM_"):
            called.add(formula[1:].split("(")[0])
            assert evaluate(formula, book) == row[3].value, formula

    for sheet in book.worksheets:
        label = next(
            (
                c
                for r in sheet.iter_rows()
                for c in r
                if c.value == "Expected (Python, when the sheet was built):"
            ),
            None,
        )
        arrays = [c for r in sheet.iter_rows() for c in r if isinstance(c.value, ArrayFormula)]
        if not arrays:
            continue
        (cell,) = arrays
        called.add(cell.value.text[1:].split("(")[0])
        result = evaluate(cell.value.text, book)
        block = sheet[cell.value.ref]
        assert (len(block), len(block[0])) == (len(result), len(result[0]))  # sized to fit
        top, left = label.row + 1, label.column
        expected = [
            [sheet.cell(top + i, left + j).value for j in range(len(result[0]))]
            for i in range(len(result))
        ]
        assert expected == result, sheet.title
    assert called == ISSUE_FUNCTIONS


def test_sample_sheet_is_up_to_date(tmp_path):
    """The committed workbook is what scripts/make_udf_sample.py builds now (every part of the
    xlsx zip, compared uncompressed: zlib versions may compress differently)."""
    import importlib.util
    import zipfile

    spec = importlib.util.spec_from_file_location(
        "make_udf_sample", ROOT / "scripts" / "make_udf_sample.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    fresh = tmp_path / "udf_sample.xlsx"
    script.save(script.build(), fresh)
    committed = ROOT / "workbooks" / "udf_sample.xlsx"
    with zipfile.ZipFile(fresh) as a, zipfile.ZipFile(committed) as b:
        parts = {i.filename: a.read(i.filename) for i in a.infolist()}
        assert parts == {i.filename: b.read(i.filename) for i in b.infolist()}, (
            "workbooks/udf_sample.xlsx is stale: run python scripts/make_udf_sample.py"
        )
