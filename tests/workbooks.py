"""Workbooks shared by the whole test session: each built once, recalculated in one batch.

A test module declares, at import, the workbooks it needs (:func:`example`, :func:`scenario`,
:func:`custom`, :func:`edited`); the session fixture ``workbook_store`` (``tests/conftest.py``)
then gives each one's built file and the recalculated values (:mod:`tests.xlsx_values`, the values
``openpyxl`` ``data_only`` reads). The same declaration in two modules is one workbook.

How the work is shared (``make test`` runs two pytest-xdist workers):

- every worker imports every test module, so all know the same cases; the cases are cut into one
  batch per worker, a base workbook together with its edited copies;
- when the run has workbook tests, each worker builds its batch as the session starts (each
  base once for the session, across workers, under a file lock; the edits made on copies) and
  recalculates the whole batch in ONE LibreOffice run in a thread, while it runs its other tests
  (:meth:`Store.start`, from ``tests/conftest.py``); a test that needs a case waits for its
  batch, and a batch nobody started is run by the first test that needs it; a worker whose batch
  is being run by the other runs another batch meanwhile, so each worker starts LibreOffice once;
- LibreOffice saves each recalculated workbook's values as CSV, one file per sheet
  (:func:`billing_model.io.libreoffice.sheet_values`), not as xlsx: saving sales_quote as xlsx
  costs LibreOffice as much as loading and recalculating it, and the 68 workbooks' xlsx saves
  were about 120 s of CPU per run. The store reads those values into the built file's sheets,
  names and tables, as openpyxl reads the xlsx LibreOffice would have saved
  (:mod:`tests.csv_values`; ``tests/test_xlsx_values.py`` proves the two readings equal, cell
  by cell). A test that needs the saved file itself (its charts, its styles) declares its cases
  with :func:`needs_file`: the batch saves those as xlsx instead, in a second LibreOffice run
  (and as CSV too for the test that compares the two readings);
- the files live in the session's shared temporary folder; each worker reads a recalculated
  workbook once and keeps it (each sheet on first use);
- an example the docs build with a plain ``billing-model build`` (sales_quote, eur_contract:
  :data:`tests.shared_runs.EXAMPLE_BUILDS`) is that command's file, copied from its one run of
  the session, which ``tests/test_doc_commands.py`` checks too: not built a second time.

An input edit changes the one cell in the saved file (:func:`set_cells`, the sheet's XML in the
zip) instead of an openpyxl load and save: LibreOffice recalculates every formula on load with
the project's profile, so the formulas' stale stored values do not matter there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import shutil
import threading
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from billing_model.workbook import SCENARIOS_DIR
from tests import shared_runs
from tests.xlsx_values import load_values


@dataclass(frozen=True)
class Case:
    """One workbook of the session: built from a scenario or a writer, or an edited copy."""

    name: str
    #: makes the scenario (:func:`scenario`) or writes the file itself (:func:`custom`)
    make: Callable | None = field(default=None, compare=False)
    kind: str = "scenario"  # "scenario", "custom" or "edited"
    base: str | None = None  # the case an edited copy starts from
    edits: tuple = ()  # ((defined name, value), ...)
    key: str = ""  # what makes two declarations the same workbook

    @property
    def family(self) -> str:
        """The case this one is a copy of (or itself): one batch holds a whole family."""
        return _REGISTRY[self.base].family if self.base else self.name


_REGISTRY: dict[str, Case] = {}
#: the cases a test needs LibreOffice's saved xlsx of (:func:`needs_file`) -> whether their CSV
#: values are needed too
_FILES: dict[str, bool] = {}
#: the batches, fixed when the first one runs (every worker must cut the same)
_BATCHES: dict[str, int] = {}


def _register(case: Case) -> Case:
    known = _REGISTRY.get(case.name)
    if known is not None:
        if known.key != case.key:
            raise ValueError(
                f"two different workbooks named {case.name!r}: {known.key} and {case.key}"
            )
        return known
    if case.kind == "edited":  # the same edits of the same base under another name: one file
        for other in _REGISTRY.values():
            if other.kind == "edited" and other.key == case.key:
                return other
    if _BATCHES:
        raise RuntimeError(
            f"workbook {case.name!r} declared while the tests run: declare it at "
            "module level, so every worker knows it before the first batch"
        )
    _REGISTRY[case.name] = case
    return case


def example(stem: str) -> Case:
    """An example scenario ``scenarios/<stem>.toml`` as ``billing-model build`` builds it."""
    from billing_model.service import load_scenario

    return _register(
        Case(stem, lambda: load_scenario(SCENARIOS_DIR / f"{stem}.toml"), key=f"example {stem}")
    )


def scenario(name: str, make: Callable, key: str | None = None) -> Case:
    """The workbook of the scenario ``make()`` returns (called once, by the worker building it).

    ``key`` names what the scenario is (default: the name), so that the same declaration in two
    modules is one workbook and two different ones under one name fail."""
    return _register(Case(name, make, key=key or f"scenario {name}"))


def custom(name: str, write: Callable[[Path], object], key: str | None = None) -> Case:
    """A workbook that ``write(path)`` writes (e.g. a hand-made :class:`Book`)."""
    return _register(Case(name, write, kind="custom", key=key or f"custom {name}"))


def edited(name: str, base: Case, edits: dict) -> Case:
    """A copy of ``base`` with input cells changed: ``{defined name: value}`` (see
    :func:`set_cells`); recalculated like every other case."""
    items = tuple(edits.items())
    return _register(
        Case(name, kind="edited", base=base.name, edits=items, key=f"{base.name} edited {items!r}")
    )


def needs_file(*cases: Case, values: bool = False) -> None:
    """Declare that a test reads LibreOffice's saved xlsx of ``cases``
    (:meth:`Store.recalculated`), e.g. its charts: the batch saves those as xlsx (in a second
    LibreOffice run) and the store reads their values from that file. The other cases' values
    come from LibreOffice's CSV of each sheet, saved in a fraction of the time
    (:mod:`tests.csv_values`); ``values=True`` saves both, for a test comparing the two."""
    if _BATCHES:
        raise RuntimeError("needs_file() called while the tests run: call it at module level")
    for case in cases:
        _FILES[case.name] = _FILES.get(case.name, False) or values


# --- editing a saved workbook ---------------------------------------------------------------------
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _cell_xml(ref: str, attrs: str, value) -> str:
    style = re.search(r'\ss="\d+"', attrs)
    head = f'<c r="{ref}"{style.group(0) if style else ""}'
    if value is None:
        return head + "/>"
    if isinstance(value, dt.datetime | dt.date):  # a date: its serial number, as Excel stores it
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        serial = (value - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1)
        return (
            f"{head}><v>{serial:g}</v></c>"
            if serial == int(serial)
            else (f"{head}><v>{serial!r}</v></c>")
        )
    if isinstance(value, bool):
        return f'{head} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, str) and value.startswith("="):  # a formula, as openpyxl takes it
        return f"{head}><f>{escape(value[1:])}</f></c>"
    if isinstance(value, str):
        return f'{head} t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'
    return (
        f"{head}><v>{value!r}</v></c>"
        if isinstance(value, float)
        else (f"{head}><v>{value}</v></c>")
    )


def _column(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _insert_cell(xml: str, ref: str, cell: str) -> str:
    """``xml`` with ``cell`` (at ``ref``) placed in its row, columns and rows kept in order."""
    row = int(re.search(r"\d+", ref).group(0))
    found = re.search(rf'<row r="{row}"[^>]*?(?:/>|>(?P<cells>.*?)</row>)', xml, re.DOTALL)
    if found is None:  # no such row: a new one before the first row below it
        for later in re.finditer(r'<row r="(\d+)"', xml):
            if int(later.group(1)) > row:
                return xml[: later.start()] + f'<row r="{row}">{cell}</row>' + xml[later.start() :]
        if "<sheetData/>" in xml:
            return xml.replace(
                "<sheetData/>", f'<sheetData><row r="{row}">{cell}</row></sheetData>'
            )
        end = xml.index("</sheetData>")
        return xml[:end] + f'<row r="{row}">{cell}</row>' + xml[end:]
    if found.group("cells") is None:  # <row .../>
        opened = found.group(0)[:-2] + ">"
        return xml[: found.start()] + opened + cell + "</row>" + xml[found.end() :]
    start = found.start("cells")
    for other in re.finditer(r'<c r="([A-Z]+\d+)"', found.group("cells")):
        if _column(other.group(1)) > _column(ref):
            return xml[: start + other.start()] + cell + xml[start + other.start() :]
    return xml[: found.end("cells")] + cell + xml[found.end("cells") :]


def set_cells(path: str | os.PathLike, edits: dict) -> None:
    """Write values into the cells that defined names point to, as a user edits inputs: the
    cell's element in the sheet's XML is replaced (its style kept), the rest of the file is
    copied as it is. A number, a bool, a date, text, ``None`` (empty) or ``"=..."`` (a formula).
    A key ``Sheet!A1`` (not a defined name) is that cell, as a user types over a sheet's value."""
    path = Path(path)
    with zipfile.ZipFile(path) as z:
        entries = {info.filename: (info, z.read(info)) for info in z.infolist()}
    book = ElementTree.fromstring(entries["xl/workbook.xml"][1])
    rels = ElementTree.fromstring(entries["xl/_rels/workbook.xml.rels"][1])
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", _NS)}
    sheets = {
        s.get("name"): "xl/" + targets[s.get(f"{{{_NS['r']}}}id")].lstrip("/").removeprefix("xl/")
        for s in book.findall("m:sheets/m:sheet", _NS)
    }
    names = {
        d.get("name"): d.text
        for d in book.findall("m:definedNames/m:definedName", _NS)
        if d.get("localSheetId") is None
    }
    changed: dict[str, str] = {}
    for name, value in edits.items():
        if name not in names and "!" not in name:
            raise KeyError(f"{path.name}: no defined name {name!r}")
        sheet, _bang, cell = names.get(name, name).rpartition("!")
        sheet = sheet.strip("'").replace("''", "'")
        ref = cell.replace("$", "")
        if not re.fullmatch(r"[A-Z]+\d+", ref):
            raise ValueError(f"{name} is {names.get(name, name)}: one cell only")
        part = sheets[sheet]
        xml = changed.get(part) or entries[part][1].decode("utf-8")
        found = re.search(rf'<c r="{ref}"(?P<attrs>[^>]*?)(?:/>|>.*?</c>)', xml, re.DOTALL)
        if found is None:  # an empty cell the writer left out: insert it in its row
            changed[part] = _insert_cell(xml, ref, _cell_xml(ref, "", value))
            continue
        changed[part] = (
            xml[: found.start()] + _cell_xml(ref, found.group("attrs"), value) + xml[found.end() :]
        )
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as out:
        for filename, (info, data) in entries.items():
            out.writestr(info, changed[filename].encode("utf-8") if filename in changed else data)
    os.replace(tmp, path)


