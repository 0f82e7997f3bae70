"""A package that installs like one (issue #22): the public API, ``--version``, the wheel.

The slow test builds the wheel from a copy of the sources, installs it into a fresh virtual
environment and runs ``billing-model`` there from a folder outside the repository: the example
scenarios must come from the package, the Excel functions from ``billing_model.udfs`` (no
top-level ``udfs`` package). The new environment sees this one's dependencies (NumPy, pandas,
...) through a ``.pth`` file naming this environment's site-packages, so nothing is downloaded:
pip installs the wheel alone (``--no-deps --no-index``), built without build isolation.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import billing_model
from billing_model.cli import main

ROOT = Path(__file__).resolve().parents[1]

#: the public names and the modules that define them (the API re-exports; it adds no code)
API = {
    "read_sessions": "billing_model.io.sessions",
    "compute_usage": "billing_model.core.usage",
    "load_scenario": "billing_model.service",
    "invoice_schedule": "billing_model.core.invoices",
    "read_voice_report": "billing_model.io.voice_report",
    "voice_telephony": "billing_model.core.voice",
    "StorageSettings": "billing_model.core.storage",
    "storage_forecast": "billing_model.core.storage",
    "build_workbook": "billing_model.workbook.build",
    "BillingInputError": "billing_model.core.errors",
}


# --- the public API --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(API))
def test_a_public_name_is_the_engine_itself(name):
    assert getattr(billing_model, name) is getattr(importlib.import_module(API[name]), name)
    assert name in billing_model.__all__ and name in dir(billing_model)
    assert getattr(billing_model, name).__doc__


def test_the_api_is_what_the_issue_asks_and_nothing_else():
    assert {
        "compute_usage",
        "load_scenario",
        "invoice_schedule",
        "storage_forecast",
        "build_workbook",
    } <= set(billing_model.__all__)
    assert set(billing_model.__all__) == {*API, "__version__"}


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'compute_usages'"):
        billing_model.compute_usages  # noqa: B018
    assert not hasattr(billing_model, "core_usage")


def test_importing_the_package_loads_no_engine():
    # the CLI imports the package first: `usage --format csv` must start as fast as before
    code = (
        "import sys, billing_model; "
        "print(sorted(m for m in ('numpy', 'pandas', 'pyarrow', 'xlsxwriter', "
        "'billing_model.core', 'billing_model.io') if m in sys.modules)); "
        "billing_model.compute_usage; print('numpy' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.split("\n")[:2] == ["[]", "True"], done.stdout


# --- --version -------------------------------------------------------------------------------


def test_version_is_the_installed_metadata(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    expected = importlib.metadata.version("billing_model")
    assert capsys.readouterr().out == f"billing-model {expected}\n"
    assert billing_model.__version__ == expected


def test_version_without_metadata_says_so(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert billing_model.version() == "unknown (not installed)"


def test_version_into_a_full_stdout_is_one_line():
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "billing_model", "--version"],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert done.returncode == 1
    assert done.stderr == ("billing-model: error: standard output: no space left on device\n")


# --- the demo's folders ------------------------------------------------------------------------


def test_a_checkout_builds_the_demo_from_the_repository():
    from billing_model.workbook import SCENARIOS_DIR, WORKBOOKS_DIR

    assert not (ROOT / "billing_model" / "scenarios").exists()  # only a wheel has it
    assert (SCENARIOS_DIR, WORKBOOKS_DIR) == (ROOT / "scenarios", ROOT / "workbooks")


# --- the wheel, installed into a fresh environment ---------------------------------------------

#: what a build reads from the repository (pyproject.toml names README.md as the readme)
SOURCES = ("pyproject.toml", "setup.py", "README.md", "billing_model", "scenarios")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the sources (a build writes build/ and *.egg-info)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(work / "dist"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (
        "the wheel did not build (setuptools>=70.1 is in the dev "
        f"extra: make setup)\n{done.stderr[-3000:]}"
    )
    (built,) = (work / "dist").glob("billing_model-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment holding the wheel; this environment's site-packages after
    its own (a ``.pth`` line: the dependencies, never a second billing_model before the
    wheel's; the editable install's finder is not run, .pth files of that folder are not)."""
    env = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120
    )
    python = env / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return env


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_the_wheel_holds_the_examples_and_no_udfs_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        f"billing_model/scenarios/{p.relative_to(ROOT / 'scenarios').as_posix()}"
        for p in (ROOT / "scenarios").rglob("*")
        if p.is_file()
    }
    assert shipped and shipped <= names, sorted(shipped - names)
    assert "billing_model/udfs.py" in names and "billing_model/py.typed" in names
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {
        "billing_model"
    }


@pytest.mark.slow
def test_the_installed_package_runs_outside_the_repository(venv, wheel, tmp_path):
    version = wheel.name.split("-")[1]
    done = _run(venv, tmp_path, "billing-model", "--version")
    assert (done.returncode, done.stdout) == (0, f"billing-model {version}\n"), done.stderr

    # the package, the examples and the Excel functions come from the new environment
    done = _run(
        venv,
        tmp_path,
        "python",
        "-c",
        "import billing_model, billing_model.udfs, importlib.util\n"
        "from billing_model.workbook import SCENARIOS_DIR, WORKBOOKS_DIR\n"
        "print(billing_model.__file__, SCENARIOS_DIR, WORKBOOKS_DIR, "
        "importlib.util.find_spec('udfs'), billing_model.__version__, "
        "len(billing_model.udfs.EXCEL_FUNCTIONS))",
    )
    assert done.returncode == 0, done.stderr
    package, scenarios, workbooks, udfs, installed, functions = done.stdout.split()
    assert Path(package).is_relative_to(venv) and Path(scenarios).is_relative_to(venv)
    assert Path(scenarios) == Path(package).parent / "scenarios"
    from billing_model.udfs import EXCEL_FUNCTIONS  # this checkout's: the wheel holds them all

    assert (workbooks, udfs, installed, functions) == (
        "workbooks",
        "None",
        version,
        str(len(EXCEL_FUNCTIONS)),
    )

    done = _run(venv, tmp_path, "billing-model", "demo", "--out-dir", "made")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.startswith("Built 4 live workbooks in made/")
    assert sorted(p.name for p in (tmp_path / "made").iterdir()) == [
        "eur_contract.xlsx",
        "finance_ramp_study.xlsx",
        "sales_quote.xlsx",
        "storage_estimate.xlsx",
    ]


def test_core_storage_re_exports_the_settings_by_their_own_list():
    """core/storage.py re-exports core/storage_settings.py's ``__all__`` (one list, not an import
    per name): every name, each the settings module's own object (mypy's strict re-export
    check reads the same list)."""
    from billing_model.core import storage, storage_settings

    assert len(storage_settings.__all__) > 8
    assert set(storage_settings.__all__) <= set(storage.__all__)
    assert all(
        getattr(storage, n) is getattr(storage_settings, n) for n in storage_settings.__all__
    )
    assert {"StorageSettings", "growing_calls", "GB_DECIMALS"} <= set(storage_settings.__all__)
