"""The ``billing-model`` command line.

Each subcommand lives in its own module under :mod:`billing_model.commands` with two functions:
``add_parser(subparsers)`` (registers its arguments) and ``run(args) -> int``. Bad input raises
:class:`~billing_model.core.errors.BillingInputError`; :func:`main` prints it as one line and
returns 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import warnings
from pathlib import Path

from .core.errors import BillingInputError

#: subcommand modules, in the order ``--help`` lists them
COMMANDS = ("usage", "invoices", "compare", "storage", "build", "quote", "demo")


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 (argparse's own code for them)."""

    def error(self, message: str):  # noqa: D401
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    def _print_message(self, message, file=None):
        """argparse's, without ignoring a failed write: `--help > /dev/full` was exit 0."""
        if not message:
            return
        file = sys.stderr if file is None else file
        try:
            file.write(message)
            file.flush()
        except (AttributeError, OSError):
            if file is not sys.stderr:  # stdout's failure is the user's to know; stderr's
                raise  # has nowhere to be told


class _Version(argparse.Action):
    """``--version``: the installed distribution's version, read only when asked (the metadata
    look-up is not part of every start-up)."""

    def __init__(
        self,
        option_strings,
        dest=argparse.SUPPRESS,
        default=argparse.SUPPRESS,
        help="print the installed version and exit",
    ):
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from . import version
        from .output import stdout_failed

        try:
            sys.stdout.write(f"{parser.prog} {version()}\n")
            sys.stdout.flush()
        except BrokenPipeError as exc:  # `| head -c 3`: the reader has what it wanted
            stdout_failed(exc)
        except OSError as exc:  # `> /dev/full`: one line, as for any command's output
            stdout_failed(exc)
            parser.exit(
                1, f"{parser.prog}: error: standard output: {(exc.strerror or str(exc)).lower()}\n"
            )
        parser.exit(0)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (``kill``, a closed terminal): raised like Ctrl-C's KeyboardInterrupt,
    so that temporary files are removed and LibreOffice is stopped on the way out; Python's
    default for these signals ended the process at once, leaving both behind."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum, frame):
    signal.signal(signum, signal.SIG_IGN)  # a second kill must not cut the clean-up short
    raise Terminated(signum)


def one_line(text: object) -> str:
    r"""``text`` as one line: control characters (and the marks that reorder text on a
    terminal) written as escapes, so that a message quoting the user's text (a variant named
    "ramp\nstudy", which TOML's escapes allow) stays one line (:func:`.output.visible`).

    >>> one_line("accepted: base, ramp\nstudy")
    'accepted: base, ramp\\nstudy'
    """
    from .output import visible

    return visible(str(text))


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"billing-model: warning: {one_line(message)}", file=sys.stderr)


def _import_failure(exc: ImportError) -> str:
    """One line for a package that could not be loaded: the commands import pandas, the engines
    and the workbook builder only when they run (issue #17), so a broken or missing install
    shows there, not at start-up. A failure inside billing_model itself is a bug: raised."""
    import traceback

    package = (exc.name or "").partition(".")[0]
    if not package:  # raised by the package itself: the top-level package of where it was raised
        roots = sorted((os.path.join(p, "") for p in sys.path if p), key=len, reverse=True)
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            root = next((r for r in roots if frame.filename.startswith(r)), None)
            if root is not None:
                package = Path(frame.filename[len(root) :]).parts[0].removesuffix(".py")
                break
    if not package or package == "billing_model":
        raise exc
    detail = " ".join(str(exc).split())[:200]
    return (
        f"the package {package!r} could not be loaded ({detail}); accepted: an installation "
        "with its dependencies (pip install billing_model, or pip install -e . in the repository)"
    )


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or of ``only`` that one (the others' modules, and what
    they import, such as openpyxl for ``build``, are then never loaded: faster start-up)."""
    parser = _Parser(
        prog="billing-model",
        description="Model how a Genesys Cloud (PureCloud) subscription is billed.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS if only is None else (only,):
        try:
            module = importlib.import_module(f"billing_model.commands.{name}")
        except ModuleNotFoundError as exc:  # a command still being written
            if exc.name != f"billing_model.commands.{name}":
                raise
            continue
        command = module.add_parser(sub)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:  # Ctrl-C while the commands import (pandas, pyarrow) is one line too
        words = sys.argv[1:] if argv is None else list(argv)
        first = next((w for w in words if not w.startswith("-")), None)
        parser = build_parser(first if first in COMMANDS else None)
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        print("billing-model: interrupted", file=sys.stderr)
        return 130
    except ImportError as exc:  # numpy, which the storage command's parser reads, broken
        print(f"billing-model: error: {_import_failure(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError as exc:  # `billing-model --help | head`
        from .output import stdout_failed

        stdout_failed(exc)
        return 0
    except OSError as exc:  # `--help > /dev/full` (see _Parser._print_message)
        from .output import stdout_failed

        stdout_failed(exc)
        print(
            f"billing-model: error: standard output: {(exc.strerror or str(exc)).lower()}",
            file=sys.stderr,
        )
        return 1
    previous, warnings.showwarning = warnings.showwarning, _show_warning
    handlers = {}
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
            with contextlib.suppress(ValueError):  # not the main thread: leave it be
                handlers[signum] = signal.signal(signum, _terminate)
    from .output import GuardedStdout, StdoutError, stdout_failed

    stdout, sys.stdout = sys.stdout, GuardedStdout(sys.stdout)
    try:
        code = int(args._run(args) or 0)
        sys.stdout.flush()  # a full stdout shows here, not in Python's flush at exit
        return code
    except BillingInputError as exc:
        print(f"billing-model: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"billing-model: error: {exc.filename}: no such file or directory", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print("billing-model: interrupted", file=sys.stderr)
        return 128 + exc.signum if isinstance(exc, Terminated) else 130
    except ImportError as exc:  # a package the command loads when it runs, broken or missing
        print(f"billing-model: error: {_import_failure(exc)}", file=sys.stderr)
        return 1
    except MemoryError:  # data larger than this machine's memory: not a traceback either
        print(
            "billing-model: error: out of memory; for large session data use --engine dask "
            "(partitioned; see docs/scale.md)",
            file=sys.stderr,
        )
        return 1
    except BrokenPipeError:  # `billing-model usage ... | head`
        stdout_failed(BrokenPipeError(), stdout)  # nothing more for the flush at exit to fail on
        sys.stderr.close()
        return 0
    except StdoutError as exc:  # `> /dev/full`: not bad input, but one line
        print(
            f"billing-model: error: standard output: {(exc.strerror or str(exc)).lower()}; "
            "the output is incomplete",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:  # a path the user gave: a folder for a file, no permission, ...
        if exc.filename is None:
            raise
        reason = (exc.strerror or str(exc)).lower()
        print(
            f"billing-model: error: {exc.filename}: {reason}; accepted: a path that can be "
            "read (input) or written (output)",
            file=sys.stderr,
        )
        return 2
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        warnings.showwarning = previous
        sys.stdout = stdout


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
