"""The Excel functions' defaults: each read from its one owner in the engines, never typed
again (split from tests/test_udfs.py)."""

from __future__ import annotations

from pathlib import Path

from billing_model import udfs as udf
from billing_model.core.usage import compute_usage
from billing_model.service import schedule_from_values

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "scenarios" / "sample_sessions.csv"


# --- defaults: one owner each ----------------------------------------------------------------
def _engine_defaults() -> dict:
    """Each UDF default as its owner in the engine has it."""
    import dataclasses
    import inspect

    from billing_model.core.contract import Contract
    from billing_model.io.scenario_values import DEFAULT_LICENSE

    contract = {f.name: f.default for f in dataclasses.fields(Contract)}
    usage = inspect.signature(compute_usage).parameters
    return {
        "rule": usage["peak_rule"].default,
        "min_minutes": usage["min_minutes"].default,
        "timezone": contract["billing_timezone"],
        "currency_code": contract["currency"],
        "ramp_policy": contract["ramp_policy"],
        "payment_terms_days": contract["payment_terms_days"],
        "license": DEFAULT_LICENSE,
        "license_model": contract["license_model"],
        "months_after_term": contract["months_after_term"],
    }


def test_every_udf_default_equals_the_engines():
    assert udf.DEFAULTS == _engine_defaults()
    values = inspect_defaults()
    assert values["schedule_from_values"] == {
        "currency": udf.DEFAULTS["currency_code"],
        "ramp_policy": udf.DEFAULTS["ramp_policy"],
        "payment_terms_days": udf.DEFAULTS["payment_terms_days"],
        "timezone": udf.DEFAULTS["timezone"],
        "license": udf.DEFAULTS["license"],
        "license_model": udf.DEFAULTS["license_model"],
        "channel": "direct",
        "overage_rate": None,
        "telephony": None,
        "months_after_term": udf.DEFAULTS["months_after_term"],
        "month_to_month_rate": None,
        "hourly_rate": None,
    }
    assert values["window_usage"] == {
        "rule": udf.DEFAULTS["rule"],
        "min_minutes": udf.DEFAULTS["min_minutes"],
    }


def inspect_defaults() -> dict:
    import inspect

    from billing_model import service

    return {
        f.__name__: {
            n: p.default
            for n, p in inspect.signature(f).parameters.items()
            if p.default is not inspect.Parameter.empty
        }
        for f in (schedule_from_values, service.window_usage)
    }


def test_udf_defaults_are_not_typed_again():
    """No default of the Excel functions, their cell readers or schedule_from_values is a
    literal: changing the engine's default (core/limits.py, the Contract) moves them all."""
    import ast

    literals = []
    for path in (
        ROOT / "billing_model" / "udfs.py",
        ROOT / "billing_model" / "io" / "cells.py",
        ROOT / "billing_model" / "io" / "scenario_values.py",
        ROOT / "billing_model" / "service.py",
    ):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in (
                "read_text",
                "read_whole",
                "read_timezone",
                "read_currency",
            ):
                # the default is the third positional argument (read_timezone: the second)
                i = 1 if node.func.attr in ("read_timezone", "read_currency") else 2
                given = [
                    *node.args[i : i + 1],
                    *(k.value for k in node.keywords if k.arg == "default"),
                ]
                literals += [
                    (path.name, node.lineno, ast.unparse(v))
                    for v in given
                    if isinstance(v, ast.Constant) and v.value is not None
                ]
            elif isinstance(node, ast.FunctionDef) and node.name in (
                "scenario_from_values",
                "window_usage",
                "read_currency",
            ):
                defaults = [*node.args.defaults, *node.args.kw_defaults]
                literals += [
                    (path.name, node.lineno, ast.unparse(v))
                    for v in defaults
                    if isinstance(v, ast.Constant)
                    and v.value is not None
                    and not (node.name == "read_currency" and v.value == "currency_code")
                ]
    assert literals == []


#: UDF argument -> the contract field it is (the argument names avoid VBA keywords)
UDF_FIELDS = {
    "currency_code": "currency",
    "timezone": "billing_timezone",
    "ramp_policy": "ramp_policy",
    "payment_terms_days": "payment_terms_days",
    "license_model": "license_model",
}


def test_every_contract_default_of_the_udfs_is_the_schemas():
    """The Excel functions, their help and schedule_from_values take each contract default from
    the one declaration of the field (core/schema.py): a changed default moves them all."""
    import inspect

    from billing_model.core.schema import FIELDS

    for arg, key in UDF_FIELDS.items():
        assert udf.DEFAULTS[arg] == FIELDS[key].default, arg
    params = inspect.signature(schedule_from_values).parameters
    for name, p in params.items():
        key = UDF_FIELDS.get(name, name)
        # a required key's default (license: DEFAULT_LICENSE) is the function's own
        if (
            key in FIELDS
            and not FIELDS[key].is_required
            and p.default is not inspect.Parameter.empty
        ):
            assert p.default == FIELDS[key].default, name
    invoice = {
        n: p.annotation.__metadata__[0]["doc"]
        for n, p in inspect.signature(udf.BM_INVOICE_SCHEDULE, eval_str=True).parameters.items()
    }
    for arg in ("currency_code", "ramp_policy", "payment_terms_days", "license_model"):
        assert f"default {FIELDS[UDF_FIELDS[arg]].default})" in invoice[arg], arg
