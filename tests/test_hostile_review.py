"""A hostile review of what changed with issues #18, #20 and #21 (the quote, the Check column,
the new refusals): each test failed before its fix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.stand_in import alive, stand_in_soffice

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

# A stand-in for LibreOffice: like ``soffice`` (the oosplash launcher), it starts the program
# that does the work as a child, and waits for it. The child's pid goes to $FAKE_SOFFICE_PID.
FAKE_SOFFICE = """#!/bin/sh
sleep 300 &
echo $! > "$FAKE_SOFFICE_PID"
wait
"""


@pytest.fixture
def fake_soffice(tmp_path, monkeypatch):
    """:data:`FAKE_SOFFICE` as LibreOffice: in this test's thread (``tests/stand_in.py``; the
    session's workbook batch runs the real one beside it) and, through
    ``FAKE_SOFFICE_SCRIPT``, for the command a test starts; yields the pid file."""
    if not Path("/proc").is_dir():
        pytest.skip("needs /proc to see the launcher's child")
    script = tmp_path / "soffice"
    script.write_text(FAKE_SOFFICE)
    script.chmod(0o755)
    pid_file = tmp_path / "worker.pid"
    from billing_model.io import libreoffice

    # a stand-in, not LibreOffice: the root conftest's guard against unmarked LibreOffice runs
    # does not apply
    monkeypatch.setattr(libreoffice, "subprocess", subprocess)
    stand_in_soffice(monkeypatch, script)
    monkeypatch.setenv("FAKE_SOFFICE_SCRIPT", str(script))
    monkeypatch.setenv("FAKE_SOFFICE_PID", str(pid_file))
    yield pid_file
    if pid_file.exists():  # never leave the stand-in running, whatever the test did
        pid = int(pid_file.read_text())
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def _worker(pid_file: Path, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text().strip():
            return int(pid_file.read_text())
        time.sleep(0.05)
    raise AssertionError("the stand-in LibreOffice did not start")


def test_libreoffice_timeout_stops_the_program_the_launcher_started(tmp_path, fake_soffice):
    # subprocess.run's timeout killed only the launcher: soffice.bin ran on, writing into a
    # profile being removed
    from billing_model.io.libreoffice import RecalcError, convert

    book = tmp_path / "in" / "a.xlsx"
    book.parent.mkdir()
    book.write_bytes(b"not opened by the stand-in")
    with pytest.raises(RecalcError, match="did not finish"):
        convert([book], tmp_path / "out", timeout=1)
    worker = _worker(fake_soffice)
    deadline = time.monotonic() + 5
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(worker)


#: the smallest scenario with a quote: the kill comes once LibreOffice runs, and what comes
#: before (building the workbook to print) was 2 of the 4 s of CPU with sales_quote.toml
SMALL_QUOTE = """\
[contract]
order_date = 2026-03-01
license = "pc2"
committed_users = 10
prepay_rate = 115.00
term_months = 3

[usage]
users = [10, 10, 10]

