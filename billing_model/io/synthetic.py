"""Realistic synthetic session data: shifts, breaks, phone logins, upgrades, several orgs.

Used for the bundled sample (``scenarios/sample_sessions.csv``), the benchmarks and the tests of
the scale path. Fully vectorized and seeded, so the same arguments give the same rows.

The day of an agent: a shift (06:00-14:30, 14:00-22:30 or 22:00-06:30 local; the 30-minute
overlaps are the shift changes the 30-minute rule is meant to absorb), logged in a few minutes
either side of its start and end, and logged out for a 15-minute break, a 30-minute lunch and a
second 15-minute break. Each agent works five days out of seven. A few agents also log in from the
mobile app; an integration account uses the API (not billable).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.periods import get_timezone

SHIFT_STARTS_H = np.array([6.0, 14.0, 22.0])
SHIFT_HOURS = 8.5
#: (offset from shift start in hours, length in minutes) of the logged-out pauses
PAUSES = ((2.0, 15), (4.0, 30), (6.25, 15))


def generate_sessions(
    n_agents: int,
    start_date: str = "2026-01-01",
    days: int = 31,
    *,
    seed: int = 7,
    timezone: str = "America/New_York",
    orgs: tuple[str, ...] = ("prod",),
    org_weights: tuple[float, ...] = (1.0,),
    license: str = "pc2",
    mobile_share: float = 0.03,
    upgrades: int = 0,
    api_users: int = 1,
    shuffle: bool = True,
) -> pd.DataFrame:
    """Sessions of ``n_agents`` agents over ``days`` days from ``start_date``.

    Returns columns ``user_id, org, license, client, start, end`` (UTC timestamps), about
    ``n_agents * days * 5/7 * 4`` rows. ``upgrades`` agents start on ``communicate`` and move to
    ``license`` halfway through.

    >>> frame = generate_sessions(10, days=7, seed=1)
    >>> sorted(frame.columns), bool((frame.end > frame.start).all())
    (['client', 'end', 'license', 'org', 'start', 'user_id'], True)
    """
    rng = np.random.default_rng(seed)
    shift = rng.integers(0, 3, n_agents)
    weights = np.asarray(org_weights, dtype=float)
    org = rng.choice(len(orgs), n_agents, p=weights / weights.sum())
    # five working days out of seven, a personal pattern per agent
    off = rng.integers(0, 7, n_agents)
    day = np.arange(days)
    works = (day[None, :] - off[:, None]) % 7 < 5
    a_idx, d_idx = np.nonzero(works)
    n_days = len(a_idx)

    # local shift start and end in minutes since the first local midnight, with jitter
    start_min = (
        d_idx * 1440 + SHIFT_STARTS_H[shift[a_idx]] * 60 + rng.normal(-4, 4, n_days)
    ).round()
    end_min = start_min + SHIFT_HOURS * 60 + rng.normal(3, 5, n_days).round()
    cuts = [start_min]
    for offset_h, length in PAUSES:
        pause = start_min + offset_h * 60 + rng.integers(-20, 21, n_days)
        cuts += [pause, pause + length + rng.integers(0, 4, n_days)]
    cuts.append(end_min)
    bounds = np.stack(cuts, axis=1)  # per day: [in, out, in, out, in, out, in, out]
    s_min = bounds[:, 0::2].reshape(-1)
    e_min = bounds[:, 1::2].reshape(-1)
    agent = np.repeat(a_idx, len(PAUSES) + 1)
    client = np.where(
        rng.random(len(agent)) < mobile_share,
        "mobile",
        np.where(rng.random(len(agent)) < 0.5, "desktop", "web"),
    )

    lic = np.full(len(agent), license, dtype=object)
    if upgrades:
        up = rng.choice(n_agents, min(upgrades, n_agents), replace=False)
        halfway = days * 1440 / 2
        lic[np.isin(agent, up) & (s_min < halfway)] = "communicate"

    user_id = np.char.add("agent", np.char.zfill(agent.astype(str), 5)).astype(object)
    org_name = np.asarray(orgs, dtype=object)[org[agent]]
    if api_users:
        # an integration account polling the API every hour: never billable
        hours = np.arange(days * 24) * 60.0
        user_id = np.concatenate([user_id, np.full(len(hours), "integration-bot", object)])
        org_name = np.concatenate([org_name, np.full(len(hours), orgs[0], object)])
        lic = np.concatenate([lic, np.full(len(hours), license, object)])
        client = np.concatenate([client, np.full(len(hours), "api")])
        s_min = np.concatenate([s_min, hours])
        e_min = np.concatenate([e_min, hours + 2])

    # local minutes -> UTC instants through the zone (DST-correct)
    origin = pd.Timestamp(start_date)
    local = origin + pd.to_timedelta(np.concatenate([s_min, e_min]), unit="min")
    zone = get_timezone(timezone).key
    # the repeated autumn hour is taken as its first (daylight-time) occurrence
    utc = (
        pd.DatetimeIndex(local)
        .tz_localize(zone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward")
        .tz_convert("UTC")
    )
    n = len(s_min)
    frame = pd.DataFrame(
        {
            "user_id": user_id,
            "org": org_name,
            "license": lic,
            "client": client,
            "start": utc[:n],
            "end": utc[n:],
        }
    )
    frame = frame[frame["end"] > frame["start"]]
    if shuffle:
        frame = frame.sample(frac=1.0, random_state=seed)
    return frame.reset_index(drop=True)


def write_sessions(frame: pd.DataFrame, path: str) -> None:
    """Write sessions as CSV (ISO 8601 with ``Z``) or Parquet (tz-aware timestamps)."""
    if str(path).endswith((".parquet", ".pq")):
        frame.to_parquet(path, index=False)
        return
    out = frame.copy()
    for col in ("start", "end"):
        out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.to_csv(path, index=False, lineterminator="\n")
