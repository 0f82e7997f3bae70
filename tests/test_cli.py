"""The command line's shared error handling: bad paths are one line and exit 2."""

from __future__ import annotations

import os

import pytest

from billing_model.cli import main


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_a_folder_given_as_the_scenario_file(tmp_path, capsys):
    assert main(["invoices", str(tmp_path)]) == 2
    line = _one_line_error(capsys)
    assert str(tmp_path) in line and "directory" in line


def test_build_output_under_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "plain.txt").write_text("not a folder")
    out = tmp_path / "plain.txt" / "quote.xlsx"
    assert main(["build", "scenarios/basic_contract.toml", "-o", str(out)]) == 2
    assert "plain.txt" in _one_line_error(capsys)
    assert (tmp_path / "plain.txt").read_text() == "not a folder"


@pytest.mark.parametrize("command", ["usage", "compare"])
def test_sessions_path_that_is_a_special_file(command, capsys):
    extra = ["--named-rate", "1", "--concurrent-rate", "2"] if command == "compare" else []
    assert main([command, "/dev/null/x.csv", *extra]) == 2
    _one_line_error(capsys)


def test_build_that_fails_leaves_the_existing_workbook_untouched(tmp_path, capsys, monkeypatch):
    # the figures printed after writing used to be computed after the file was replaced: a
    # failure there left the user's workbook overwritten and the command failed
    import billing_model.core.invoices as invoices
    from billing_model.core.errors import BillingInputError

    def fail(scenario):
        raise BillingInputError("amount: too large")

    monkeypatch.setattr(invoices, "contract_figures", fail)
    out = tmp_path / "quote.xlsx"
    out.write_bytes(b"the user's own workbook")
    assert main(["build", "scenarios/basic_contract.toml", "-o", str(out)]) == 2
    assert out.read_bytes() == b"the user's own workbook"
    assert _one_line_error(capsys).endswith("amount: too large")


@pytest.mark.parametrize("option", ["--scenarios", "--out-dir"])
def test_demo_folder_options_given_a_file(tmp_path, capsys, option):
    # --out-dir FILE said only "FILE: file exists"
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    assert main(["demo", option, str(f)]) == 2
    assert _one_line_error(capsys) == (
        f"billing-model: error: {option}: {f} is a file; accepted: a folder"
    )
    assert f.read_text() == "mine"


@pytest.mark.parametrize("command", ["invoices", "build"])
def test_an_empty_variant_name_is_not_the_base(tmp_path, capsys, command):
    # --variant "" (an unset shell variable) silently gave the base scenario
    out = ["-o", str(tmp_path / "x.xlsx")] if command == "build" else []
    assert main([command, "scenarios/basic_contract.toml", "--variant", "", *out]) == 2
    assert _one_line_error(capsys).endswith(
        "variant '' is not defined; accepted: base, no ramp charges, 1-month ramp"
    )
    assert not (tmp_path / "x.xlsx").exists()


def test_out_of_memory_is_one_line(capsys, monkeypatch):
    import billing_model.commands.usage as usage

    def huge(args):
        raise MemoryError

    monkeypatch.setattr(usage, "_usage", huge)
    assert main(["usage", "scenarios/sample_sessions.csv"]) == 1
    assert _one_line_error(capsys) == (
        "billing-model: error: out of memory; for large session "
        "data use --engine dask (partitioned; see docs/scale.md)"
    )


def test_a_schedule_without_lines_says_so(tmp_path, capsys):
    # every rate 0: the table printed empty, without a word
    f = tmp_path / "free.toml"
    f.write_text(
        '[contract]\norder_date = 2026-01-15\nlicense = "pc2"\ncommitted_users = 10\n'
        "prepay_rate = 0\nterm_months = 3\n[usage]\nusers = [1, 2, 3]\n"
    )
    for extra in ([], ["--totals"]):
        assert main(["invoices", str(f), *extra]) == 0
        assert capsys.readouterr().out.startswith("No invoice lines for free: every charge is zero")
    assert main(["invoices", str(f), "--format", "csv"]) == 0  # csv: the header, for machines
    assert capsys.readouterr().out.startswith("invoice_date,due_date,")