[quote]
customer = "Example Retail Ltd"
valid_until = 2026-02-27
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_quote_killed_mid_way_leaves_no_file_no_temp_and_no_libreoffice(
    tmp_path, tmp_path_factory, fake_soffice, signum
):
    # kill -TERM ended Python at once: LibreOffice ran on and the staging folder
    # (billing-model-quote-*) and the profile (billing-model-lo-*) stayed in /tmp; Ctrl-C
    # removed them while soffice.bin still wrote into them
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "quote.pdf"
    out.write_bytes(b"the quote sent yesterday")
    scenario = tmp_path_factory.mktemp("small-quote") / "small_quote.toml"
    scenario.write_text(SMALL_QUOTE, encoding="utf-8")
    env = dict(
        os.environ,
        TMPDIR=str(scratch),
        PYTHONPATH=str(ROOT),
        BILLING_MODEL_SOFFICE=os.environ["FAKE_SOFFICE_SCRIPT"],
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "billing_model",
            "quote",
            str(scenario),
            "-o",
            str(out),
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        worker = _worker(fake_soffice, timeout=120)
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum, err
    assert err == "billing-model: interrupted\n"
    assert not alive(worker)
    assert out.read_bytes() == b"the quote sent yesterday"
    assert sorted(p.name for p in scratch.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["quote.pdf", "tmp", "soffice", "worker.pid"]
    )


def _usage_error(capsys, *args) -> str:
    from billing_model.cli import main

    code = main(["usage", *map(str, args)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


@pytest.mark.parametrize("engine", ["numpy", "dask"])
def test_csv_with_a_megabyte_first_line_is_one_short_line(capsys, tmp_path, engine):
    # a header field over csv's 131,072-character limit: _csv.Error traceback, exit 1
    file = tmp_path / "export.csv"
    file.write_text("user_id," + "x" * 200_000 + "\nann,1\n")
    err = _usage_error(capsys, file, "--license", "pc2", "--engine", engine)
    assert err == (
        f"billing-model: error: {file}: line 1 (the header) is longer than 65,536 "
        "characters; accepted: a CSV whose first line names its columns (user_id, "
        "start, end, ...)"
    )


@pytest.mark.parametrize("engine", ["numpy", "dask"])
def test_missing_columns_message_names_a_few_columns_cut_short(capsys, tmp_path, engine):
    # the refusal echoed every "column" whole: a 60,000-character line of error
    file = tmp_path / "export.csv"
    file.write_text(
        "user_id,"
        + "y" * 60_000
        + ","
        + ",".join(f"c{i}" for i in range(30))
        + "\nann,"
        + ",".join("1" * 31)
        + "\n"
    )
    err = _usage_error(capsys, file, "--license", "pc2", "--engine", engine)
    assert len(err) < 600, err[:300]
    assert err.endswith(
        "(found: user_id, " + "y" * 37 + "..., c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 20 more)"
    )


def _scenario(tmp_path, text: str) -> Path:
    base = (SCENARIOS / "sales_quote.toml").read_text(encoding="utf-8")
    base = base.replace('"sample_sessions.csv"', repr(str(SCENARIOS / "sample_sessions.csv")))
    path = tmp_path / "s.toml"
    path.write_text(base + text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (
            'seller = "Northwind Contact Solutions"',
            'seller = "Evil \\u202egnp.exe"',
            "quote.seller",
        ),
        ('customer = "Example Retail Ltd"', 'customer = "Example \\u2067Ltd"', "quote.customer"),
        ('name = "concurrent"', 'name = "con\\u202dcurrent"', "variant[1].name"),
        (
            'description = "USB headsets"',
            'description = "USB \\u202aheadsets"',
            "hardware[1].description",
        ),
    ],
)
def test_bidirectional_controls_in_names_a_customer_sees_are_refused(
    capsys, tmp_path, old, new, where
):
    # a seller "Evil \u202egnp.exe" printed as "Evil exe.png" on the quote's PDF (the CLI's
    # tables escape these characters; the workbook and the quote showed them at work)
    from billing_model.cli import main

    path = _scenario(tmp_path, "")
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    code = main(["invoices", str(path), "--format", "csv"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f": {where}: contains the bidirectional control U+" in err
    assert err.count("\n") == 1 and err.endswith("(right-to-left text needs none)\n"), err


def test_right_to_left_names_without_controls_are_accepted(capsys, tmp_path):
    from billing_model.cli import main

    path = _scenario(tmp_path, "")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'customer = "Example Retail Ltd"',
            'customer = "\\u05e9\\u05dc\\u05d5\\u05dd \\u200fLtd"',
        ),
        encoding="utf-8",
    )
    assert main(["invoices", str(path), "--format", "csv"]) == 0, capsys.readouterr().err


def test_bidirectional_control_in_a_session_files_org_is_refused(capsys, tmp_path):
    from billing_model.cli import main

    sessions = tmp_path / "sessions.csv"
    rows = (SCENARIOS / "sample_sessions.csv").read_text(encoding="utf-8").splitlines()
    sessions.write_text(
        "\n".join([rows[0], *(r.replace(",prod,", ",prod\u202e,") for r in rows[1:])]) + "\n",
        encoding="utf-8",
    )
    path = _scenario(tmp_path, "")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            repr(str(SCENARIOS / "sample_sessions.csv")), repr(str(sessions))
        ),
        encoding="utf-8",
    )
    code = main(["invoices", str(path), "--format", "csv"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert (
        ": usage.sessions: sessions.csv: the org name 'prod\\u202e' contains the "
        "bidirectional control U+202E at position 5" in err
    ), err


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda u: u.BM_CONCURRENT_PEAK(["a"], [2958465.0], [2958465.5]),
            "starts: row 1: 9999-12-31 is out of range; accepted: dates up to 2199-12-31 (check "
            "the "
            "year)",
        ),
        (
            lambda u: u.BM_NAMED_USERS(["a", "b"], [46000.0, 46000.1], [46000.2, 200000.0]),
            "ends: row 2: 2447-07-30 is out of range; accepted: dates up to 2199-12-31 (check the "
            "year)",
        ),
        (
            lambda u: u.BM_CONCURRENCY_PROFILE(["a"], [46000.0], [46000.5], 2958465.0),
            "period_start: 9999-12-31 is out of range; accepted: dates up to 2199-12-31 (check the "
            "year)",
        ),
    ],
)
def test_session_udfs_name_a_late_excel_date_as_typed(call, message):
    # the session functions read serials through nanosecond timestamps, which wrapped past
    # 2262: Excel's 9999-12-31 was refused as "1816-03-29 is out of range" (fixed for
    # BM_BILLING_PERIODS only)
    from billing_model import udfs

    assert call(udfs) == message