#: the name of the thread that runs a batch early (the root conftest lets it start LibreOffice
#: while an unmarked test runs)
BATCH_THREAD = "workbook-batch"


# --- the session's store --------------------------------------------------------------------------
@contextlib.contextmanager
def _locked(path: Path, *, wait: bool = True):
    """An exclusive lock on ``path`` shared by the workers (``None`` when not waiting and
    another worker holds it)."""
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield None
            return
        try:
            yield fh
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class Store:
    """The session's workbooks: built and recalculated files in a folder all workers share."""

    def __init__(self, root: Path, batches: int) -> None:
        self.root = root
        self.batches = max(1, batches)
        for sub in ("built", "recalculated", "values", "locks"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        self._books: dict[tuple[str, bool, bool], object] = {}
        self._layouts: dict[str, object] = {}
        self._early: threading.Thread | None = None

    # started with the session (tests/conftest.py), so LibreOffice works beside the tests
    def start(self, index: int) -> None:
        """Build batch ``index`` now and recalculate it in a thread while the worker runs its
        tests: the LibreOffice run is a process of its own, so it recalculates on one core while
        the worker's tests go on; a test that needs a case of the batch waits for it (its lock).
        The builds run here, in the worker's own thread: building a scenario may warn, and
        Python's warning filters are one state for all threads (a test's ``pytest.warns`` would
        catch a thread's warning)."""
        if self._early is not None or not 0 <= index < self.batches:
            return
        lock = open(self.root / "locks" / f"batch-{index}", "a+")  # noqa: SIM115 (the thread closes it)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another worker runs it already
            lock.close()
            return
        try:
            job = self._build_batch(index)
        except BaseException:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
            raise
        self._early = threading.Thread(
            target=self._recalculate_early,
            args=(index, job, lock),
            name=f"{BATCH_THREAD}-{index}",
            daemon=True,
        )
        self._early.start()

    def join(self) -> None:
        """Wait for the batch started early (a session that ends before it must not leave
        LibreOffice running)."""
        if self._early is not None:
            self._early.join()

    def _recalculate_early(self, index: int, job, lock) -> None:
        try:
            with contextlib.suppress(Exception):  # a failure is recorded in batch-N.failed,
                # and every test that needs the batch fails with it (_raise_if_failed)
                self._recalculate_batch(index, *job)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()

    # what a test asks for
    def built(self, case: Case) -> Path:
        """The built (or edited) file, not recalculated: values as the writer stored them."""
        case = _REGISTRY[case.name]
        path = self.root / "built" / f"{case.name}.xlsx"
        if path.is_file():
            return path
        with _locked(self.root / "locks" / f"build-{case.name}"):
            if not path.is_file():
                self._make(case, path)
        return path

    def recalculated(self, case: Case) -> Path:
        """The file as LibreOffice recalculated and saved it (its batch runs on first need), for
        a case declared with :func:`needs_file`."""
        case = _REGISTRY[case.name]
        if case.name not in _FILES:
            raise RuntimeError(
                f"{case.name}: LibreOffice saves only the values of this case; declare "
                "workbooks.needs_file(...) at module level for its saved xlsx"
            )
        path = self.root / "recalculated" / f"{case.name}.xlsx"
        if not path.is_file():
            self._run_batches(self.batch_of(case))
        if not path.is_file():
            raise RuntimeError(f"{case.name}: its batch ran without recalculating it")
        return path

    def values(self, case: Case) -> Path:
        """The folder of LibreOffice's recalculated values of each sheet, ``<sheet>.csv`` (its
        batch runs on first need)."""
        case = _REGISTRY[case.name]
        folder = self.root / "values" / case.name
        self._run_batches(self.batch_of(case))
        if not folder.is_dir():
            raise RuntimeError(f"{case.name}: its batch ran without recalculating it")
        return folder

    def book(self, case: Case, *, recalculated: bool = True, styles: bool = False):
        """The workbook's values, read once per worker with the values reader
        (:mod:`tests.xlsx_values`: openpyxl's ``data_only`` values, cells, defined names and
        tables): recalculated, the values LibreOffice computed (its CSV of each sheet, read as
        openpyxl reads the xlsx LibreOffice would save) in the built file's sheets, names and
        tables; else the built file's stored values. ``styles=True`` gives openpyxl's
        ``data_only`` workbook of LibreOffice's saved file (:func:`needs_file`), for a test that
        reads styles, number formats, charts, validations or comments."""
        key = (case.name, recalculated, styles)
        if key not in self._books:
            if styles:
                path = self.recalculated(case) if recalculated else self.built(case)
                self._books[key] = _openpyxl_values(path)
            elif recalculated and _FILES.get(case.name) is False:  # saved as xlsx only
                self._books[key] = load_values(self.recalculated(case))
            elif recalculated:
                self._books[key] = load_values(self.built(case), self.values(case))
            else:
                self._books[key] = load_values(self.built(case))
        return self._books[key]

    def scenario(self, case: Case):
        """The scenario a scenario case is built from (the base's for an edited case)."""
        case = _REGISTRY[case.name]
        if case.base:
            return self.scenario(_REGISTRY[case.base])
        if case.kind != "scenario":
            raise ValueError(f"{case.name} is not built from a scenario")
        if ("scenario", case.name) not in self._layouts:
            self._layouts[("scenario", case.name)] = case.make()
        return self._layouts[("scenario", case.name)]

    def layout(self, case: Case):
        """The :class:`Book` layout of a scenario case, laid out once per worker."""
        from billing_model.workbook import build_layout

        if case.name not in self._layouts:
            self._layouts[case.name] = build_layout(self.scenario(case))
        return self._layouts[case.name]

    # how
    def batch_of(self, case: Case) -> int:
        return self._batches()[_REGISTRY[case.name].family]

    def _batches(self) -> dict[str, int]:
        """Family -> batch: the biggest families first, each to the batch with the fewest cases;
        the same on every worker (they all imported the same modules)."""
        if _BATCHES:
            return _BATCHES
        sizes: dict[str, int] = {}
        for case in _REGISTRY.values():
            sizes[case.family] = sizes.get(case.family, 0) + 1
        load = [0] * self.batches
        for family in sorted(sizes, key=lambda f: (-sizes[f], f)):
            i = load.index(min(load))
            _BATCHES[family] = i
            load[i] += sizes[family]
        return _BATCHES

    def _run_batches(self, wanted: int) -> None:
        """Run batch ``wanted``; while another worker runs it, run a batch nobody has started."""
        done = self.root / "locks" / f"batch-{wanted}.done"
        if done.is_file():
            return
        self._raise_if_failed(wanted)
        with _locked(self.root / "locks" / f"batch-{wanted}", wait=False) as mine:
            if mine is not None:
                self._run_batch(wanted)
                return
        for other in range(self.batches):  # busy elsewhere: do something useful meanwhile
            if other != wanted and not (self.root / "locks" / f"batch-{other}.done").is_file():
                with _locked(self.root / "locks" / f"batch-{other}", wait=False) as lock:
                    if lock is not None:
                        self._run_batch(other)
                        break
        with _locked(self.root / "locks" / f"batch-{wanted}"):  # wait, or run it if abandoned
            self._raise_if_failed(wanted)
            self._run_batch(wanted)

    def _raise_if_failed(self, index: int) -> None:
        """A batch that failed fails every test that needs it at once (not one run each)."""
        failed = self.root / "locks" / f"batch-{index}.failed"
        if failed.is_file():
            raise RuntimeError(
                f"workbook batch {index} failed: " + failed.read_text(encoding="utf-8")
            )

    def _run_batch(self, index: int) -> None:
        """Build, edit and recalculate every case of the batch in one LibreOffice run (under the
        batch's lock)."""
        job = self._build_batch(index)
        if job is not None:
            self._recalculate_batch(index, *job)

    def _build_batch(self, index: int):
        """The batch's cases and their built files (built now), or None when it is done."""
        if (self.root / "locks" / f"batch-{index}.done").is_file():
            return None
        families = self._batches()
        cases = sorted(
            (c for c in _REGISTRY.values() if families[c.family] == index), key=lambda c: c.name
        )
        try:
            return cases, [self.built(case) for case in cases]
        except Exception as exc:
            self._failed(index, exc)
            raise

    def _recalculate_batch(self, index: int, cases: list[Case], paths: list[Path]) -> None:
        """The cases' values as CSV in one LibreOffice run; then, in a second, the saved xlsx
        of the few cases declared with :func:`needs_file`."""
        from billing_model.io.libreoffice import DEFAULT_TIMEOUT, recalculate_many, sheet_values

        pairs = list(zip(cases, paths, strict=True))
        files = [(c, p) for c, p in pairs if c.name in _FILES]
        csv = [(c, p) for c, p in pairs if _FILES.get(c.name, True)]
        try:
            # a batch is long: the default timeout is for one run of a few files
            sheet_values(
                [p for _c, p in csv],
                [self.root / "values" / c.name for c, _p in csv],
                timeout=max(DEFAULT_TIMEOUT, 30.0 * len(csv)),
            )
            if files:
                recalculate_many(
                    [p for _c, p in files],
                    [self.root / "recalculated" / f"{c.name}.xlsx" for c, _p in files],
                    timeout=max(DEFAULT_TIMEOUT, 30.0 * len(files)),
                )
        except Exception as exc:
            self._failed(index, exc)
            raise
        done = self.root / "locks" / f"batch-{index}.done"
        done.write_text(" ".join(case.name for case in cases), encoding="utf-8")

    def _failed(self, index: int, exc: Exception) -> None:
        (self.root / "locks" / f"batch-{index}.failed").write_text(
            f"{type(exc).__name__}: {exc}", encoding="utf-8"
        )

    def _make(self, case: Case, path: Path) -> None:
        from billing_model.workbook import write_book

        tmp = path.with_name(f"{case.name}.part.xlsx")
        if case.kind == "edited":
            shutil.copyfile(self.built(_REGISTRY[case.base]), tmp)
            set_cells(tmp, dict(case.edits))
        elif case.kind == "custom":
            case.make(tmp)
        elif case.key.startswith("example ") and case.name in shared_runs.EXAMPLE_BUILDS:
            # the docs' `billing-model build` of it, which a doc test runs anyway: its file
            shutil.copyfile(shared_runs.built_example(self.root.parent, case.name), tmp)
        else:
            write_book(self.layout(case), tmp)
        os.replace(tmp, path)


def _openpyxl_values(path: Path):
    """openpyxl's workbook with values (``data_only``), styles and all."""
    import openpyxl

    with warnings.catch_warnings():  # openpyxl reads no print area ending at INDEX() (the Quote
        # sheet's, which QuoteLastRow ends); the tests read cells, not it
        warnings.filterwarnings("ignore", "Print area cannot be set to Defined name", UserWarning)
        return openpyxl.load_workbook(path, data_only=True)


def cases() -> dict[str, Case]:
    """Every case the imported test modules declared."""
    return dict(_REGISTRY)
