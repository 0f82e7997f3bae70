"""A plain, slow reference of the usage rules: Python sets of minute marks, no NumPy tricks.

Written from docs/rules.md ("Who is billable", "Concurrency") independently of the engine's
kernel, to check it with Hypothesis. Rows are ``(user_id, org, license_key, client, start_ns,
end_ns)``.

- A session is in a period when it overlaps it (``start < period end`` and ``end > period
  start``); a zero-length session is in the period holding its instant.
- A user's logged-in time in a period (hourly licensing) is the length of the union of their
  billable sessions cut to the period, added per license row and rounded up to a whole hour.
- A user is present at minute mark ``m`` when a billable session holds that instant:
  ``start <= m * 60 s < end``; marks are counted per period, ``period start <= m < period end``.
"""

from billing_model.core.licenses import BY_KEY
from billing_model.core.periods import BillingCalendar

MINUTE = 60_000_000_000
HOUR = 60 * MINUTE
RANK = {k: lic.rank for k, lic in BY_KEY.items()}
KEY = {lic.rank: k for k, lic in BY_KEY.items()}
BILLABLE = {"desktop", "web", "mobile"}


def in_period(row, p_start, p_end):
    start, end = row[4], row[5]
    if end == start:
        return p_start <= start < p_end
    return start < p_end and end > p_start


