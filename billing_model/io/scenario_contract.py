"""Scenario files: ``[contract]`` and ``[[product]]`` read through the contract's schema
(:mod:`billing_model.core.schema`): its accepted keys, each field's parser, its default and what
a missing key's message accepts. What is left here are the rules between fields (a direct
contract needs a prepay rate, ramp + term at most the periods limit, Communicate is always
named), split from :mod:`billing_model.io.scenario`.

Examples
--------
>>> c = read_contract(Checker("example"), {"order_date": "2026-01-15", "license": "CX 2",
...                   "committed_users": 10, "prepay_rate": 99, "term_months": 12,
...                   "currency": " eur"})
>>> c.license, c.currency, c.payment_terms_days, c.overage_rate
('pc2', 'EUR', 30, Decimal('99'))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..core.allowances import check_model
from ..core.contract import Contract, Product
from ..core.licenses import BY_KEY
from ..core.periods import MAX_PERIODS
from ..core.schema import (
    CONTRACT_FIELDS,
    CONTRACT_KEYS,
    FIELDS,
    PRODUCT_KEYS,
    REQUIRED,
    THE_CONTRACTS,
    Field,
)
from .scenario_checks import Checker

_UNSET: Any = object()


def _per(values: dict) -> str:
    """What a month-to-month rate prices: a billable hour of an hourly line, else a user."""
    return "billable hour" if values.get("license_model") == "hourly" else "user per month"


def read_field(
    c: Checker,
    field: Field,
    t: Mapping[str, Any],
    where: str,
    *,
    default: Any = _UNSET,
    required: bool | None = None,
    missing: str = "",
    parsed: dict | None = None,
) -> Any:
    """``t[field.key]`` parsed by its field, or the default (``default`` overrides the
    field's), or a one-line error when a required key is missing (``required`` overrides the
    field's; ``missing``: what its message accepts, else the field's). ``parsed`` (one per
    load) keeps what each value parsed to, so the variants that repeat the base's order date
    or zone do not parse it again."""
    if field.key in t:
        raw = t[field.key]
        # dates and zones only: a number keeps the digits written (110.0 is not 110)
        memo = (
            (field.key, type(raw), raw)
            if parsed is not None
            and field.kind in ("date", "zone")
            and isinstance(raw, str | dt.date)
            else None
        )
        if memo is not None and parsed is not None and memo in parsed:
            return parsed[memo]
        value = field.parse(raw, f"{c.label}: {where}.{field.key}")
        if memo is not None and parsed is not None:
            parsed[memo] = value
        return value
    if field.is_required if required is None else required:
        c.fail(f"{where}.{field.key}", f"missing; accepted: {missing or field.missing_text()}")
    if default is not _UNSET:
        return default
    return None if field.is_required else field.default


def read_contract(c: Checker, t: Mapping[str, Any], parsed: dict | None = None) -> Contract:
    """The ``[contract]`` table: every key of :data:`~billing_model.core.schema.CONTRACT_FIELDS`
    parsed once (``parsed``: as :func:`read_field`), then the rules between them."""
    c.known(t, CONTRACT_KEYS, "contract")
    v: dict[str, Any] = {}
    for f in CONTRACT_FIELDS:  # license_model comes before committed_users
        if f.key == "committed_users" and v.get("license_model") == "hourly":
            v[f.key] = read_field(c, f, t, "contract", parsed=parsed, default=0, required=False)
        else:
            v[f.key] = read_field(c, f, t, "contract", parsed=parsed)
    direct = v["channel"] == "direct"
    if v["license_model"] == "hourly" and BY_KEY[v["license"]].concurrent:
        _hourly_line(c, t, v, "contract", direct=direct)
    elif v["prepay_rate"] is None and direct:  # a partner's report has no cost
        read_field(c, FIELDS["prepay_rate"], t, "contract", required=True)
    if v["months_after_term"] and v["month_to_month_rate"] is None and v["channel"] == "direct":
        read_field(
            c,
            FIELDS["month_to_month_rate"],
            t,
            "contract",
            required=True,
            missing=f"a number >= 0 (price per {_per(v)} after the term), or months_after_term = 0",
        )
    total = v["ramp_months"] + v["term_months"] + v["months_after_term"]
    if total > MAX_PERIODS:
        c.fail(
            "contract.term_months",
            f"ramp_months + term_months + months_after_term = "
            f"{total} periods; accepted: at most {MAX_PERIODS} (20 years)",
        )
    v["license_model"] = model_for(v["license"], v["license_model"])
    if v["overage_rate"] is None:
        v["overage_rate"] = v["prepay_rate"]
    return Contract(**v)


def _hourly_line(
    c: Checker, t: Mapping[str, Any], v: Mapping[str, Any], where: str, *, direct: bool
) -> None:
    """An hourly line has no commitment and no prepay (the vendor bills the logged-in hours in
    arrears, docs/rules.md#hourly-licensing) and, bought directly, needs its hourly rate."""
    if v["committed_users"]:
        c.fail(
            f"{where}.committed_users",
            f"{v['committed_users']} with license_model 'hourly'; "
            "accepted: 0 or left out (an hourly line has no commitment or prepay: "
            "docs/rules.md#hourly-licensing)",
        )
    if v["hourly_rate"] is None and direct:
        read_field(
            c,
            FIELDS["hourly_rate"],
            t,
            where,
            required=True,
            missing="a number >= 0 (price per billable hour)",
        )


def model_for(lic: str, model: str) -> str:
    """Communicate and Collaborate are always named; the contract's model applies to PC1-3."""
    check_model(model)
    return model if BY_KEY[lic].concurrent else "named"


def _product_default(field: Field, contract: Contract) -> Any:
    """A ``[[product]]`` key's default as the schema declares it (``field.product_default``):
    the contract's value, a value, or ``None`` (required keys have none)."""
    if field.product_default is THE_CONTRACTS:
        return getattr(contract, field.key)
    return None if field.product_default is REQUIRED else field.product_default


def read_products(
    c: Checker, contract: Contract, tables: list[Mapping[str, Any]]
) -> tuple[Product, ...]:
    """The contract's license lines: its own first, then each ``[[product]]`` (the keys of
    :data:`~billing_model.core.schema.PRODUCT_KEYS`, each with its ``product_default``:
    ``license_model`` the contract's, ``committed_users`` 0, ``license`` required)."""
    products = [
        Product(
            contract.license,
            contract.license_model,
            contract.committed_users,
            contract.prepay_rate,
            contract.overage_rate,
            contract.month_to_month_rate,
            contract.hourly_rate,
        )
    ]
    for i, t in enumerate(tables):
        where = f"product[{i + 1}]"
        c.known(t, PRODUCT_KEYS, where)
        v = {
            key: read_field(
                c,
                FIELDS[key],
                t,
                where,
                default=_product_default(FIELDS[key], contract),
                required=FIELDS[key].product_default is REQUIRED,
                missing=FIELDS[key].product_missing,
            )
            for key in PRODUCT_KEYS
        }
        lic = v["license"]
        if any(p.license == lic for p in products):
            c.fail(
                f"{where}.license",
                f"{lic!r} has a license line already; accepted: one line per license",
            )
        if "license_model" in t and v["license_model"] != "named" and not BY_KEY[lic].concurrent:
            c.fail(
                f"{where}.license_model",
                f"{v['license_model']!r} is not accepted for {lic}: "
                "Communicate and Collaborate users are always named; accepted: named",
            )
        if v["license_model"] == "hourly" and BY_KEY[lic].concurrent:
            _hourly_line(c, t, v, where, direct=not contract.partner)
        elif v["prepay_rate"] is None and not contract.partner:
            read_field(c, FIELDS["prepay_rate"], t, where, required=True)
        if contract.months_after_term and v["month_to_month_rate"] is None and not contract.partner:
            read_field(
                c,
                FIELDS["month_to_month_rate"],
                t,
                where,
                required=True,
                missing=f"a number >= 0 (price per {_per(v)} after the term)",
            )
        products.append(
            Product(
                lic,
                model_for(lic, v["license_model"]),
                v["committed_users"],
                v["prepay_rate"],
                v["overage_rate"] if v["overage_rate"] is not None else v["prepay_rate"],
                v["month_to_month_rate"],
                v["hourly_rate"],
            )
        )
    return tuple(products)


def read_license(c: Checker, value: Any, where: str) -> str:
    """A license key (``CX 2`` is ``pc2``) read where the contract's fields are not, such as
    the keys of a ``users`` table; the message is the ``license`` field's."""
    return FIELDS["license"].parse(value, f"{c.label}: {where}")


__all__ = ["model_for", "read_contract", "read_field", "read_license", "read_products"]