def test_a_command_loads_only_its_own_module():
    # every command imported every other (build's openpyxl and workbook builder included) before
    # `usage` read a line: start-up time that DuckDB and Polars users do not pay
    import subprocess
    import sys

    code = (
        "import sys; from billing_model.cli import build_parser, main; "
        "main(['usage', 'scenarios/sample_sessions.csv', '--format', 'csv']); "
        "print('LOADED', 'billing_model.workbook' in sys.modules, "
        "'billing_model.commands.build' in sys.modules, file=sys.stderr); "
        # then every command's parser, as --help and --version build them (the same process)
        "build_parser(); "
        "print('PARSERS', 'pandas' in sys.modules, 'billing_model.workbook' in sys.modules, "
        "'billing_model.service' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "LOADED False False" in done.stderr
    # `billing-model --help` imported pandas and the workbook builder for the commands' parsers:
    # a second of CPU before the help was printed (issue #17)
    assert "PARSERS False False False" in done.stderr


#: the cases of test_usage_as_csv_loads_no_pandas, in the order one process runs them: the
#: Parquet ones first (they must not load pyarrow.compute, which reading CSV text does)
USAGE_CSV_CASES = [("parquet", []), ("parquet", ["--by-user"]), ("csv", []), ("csv", ["--by-user"])]


@pytest.fixture(scope="module")
def usage_csv_runs(tmp_path_factory) -> dict:
    """(suffix, extra) -> what one fresh process saw after running that case: the four cases
    one after the other in ONE process (a process each was 0.7 s of CPU each), each case's
    modules checked right after it. A module that is not loaded after case k was loaded by
    none of cases 1..k, so each case's check says what a fresh process for it alone would."""
    import json
    import subprocess
    import sys

    import pandas as pd

    folder = tmp_path_factory.mktemp("usage-csv")
    frame = pd.read_csv("scenarios/sample_sessions.csv")
    frame.to_csv(folder / "sessions.csv", index=False)
    for col in ("start", "end"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    frame.to_parquet(folder / "sessions.parquet", index=False)
    cases = [(str(folder / f"sessions.{suffix}"), extra) for suffix, extra in USAGE_CSV_CASES]
    code = (
        "import contextlib, io, json, sys; from billing_model.cli import main\n"
        f"for path, extra in {cases!r}:\n"
        "    out = io.StringIO()\n"
        "    with contextlib.redirect_stdout(out):\n"
        "        code = main(['usage', path, '--format', 'csv', *extra])\n"
        "    print(json.dumps({'code': code, 'pandas': 'pandas' in sys.modules, "
        "'compute': 'pyarrow.compute' in sys.modules, 'masked': 'numpy.ma' in sys.modules, "
        "'stdout': out.getvalue()[:200]}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seen = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(seen) == len(USAGE_CSV_CASES), done.stderr
    return {(s, tuple(e)): one for (s, e), one in zip(USAGE_CSV_CASES, seen, strict=True)}


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize("extra", [[], ["--by-user"]])
def test_usage_as_csv_loads_no_pandas(usage_csv_runs, suffix, extra):
    # importing pandas (directly, or through pyarrow's conversions to and from Python and NumPy)
    # was a quarter of a second of every `usage` run: the engine returns NumPy columns, the
    # reader converts Arrow buffers itself and the CSV is written by the csv module
    seen = usage_csv_runs[(suffix, tuple(extra))]
    assert (seen["pandas"], seen["code"]) == (False, 0)
    assert seen["masked"] is False  # np.unique imports numpy.ma (10-20 ms): distinct()
    if suffix == "parquet":
        # importing pyarrow.compute (its wrappers of ~290 functions) was 45-70 ms of every run:
        # the Parquet path calls the few functions it needs by name (io/arrow.py)
        assert seen["compute"] is False
    assert seen["stdout"].startswith("org,period_start,period_end,")


#: users per output format: about twice a 64 KiB pipe of output (a table row is about 126
#: bytes, a CSV row 59), so that the command still writes once the reader has closed; rich lays
#: out a table at about a millisecond of CPU a row, 3,000 rows were 3.5 s (issue #17)
PIPE_USERS = {"table": 1000, "csv": 3000}


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_a_reader_closing_the_pipe_ends_quietly(tmp_path, fmt):
    # `billing-model usage ... --by-user | head -1`: CSV ended with exit 0, the table (rich)
    # with exit 1; both end as a success now, without a message
    import subprocess
    import sys

    path = tmp_path / "many.csv"
    path.write_text(
        "user_id,start,end,license\n"
        + "".join(
            f"agent{i:05d},2026-01-05T08:00:00Z,2026-01-05T16:00:00Z,pc2\n"
            for i in range(PIPE_USERS[fmt])
        )
    )
    done = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "billing_model",
            "usage",
            str(path),
            "--by-user",
            "--format",
            fmt,
            "--order-date",
            "2026-01-01",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    done.stdout.readline()
    done.stdout.close()  # the output (over 64 KB) no longer fits the pipe
    errors = done.stderr.read().decode()
    assert done.wait() == 0
    assert "Traceback" not in errors and "error" not in errors


def test_a_broken_pandas_is_one_line_for_every_command(tmp_path):
    """The commands import pandas when they run (issue #17): a broken install (here a
    ``pandas.py`` that raises) was a traceback from each command's run, now one line and exit 1."""
    import json
    import subprocess
    import sys

    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "pandas.py").write_text("raise ImportError('this pandas is broken')\n")
    commands = [
        ["usage", "scenarios/sample_sessions.csv"],
        ["invoices", "scenarios/sales_quote.toml"],
        ["compare", "scenarios/sample_sessions.csv", "--named-rate", "1", "--concurrent-rate", "2"],
        [
            "storage",
            "--calls-per-month",
            "10",
            "--avg-minutes",
            "1",
            "--start-date",
            "2026-01-01",
            "--months",
            "1",
        ],
        ["build", "scenarios/basic_contract.toml", "-o", str(tmp_path / "b.xlsx")],
        ["quote", "scenarios/sales_quote.toml", "-o", str(tmp_path / "q.pdf")],
        ["demo", "--out-dir", str(tmp_path / "demo")],
    ]
    code = (
        "import contextlib, io, json, sys\n"
        "from billing_model.cli import main\n"
        "answers = []\n"
        f"for argv in {commands!r}:\n"
        "    err = io.StringIO()\n"
        "    with contextlib.redirect_stderr(err):\n"
        "        answers.append((main(argv), err.getvalue()))\n"
        "print(json.dumps(answers))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    for argv, (status, err) in zip(commands, json.loads(done.stdout), strict=True):
        assert status == 1, (argv, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, (argv, err)
        assert "'pandas' could not be loaded (this pandas is broken)" in err, (argv, err)
    assert not list(tmp_path.glob("*.xlsx")) and not list(tmp_path.glob("*.pdf"))
    # numpy, which the storage command's parser reads: --help itself is the one line
    (fake / "pandas.py").unlink()
    (fake / "numpy.py").write_text("raise ImportError('this numpy is broken')\n")
    done = subprocess.run(
        [sys.executable, "-m", "billing_model", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1 and done.stderr == (
        "billing-model: error: the package 'numpy' could not be loaded (this numpy is broken); "
        "accepted: an installation with its dependencies (pip install billing_model, or pip "
        "install -e . in the repository)\n"
    ), done.stderr


def test_an_error_quoting_a_name_with_a_newline_stays_one_line(tmp_path, capsys):
    """A variant named with a tab, a newline and DEL (TOML's escapes allow them) was quoted raw
    in the error naming the variants: two lines, and control characters sent to the terminal."""
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        open("scenarios/basic_contract.toml", encoding="utf-8").read()
        + '\n[[variant]]\nname = "ramp\\tstudy\\nb\\u007f"\ncommitted_users = 5\n',
        encoding="utf-8",
    )
    assert main(["invoices", str(scenario), "--variant", "nope"]) == 2
    line = _one_line_error(capsys)
    assert line.endswith("1-month ramp, ramp\\tstudy\\nb\\x7f"), line