def test_build_killed_while_writing_leaves_the_old_workbook_and_no_temporary_file(tmp_path):
    # kill -TERM ended Python at once: the old workbook stayed, but a hidden
    # .f.xlsx.XXXX.tmp of megabytes was left beside it for every interrupted build
    out = tmp_path / "f.xlsx"
    out.write_bytes(b"the workbook of yesterday")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "billing_model",
            "build",
            str(SCENARIOS / "finance_ramp_study.toml"),
            "-o",
            str(out),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".f.xlsx.*.tmp")) and proc.poll() is None:
            assert time.monotonic() < deadline, "the build never started writing"
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    if proc.returncode == 0:
        pytest.skip(f"the build finished before the signal arrived: {err!r}")
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err == "billing-model: interrupted\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.xlsx"]
    assert out.read_bytes() == b"the workbook of yesterday"


def _big(users: int, rate: float, currency: str = "USD", variant: dict | None = None):
    from billing_model.service import scenario_from_mapping

    data = {
        "contract": {
            "order_date": "2026-01-15",
            "license": "pc2",
            "currency": currency,
            "committed_users": users,
            "prepay_rate": rate,
            "term_months": 12,
            "storage_overage_rate": 0.25,
        },
        "usage": {"users": [1] * 12},
    }
    if variant:
        data["variant"] = [variant]
    return scenario_from_mapping(data, name="big")


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            lambda: _big(1_000_000_000, 999_999_999_999.99),
            "big: the contract value 11,999,999,999,999,880,000,000.00 USD is too large",
        ),
        (
            lambda: _big(1_000_000, 10_000_000, "JPY"),
            "big: the contract value 120,000,000,000,000 JPY is too large",
        ),
        (
            lambda: _big(10, 100, variant={"name": "typo", "prepay_rate": 999_999_999_999}),
            "big: the contract value 119,999,999,999,880.00 USD (variant 'typo') is too large",
        ),
    ],
)
def test_workbook_refuses_a_contract_value_a_spreadsheet_cannot_add_to_the_cent(scenario, message):
    # 1e9 users at 999,999,999,999.99: `invoices` said 12,000,000,055,999,880,038,510.04 USD,
    # the recalculated workbook (and so the quote PDF) 12,000,000,055,999,899,631,616.00
    from billing_model.core.errors import BillingInputError
    from billing_model.workbook.build import build_layout

    with pytest.raises(BillingInputError) as info:
        build_layout(scenario())
    assert str(info.value).startswith(message)
    assert "accepted: a contract value below" in str(info.value)


