"""Storage settings: the inputs of a storage forecast, each checked once, and the call
volume per period (split from :mod:`billing_model.core.storage`, whose engines take these
settings; sources there and in ``docs/rules.md#storage``)."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

import numpy as np

from .allowances import STORAGE_OVERAGE_USD_PER_GB
from .errors import BillingInputError
from .limits import LIMITS, Limit
from .money import MAX_PRICE, to_decimal
from .periods import MAX_PERIODS
from .validate import refuse
from .validate import shown as show_value

#: MB per GB: storage is counted in decimal units (GB = 1000 MB, MB = 10**6 bytes)
MB_PER_GB = 1000.0

#: Audio and screen MB per recorded minute: assumptions (the vendor publishes no size), and the
#: limits of every storage setting, are rows of ``core.limits.LIMITS`` with their reasons.
DEFAULT_AUDIO_MB_PER_MINUTE: float = LIMITS["audio_mb_per_minute"].real("default")
DEFAULT_SCREEN_MB_PER_MINUTE: float = LIMITS["screen_mb_per_minute"].real("default")
#: The vendor keeps screen recordings at most one year (docs/rules.md#retention).
MAX_SCREEN_RETENTION_DAYS: int = LIMITS["screen_retention_days"].whole("maximum")
MAX_RETENTION_DAYS: int = LIMITS["retention_days"].whole("maximum")
MAX_CALLS_PER_MONTH: float = LIMITS["calls_per_month"].real("maximum")
MAX_AVG_MINUTES: float = LIMITS["avg_minutes"].real("maximum")
MAX_MB_PER_MINUTE: float = LIMITS["audio_mb_per_minute"].real("maximum")

#: decimals of the GB figures in the per-period forecast (3 = whole MB)
GB_DECIMALS = 3


@dataclass(frozen=True)
class StorageField:
    """One storage setting: a key of a scenario's ``[storage]`` table, a field of
    :class:`StorageSettings` and (with a ``name``) an input of the workbook's Inputs sheet.

    Attributes
    ----------
    key : str
        The TOML key and the :class:`StorageSettings` attribute.
    kind : str
        The check the loader applies (:func:`_validated`): ``calls`` (a number >= 0, or one per
        period), ``number`` (>= 0, at most the limit's maximum), ``share`` (0..1), ``days``
        (whole days) or ``price`` (a Decimal per GB >= 0).
    name : str
        The workbook's defined name of its input; empty when the Inputs sheet has none (the
        overage rate is the contract's ``StorageOverageRate``).
    label, unit, help : str
        What the Inputs sheet shows: the label, the unit beside the value, the note.
    source : str
        Where its rule or assumption is documented.
    limit : str
        Its row of :data:`~billing_model.core.limits.LIMITS`: the accepted range the workbook's
        data validation and check read.
    default : object
        The value when the key is absent (``None``: none, a blank input); a required key's is
        ``None`` too.
    required : bool
        The table cannot do without it.
    decimals : int or None
        Decimals the Inputs sheet shows when not its kind's usual format.
    """

    key: str
    kind: str
    name: str
    label: str
    unit: str
    help: str
    source: str
    limit: str
    default: object = None
    required: bool = False
    decimals: int | None = None

    @property
    def range(self) -> Limit:
        """The accepted range (:data:`~billing_model.core.limits.LIMITS`)."""
        return LIMITS[self.limit]

    @property
    def blank(self) -> bool:
        """An optional setting without a value: its input may be left empty."""
        return not self.required and self.default is None


_RETENTION = "docs/rules.md#retention"
_SIZES = "docs/rules.md#recording-sizes"

#: every ``[storage]`` key, in the order of the Inputs sheet's Storage forecast section
STORAGE_FIELDS: tuple[StorageField, ...] = (
    StorageField(
        "calls_per_month",
        "calls",
        "CallsPerMonth",
        "Calls per month",
        "calls",
        "Recorded-call volume per billing period.",
        "docs/storage.md",
        "calls_per_month",
        required=True,
    ),
    StorageField(
        "avg_minutes",
        "number",
        "AvgMinutes",
        "Average call minutes",
        "minutes",
        "Average call duration.",
        "docs/storage.md",
        "avg_minutes",
        required=True,
    ),
    StorageField(
        "retention_days",
        "days",
        "RetentionDays",
        "Retention",
        "days",
        "Days a call's audio is kept, the day of the call included. Data may stay for the "
        "term of the agreement (FAQ).",
        _RETENTION,
        "retention_days",
        required=True,
    ),
    StorageField(
        "recorded_share",
        "share",
        "RecordedShare",
        "Recorded share",
        "share",
        "Share of calls recorded.",
        "docs/storage.md",
        "recorded_share",
        LIMITS["recorded_share"].default,
    ),
    StorageField(
        "audio_mb_per_minute",
        "number",
        "AudioMBPerMinute",
        "Audio MB per minute",
        "MB/minute",
        "Assumption (no published size): 64 kbit/s, G.711 as stored = 0.48 MB/minute. "
        "Override with your measured size.",
        _SIZES,
        "audio_mb_per_minute",
        DEFAULT_AUDIO_MB_PER_MINUTE,
        decimals=3,
    ),
    StorageField(
        "screen_share",
        "share",
        "ScreenShare",
        "Screen-recorded share",
        "share",
        "Share of calls with a screen recording.",
        "docs/storage.md",
        "screen_share",
        LIMITS["screen_share"].default,
    ),
    StorageField(
        "screen_mb_per_minute",
        "number",
        "ScreenMBPerMinute",
        "Screen MB per minute",
        "MB/minute",
        "Assumption (no published size): 500 kbit/s video of one desktop = 3.75 MB/minute.",
        _SIZES,
        "screen_mb_per_minute",
        DEFAULT_SCREEN_MB_PER_MINUTE,
        decimals=3,
    ),
    StorageField(
        "screen_retention_days",
        "days",
        "ScreenRetentionDays",
        "Screen retention",
        "days (blank = as audio)",
        "Screen recordings can be kept at most one year (docs/rules.md#retention); "
        "blank keeps them as long as the audio.",
        _RETENTION,
        "screen_retention_days",
    ),
    StorageField(
        "archive_after_days",
        "days",
        "ArchiveAfterDays",
        "Archive after",
        "days (blank = never)",
        "Archived recordings do not count against the allowance (FAQ).",
        _RETENTION,
        "archive_after_days",
    ),
    StorageField(
        "overage_rate",
        "price",
        "",
        "Storage overage rate",
        "per GB-month",
        "Price per GB per month above the allowance (USD: the published rate; another "
        "currency: the contract's).",
        "docs/rules.md#storage-overage",
        "price",
        Decimal(repr(STORAGE_OVERAGE_USD_PER_GB)),
    ),
)
#: the settings by key
STORAGE_BY_KEY: dict[str, StorageField] = {f.key: f for f in STORAGE_FIELDS}
#: the keys a ``[storage]`` table cannot leave out
REQUIRED_STORAGE_KEYS: tuple[str, ...] = tuple(f.key for f in STORAGE_FIELDS if f.required)


def _default_label(key: str) -> str:
    return f"storage.{key}"


def _number(value: Any, label: str, *, accepted: str = "a number >= 0") -> float:
    if isinstance(value, bool) or value is None:
        raise BillingInputError(
            f"{label}: {show_value(value)} is not a number; accepted: {accepted}"
        )
    try:
        number = float(value)  # int, float, Decimal, numeric text
    except (TypeError, ValueError):
        raise BillingInputError(
            f"{label}: {show_value(value)} is not a number; accepted: {accepted}"
        ) from None
    if not math.isfinite(number):
        raise BillingInputError(
            f"{label}: {show_value(value)} is not a finite number; accepted: {accepted}"
        )
    return number


def _non_negative(value: object, label: str, maximum: float | None = None) -> float:
    number = _number(value, label)
    if number < 0:
        raise BillingInputError(
            f"{label}: {show_value(value)} is negative; accepted: a number >= 0"
        )
    if maximum is not None and number > maximum:  # a typo: the volumes overflow to inf
        raise BillingInputError(
            f"{label}: {show_value(value)} is too large; accepted: a "
            f"number from 0 to {maximum:,.0f}"
        )
    return number


def _share(value: object, label: str) -> float:
    number = _number(value, label, accepted="a share from 0 to 1 (0.3 = 30 %)")
    if not 0.0 <= number <= 1.0:
        raise BillingInputError(
            f"{label}: {show_value(value)} is outside 0..1; "
            "accepted: a share from 0 to 1 (0.3 = 30 %)"
        )
    return number


def _days(value: object, label: str) -> int:
    accepted = f"a whole number of days from 0 to {MAX_RETENTION_DAYS}"
    number = _number(value, label, accepted=accepted)
    if number != int(number) or not 0 <= number <= MAX_RETENTION_DAYS:
        raise BillingInputError(
            f"{label}: {show_value(value)} is not accepted; accepted: {accepted}"
        )
    return int(number)


def _calls(value: object, label: str) -> float | tuple[float, ...]:
    # a pandas Series only when pandas is loaded: the settings' checks do not load it (the
    # storage command's parser reads their defaults and limits; issue #17)
    pandas = sys.modules.get("pandas")
    if isinstance(value, (list, tuple, np.ndarray)) or (
        pandas is not None and isinstance(value, pandas.Series)
    ):
        values = list(value)
        if not values:
            raise BillingInputError(
                f"{label}: an empty list; accepted: a number >= 0 or one value per period"
            )
        return tuple(
            _non_negative(v, f"{label}[{i}]", MAX_CALLS_PER_MONTH) for i, v in enumerate(values)
        )
    return _non_negative(value, label, MAX_CALLS_PER_MONTH)


@dataclass(frozen=True)
class StorageSettings:
    """What drives the storage forecast; one field per key of a scenario's ``[storage]`` table.

    Parameters
    ----------
    calls_per_month : float or tuple of float
        Recorded-call volume per billing period: one number, or one value per period.
    avg_minutes : float
        Average call duration in minutes.
    retention_days : int
        Days a call's audio recording is kept, the day of the call included.
    recorded_share : float, default 1
        Share of calls recorded (0..1).
    audio_mb_per_minute : float, default :data:`DEFAULT_AUDIO_MB_PER_MINUTE`
        Audio size per recorded minute (MB = 10**6 bytes).
    screen_share : float, default 0
        Share of calls with a screen recording (0..1).
    screen_mb_per_minute : float, default :data:`DEFAULT_SCREEN_MB_PER_MINUTE`
        Screen-recording size per minute (MB).
    screen_retention_days : int or None, default None
        Days a screen recording is kept; None keeps it as long as the audio. At most 365 when
        screen recordings are made.
    archive_after_days : int or None, default None
        Recordings are archived after this many days and stop counting against the allowance.
    overage_rate : Decimal, default 0.25
        Price per GB per month above the allowance (docs/rules.md#storage-overage, USD).

    Examples
    --------
    A contact center records 30,000 calls a month of 5 minutes and keeps them 90 days:

    >>> s = StorageSettings.from_mapping({"calls_per_month": 30000, "avg_minutes": 5,
    ...                                   "retention_days": 90})
    >>> s.audio_gb_per_call
    0.0024
    >>> StorageSettings.from_mapping({"calls_per_month": 1, "avg_minutes": 5,
    ...                               "retention_days": 90, "screen_share": 1.5})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    billing_model.core.errors.BillingInputError: storage.screen_share: 1.5 is outside 0..1; ...
    """

    calls_per_month: float | tuple[float, ...]
    avg_minutes: float
    retention_days: int
    recorded_share: float = 1.0
    audio_mb_per_minute: float = DEFAULT_AUDIO_MB_PER_MINUTE
    screen_share: float = 0.0
    screen_mb_per_minute: float = DEFAULT_SCREEN_MB_PER_MINUTE
    screen_retention_days: int | None = None
    archive_after_days: int | None = None
    overage_rate: Decimal = Decimal(repr(STORAGE_OVERAGE_USD_PER_GB))

    def __post_init__(self) -> None:
        values = _validated({f.name: getattr(self, f.name) for f in fields(self)}, _default_label)
        for key, value in values.items():
            object.__setattr__(self, key, value)

    @classmethod
    def from_mapping(
        cls,
        table: Mapping[str, object],
        *,
        where: str = "storage",
        key_label: Callable[[str], str] | None = None,
    ) -> StorageSettings:
        """Settings from a scenario's ``[storage]`` table (or any mapping of the field names).

        Errors name the key as ``<where>.<key>`` (or ``key_label(key)``, e.g. a CLI option).
        """
        label = key_label or (lambda key: f"{where}.{key}")
        if not isinstance(table, Mapping):
            raise BillingInputError(
                f"{where}: expected a table of storage settings, got {type(table).__name__}"
            )
        unknown = [key for key in table if key not in STORAGE_BY_KEY]
        if unknown:
            raise BillingInputError(
                f"{label(str(unknown[0]))}: unknown storage setting; accepted: "
                f"{', '.join(STORAGE_BY_KEY)}"
            )
        missing = [key for key in REQUIRED_STORAGE_KEYS if table.get(key) is None]
        if missing:
            raise BillingInputError(
                f"{label(missing[0])}: missing; required: {', '.join(REQUIRED_STORAGE_KEYS)}"
            )
        values = {key: value for key, value in table.items() if value is not None}
        return cls(**_validated(values, label))

    # --- derived figures --------------------------------------------------------------------
    @property
    def audio_gb_per_call(self) -> float:
        """Audio GB one call adds, the recorded share included."""
        return self.recorded_share * self.avg_minutes * self.audio_mb_per_minute / MB_PER_GB

    @property
    def screen_gb_per_call(self) -> float:
        """Screen-recording GB one call adds, the screen share included."""
        return self.screen_share * self.avg_minutes * self.screen_mb_per_minute / MB_PER_GB

    @property
    def audio_life_days(self) -> int:
        """Days an audio recording counts against the allowance (retention, or until archived)."""
        if self.archive_after_days is None:
            return self.retention_days
        return min(self.retention_days, self.archive_after_days)

    @property
    def screen_life_days(self) -> int:
        """Days a screen recording counts against the allowance."""
        keep = (
            self.retention_days
            if self.screen_retention_days is None
            else self.screen_retention_days
        )
        return keep if self.archive_after_days is None else min(keep, self.archive_after_days)

    def calls_by_period(self, months: int) -> np.ndarray:
        """Calls per month for each of ``months`` periods (a list must have exactly ``months``)."""
        if isinstance(self.calls_per_month, tuple):
            if len(self.calls_per_month) != months:
                raise BillingInputError(
                    f"storage.calls_per_month: {len(self.calls_per_month)} values for {months} "
                    "periods; accepted: one number, or exactly one value per period"
                )
            return np.asarray(self.calls_per_month, dtype=float)
        return np.full(months, float(self.calls_per_month))


def growing_calls(
    calls_per_month: Any,
    growth_rate: object,
    months: int,
    *,
    label: Callable[[str], str] = _default_label,
) -> float | tuple[float, ...]:
    """Call volume growing by ``growth_rate`` a month: period ``k`` gets
    ``calls_per_month x (1 + growth_rate)^k`` (``docs/storage.md``, the ``storage`` command's
    ``--growth-rate``). A rate of 0 returns the volume as given (checked with the other
    settings); a rate <= -1, or one that grows the volume past the limit, is refused naming
    ``label("growth_rate")``.

    >>> growing_calls(1000, 0.5, 3)
    (1000.0, 1500.0, 2250.0)
    >>> growing_calls(3100, "0", 3)
    3100
    """
    where = label("growth_rate")
    accepted = "a fraction > -1 (0.02 = 2 % a month)"
    growth = _number(growth_rate, where, accepted=accepted)
    if growth <= -1:
        raise BillingInputError(f"{where}: {growth_rate!r} is not accepted; accepted: {accepted}")
    if growth == 0:
        given: float | tuple[float, ...] = calls_per_month  # checked with the other settings
        return given
    first = _number(calls_per_month, label("calls_per_month"))
    with np.errstate(over="ignore"):
        calls = first * (1.0 + growth) ** np.arange(months)
    if calls[-1] > MAX_CALLS_PER_MONTH:
        raise BillingInputError(
            f"{where}: {growth_rate!r} grows {first:,g} calls to {calls[-1]:,.3g} a month by "
            f"period {months}; accepted: a rate that keeps the volume within "
            f"{MAX_CALLS_PER_MONTH:,.0f} calls a month"
        )
    return tuple(float(c) for c in calls)


def _price(value: object, where: str) -> Decimal:
    rate = to_decimal(value, where=where)
    if not rate.is_finite() or rate < 0:
        refuse(where, float(value) if isinstance(value, Decimal) else value, "a price per GB >= 0")
    if rate > MAX_PRICE:
        raise BillingInputError(
            f"{where}: {show_value(value)} is too large; "
            f"accepted: a price per GB from 0 to {MAX_PRICE:,}"
        )
    return rate


#: the loader's check of each kind of :class:`StorageField`: (value, label, field) -> value
_CHECKS: dict[str, Callable[[Any, str, StorageField], Any]] = {
    "calls": lambda value, where, f: _calls(value, where),
    "number": lambda value, where, f: _non_negative(value, where, f.range.real("maximum")),
    "share": lambda value, where, f: _share(value, where),
    "days": lambda value, where, f: _days(value, where),
    "price": lambda value, where, f: _price(value, where),
}


def _validated(values: dict[str, Any], label: Callable[[str], str]) -> dict[str, Any]:
    """Checked and converted settings, each by its kind (:data:`STORAGE_FIELDS`, in its order);
    errors name the key through ``label``."""
    out = dict(values)
    for f in STORAGE_FIELDS:
        if f.key not in values or values[f.key] is None and f.kind == "days" and not f.required:
            continue  # an optional number of days left out: none
        out[f.key] = _CHECKS[f.kind](values[f.key], label(f.key), f)
    screen = out.get("screen_retention_days")
    share = out.get("screen_share", 0.0)
    if share > 0:
        if screen is None and out["retention_days"] > MAX_SCREEN_RETENTION_DAYS:
            raise BillingInputError(
                f"{label('screen_retention_days')}: not given, so screen recordings would be kept "
                f"as long as the audio ({out['retention_days']} days), more than the vendor's "
                f"one-year cap; accepted: {MAX_SCREEN_RETENTION_DAYS} days or fewer"
            )
    if screen is not None and screen > MAX_SCREEN_RETENTION_DAYS:
        raise BillingInputError(
            f"{label('screen_retention_days')}: {screen} days is more than the vendor keeps screen "
            f"recordings (one year); accepted: {MAX_SCREEN_RETENTION_DAYS} days or fewer"
        )
    return out


def _check_months(months: object) -> int:
    accepted = f"a whole number of billing periods from 1 to {MAX_PERIODS}"
    number = _number(months, "months", accepted=accepted)
    if number != int(number) or not 1 <= number <= MAX_PERIODS:
        raise BillingInputError(f"months: {months!r} is not accepted; accepted: {accepted}")
    return int(number)


#: what :mod:`billing_model.core.storage` re-exports (the engines' settings and their limits)
__all__ = [
    "DEFAULT_AUDIO_MB_PER_MINUTE",
    "DEFAULT_SCREEN_MB_PER_MINUTE",
    "GB_DECIMALS",
    "MAX_AVG_MINUTES",
    "MAX_CALLS_PER_MONTH",
    "MAX_MB_PER_MINUTE",
    "MAX_RETENTION_DAYS",
    "MAX_SCREEN_RETENTION_DAYS",
    "MB_PER_GB",
    "StorageSettings",
    "growing_calls",
]