def marks(row, p_start, p_end):
    """The minute marks (epoch minutes) of the period that the session holds."""
    start, end = row[4], row[5]
    first = -(-max(start, p_start) // MINUTE)  # the first mark at or after the later start
    out = set()
    m = first
    while m * MINUTE < end and m * MINUTE < p_end:
        out.add(m)
        m += 1
    return out


def logged_in(rows, p_start, p_end):
    """Nanoseconds of the union of the sessions, cut to the period: instants walked in order."""
    spans = sorted((max(r[4], p_start), min(r[5], p_end)) for r in rows)
    total, reach = 0, None
    for a, b in spans:
        if b <= a:
            continue
        if reach is None or a >= reach:
            total += b - a
            reach = b
        elif b > reach:
            total += b - reach
            reach = b
    return total


def periods_touched(cal, rows):
    """The periods from each session's first instant to its last (its start for a zero-length
    one): the calendar asked once for every row's two instants."""
    firsts = cal.period_of_ns([r[4] for r in rows])
    lasts = cal.period_of_ns([max(r[5] - 1, r[4]) for r in rows])
    ks = set()
    for first, last in zip(firsts, lasts, strict=True):
        ks.update(range(int(first), int(last) + 1))
    return ks


def reference_usage(
    rows, order_date, timezone, rule="cumulative", min_minutes=30, by_user=False, hours=False
):
    """Usage rows as tuples; with ``hours``, each row ends with its logged-in nanoseconds (exact)
    and billable hours."""
    cal = BillingCalendar(order_date, timezone)
    ks = periods_touched(cal, rows)
    out, per_user = [], []
    for k in sorted(ks):
        p_start, p_end = (int(x) for x in cal.starts_ns([k, k + 1]))
        for org in sorted({r[1] for r in rows}):
            here = [r for r in rows if r[1] == org and in_period(r, p_start, p_end)]
            everyone = sorted({r[0] for r in here})
            billed = [u for u in everyone if any(r[0] == u and r[3] in BILLABLE for r in here)]
            highest = {u: max(RANK[r[2]] for r in here if r[0] == u) for u in everyone}
            present = {}
            for u in everyone:
                minutes = set()
                for r in here:
                    if r[0] == u and r[3] in BILLABLE:
                        minutes |= marks(r, p_start, p_end)
                present[u] = minutes
            pool = [u for u in billed if BY_KEY[KEY[highest[u]]].concurrent]
            counts = {}
            for u in pool:
                for m in present[u]:
                    counts[m] = counts.get(m, 0) + 1
            # the period's marks someone holds; every other mark of the period holds 0
            first_mark, end_mark = p_start // MINUTE, p_end // MINUTE
            counts = {m: n for m, n in counts.items() if first_mark <= m < end_mark}
            raw = max(counts.values(), default=0) if pool else 0
            peak = reference_peak(counts, rule, min_minutes) if pool else 0
            chosen = sorted(pool, key=lambda u: (-len(present[u]), -highest[u], u))[:peak]
            # every user with a session here has a by-user row; API-only users: named false
            for u in everyone:
                per_user.append(
                    (
                        org,
                        str(cal.first_day(k)),
                        str(cal.last_day(k)),
                        u,
                        KEY[highest[u]],
                        len(present[u]),
                        u in billed,
                        u in chosen,
                    )
                )
            for rank in sorted({highest[u] for u in billed}):
                named = sum(1 for u in billed if highest[u] == rank)
                conc = sum(1 for u in chosen if highest[u] == rank)
                row = (
                    org,
                    str(cal.first_day(k)),
                    str(cal.last_day(k)),
                    KEY[rank],
                    named,
                    conc,
                    peak,
                    raw,
                )
                if hours:
                    ns = sum(
                        logged_in(
                            [r for r in here if r[0] == u and r[3] in BILLABLE], p_start, p_end
                        )
                        for u in billed
                        if highest[u] == rank
                    )
                    row += (ns, -(-ns // HOUR))
                out.append(row)
    if by_user:
        return per_user
    # ordered by period, org, license rank (the engine's order)
    return out


def reference_peak(counts, rule="cumulative", min_minutes=30):
    """The billable peak of per-minute counts, by trying every level from the top.

    ``counts``: users present at each minute mark, a list of every mark in order, or a mapping
    {minute mark: users} of the marks someone holds (a mark left out holds 0: it reaches no
    level, and it breaks a contiguous run)."""
    if not isinstance(counts, dict):
        counts = dict(enumerate(counts))
    marks = sorted(counts)
    for level in range(max(counts.values(), default=0), 0, -1):
        if rule == "cumulative":
            held = sum(1 for m in marks if counts[m] >= level) >= min_minutes
        else:
            run = longest = 0
            last = None  # the last mark at the level so far
            for m in marks:
                if counts[m] >= level:
                    run = run + 1 if last == m - 1 else 1  # a gap (a 0) ended the run
                    last = m
                    longest = max(longest, run)
            held = longest >= min_minutes
        if held:
            return level
    return 0


def reference_daily(rows, order_date, timezone):
    """The daily concurrent report: per org and local day, the most pool users present at a
    minute mark and at how many marks of the day that many were, from the pool of each period
    (users whose highest license in the period is PureCloud 1-3), days with a mark only."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    cal = BillingCalendar(order_date, timezone)
    zone = ZoneInfo(timezone)
    counts = {}  # (org, minute) -> pool users present
    ks = periods_touched(cal, rows)
    for k in sorted(ks):
        p_start, p_end = (int(x) for x in cal.starts_ns([k, k + 1]))
        for org in sorted({r[1] for r in rows}):
            here = [r for r in rows if r[1] == org and in_period(r, p_start, p_end)]
            for u in sorted({r[0] for r in here}):
                mine = [r for r in here if r[0] == u]
                if not BY_KEY[KEY[max(RANK[r[2]] for r in mine)]].concurrent:
                    continue
                present = set()
                for r in mine:
                    if r[3] in BILLABLE:
                        present |= marks(r, p_start, p_end)
                for m in present:
                    counts[org, m] = counts.get((org, m), 0) + 1
    days = {}
    for (org, m), c in counts.items():
        day = dt.datetime.fromtimestamp(m * 60, dt.UTC).astimezone(zone).date()
        days.setdefault((org, str(day)), []).append(c)
    return [(org, day, max(c), c.count(max(c))) for (org, day), c in sorted(days.items())]