def test_workbook_builds_a_contract_value_just_below_the_bound():
    from billing_model.workbook.build import build_layout

    # 99,999,999,000.00 USD over 12 months: exact in a spreadsheet
    assert build_layout(_big(1_000, 8_333_333.25)).sheets


LONG_SELLER = ("Northwind Contact Solutions and Partners " * 7)[:255].strip()
LONG_CUSTOMER = ("Very Long Customer Name Holdings International " * 6)[:255].strip()


def _long_quote(tmp_path) -> Path:
    path = _scenario(tmp_path, "")
    text = path.read_text(encoding="utf-8")
    text = text.replace('seller = "Northwind Contact Solutions"', f'seller = "{LONG_SELLER}"')
    text = text.replace('customer = "Example Retail Ltd"', f'customer = "{LONG_CUSTOMER}"')
    text = text.replace('number = "Q-2026-0142"', 'number = "' + "Q-2026-0142/" * 4 + 'rev-7"')
    path.write_text(text, encoding="utf-8")
    return path


def test_quote_texts_of_255_characters_wrap_instead_of_being_cut(tmp_path):
    # a 255-character seller printed "Northwind Contact Solutions and Partners Northwind Cont"
    # under the word "Quote", a customer as long was cut at the page edge (twice: "Prepared
    # for" and the acceptance line), and a long quote number ran off the page
    from billing_model.service import load_scenario
    from billing_model.workbook.quote import WIDTHS
    from billing_model.workbook.quote_pdf import quote_book
    from billing_model.workbook.writer import STYLES

    sheet = next(
        s for s in quote_book(load_scenario(_long_quote(tmp_path))).sheets if s.name == "Quote"
    )
    merged = {(row, first): last for row, first, last in sheet.merges}
    checked = 0
    for (row, col), cell in sheet.cells.items():
        text = cell.result if cell.formula is not None else cell.value
        if not isinstance(text, str) or not any(
            part in text for part in (LONG_SELLER[:30], LONG_CUSTOMER[:30], "rev-7")
        ):
            continue
        last = merged.get((row, col), col)
        if last == col:  # it overflows to the right up to the next filled cell
            filled = [
                c
                for (r, c) in sheet.cells
                if r == row
                and c > col
                and (sheet.cells[(r, c)].value or sheet.cells[(r, c)].formula)
            ]
            last = min(filled, default=len(WIDTHS) + 1) - 1
        room = sum(WIDTHS[col - 1 : last])
        if len(text) <= room * 1.1:
            continue
        style = STYLES.get(cell.style or "", {})
        assert style.get("text_wrap"), (row, col, text[:40])
        points = style.get("font_size", 10)
        lines = -(-len(text) * points // (room * 12))
        assert sheet.heights.get(row, 15) >= lines * points * 1.2, (row, col, lines)
        checked += 1
    assert checked == 4  # seller, customer ("Prepared for", acceptance), quote number
    assert {(1, 1), (7, 1), (2, 7)} <= set(merged)


@pytest.mark.libreoffice
def test_quote_pdf_prints_a_255_character_customer_whole(tmp_path, poppler):
    from billing_model.cli import main

    out = tmp_path / "q.pdf"
    # the header's texts on the smallest quote: sales_quote's lines and appendix pages were
    # most of the 6.5 s of CPU (building its workbook and LibreOffice printing them)
    path = tmp_path / "long.toml"
    text = SMALL_QUOTE.replace('customer = "Example Retail Ltd"', f'customer = "{LONG_CUSTOMER}"')
    number = "Q-2026-0142/" * 4 + "rev-7"
    path.write_text(text + f'seller = "{LONG_SELLER}"\nnumber = "{number}"\n', encoding="utf-8")
    assert main(["quote", str(path), "-o", str(out)]) == 0
    text = subprocess.run(
        [poppler, str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = " ".join(text.split())
    assert LONG_SELLER in words
    assert words.count(LONG_CUSTOMER) == 2  # "Prepared for" and the acceptance line
    # pdftotext joins a word broken after a hyphen without it
    assert number.replace("-", "") in words.replace(" ", "").replace("-", "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "x = " + "[" * 100_000 + "]" * 100_000,
            "s.toml: arrays or tables nested too deeply to read; accepted: a scenario file "
            "(docs/invoices.md)",
        ),
        (
            "x = " + "{a=" * 5_000 + "1" + "}" * 5_000,
            "s.toml: arrays or tables nested too deeply to read; accepted: a scenario file "
            "(docs/invoices.md)",
        ),
        (
            "[contract]\norder_date = 2026-03-01\ncommitted_users = " + "9" * 5_000,
            "s.toml: not readable (Exceeds the limit (4300 digits) for integer string conversion: "
            "value has 5000 digits); accepted: numbers of a few digits",
        ),
    ],
)
def test_scenario_python_cannot_parse_is_one_line(capsys, tmp_path, text, message):
    # tomllib's RecursionError and int()'s 4,300-digit ValueError were tracebacks (exit 1)
    from billing_model.cli import main

    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    for command in (["invoices", str(path)], ["build", str(path), "-o", str(tmp_path / "x.xlsx")]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err == f"billing-model: error: {message}\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_scenario_that_is_a_named_pipe_is_refused_not_waited_for(tmp_path):
    # read_bytes() on a FIFO waited for a writer for ever (and /dev/zero filled memory)
    fifo = tmp_path / "s.toml"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "billing_model", "invoices", str(fifo)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"billing-model: error: {fifo}: not a regular file (a pipe or a "
        "device); accepted: a scenario file (.toml)\n"
    )


def test_scenario_larger_than_16_mb_is_refused_before_it_is_read(capsys, tmp_path):
    from billing_model.cli import main

    path = tmp_path / "s.toml"
    with open(path, "wb") as fh:
        fh.truncate(16 * 2**20 + 1)  # sparse: no disk used
    assert main(["invoices", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"billing-model: error: {path}: 16,777,217 bytes; accepted: a scenario file of at most "
        "16,777,216 bytes (session data belongs in a sessions file)\n"
    )


def test_a_killed_libreoffices_socket_is_removed_and_a_live_ones_kept(tmp_path):
    # a LibreOffice killed on timeout or Ctrl-C left its empty /tmp/OSL_PIPE_* socket behind
    import socket

    from billing_model.io.libreoffice import _remove_stale_pipes

    def bound(name: str) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(tmp_path / name))
        return sock

    uid = os.getuid()
    old = bound(f"OSL_PIPE_{uid}_SingleOfficeIPC_old")
    old.close()  # a stale socket from before this run: not ours to judge
    os.utime(tmp_path / f"OSL_PIPE_{uid}_SingleOfficeIPC_old", (0, 0))
    since = time.time()
    dead = bound(f"OSL_PIPE_{uid}_SingleOfficeIPC_dead")
    dead.close()  # bound, never listening again: what a killed LibreOffice leaves
    live = bound(f"OSL_PIPE_{uid}_SingleOfficeIPC_live")
    live.listen(1)  # another LibreOffice, running
    other = bound(f"OSL_PIPE_{uid + 1}_SingleOfficeIPC_other")
    other.close()  # another user's
    try:
        removed = _remove_stale_pipes(since, str(tmp_path))
    finally:
        live.close()
    assert [p.name for p in removed] == [f"OSL_PIPE_{uid}_SingleOfficeIPC_dead"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            f"OSL_PIPE_{uid}_SingleOfficeIPC_old",
            f"OSL_PIPE_{uid}_SingleOfficeIPC_live",
            f"OSL_PIPE_{uid + 1}_SingleOfficeIPC_other",
        ]
    )
