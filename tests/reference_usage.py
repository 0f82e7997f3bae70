"""A plain, slow reference of the usage rules: Python sets of minutes, no NumPy tricks.

Written from RULES.md independently of the engine, to check it with Hypothesis. Rows are
``(user_id, org, license_key, client, start_ns, end_ns)``.
"""

from billing_model.licenses import BY_KEY
from billing_model.periods import BillingCalendar

MINUTE = 60_000_000_000
RANK = {k: lic.rank for k, lic in BY_KEY.items()}
KEY = {lic.rank: k for k, lic in BY_KEY.items()}
BILLABLE = {"desktop", "web", "mobile"}


def reference_usage(rows, order_date, timezone, rule="cumulative", min_minutes=30):
    rows = [r for r in rows if r[5] > r[4]]  # zero-length sessions are skipped
    cal = BillingCalendar(order_date, timezone)
    ks = set()
    for r in rows:
        first = int(cal.period_of_ns([r[4]])[0])
        last = int(cal.period_of_ns([r[5] - 1])[0])
        ks.update(range(first, last + 1))
    out = []
    for k in sorted(ks):
        p_start, p_end = (int(x) for x in cal.starts_ns([k, k + 1]))
        for org in sorted({r[1] for r in rows}):
            in_period = [r for r in rows if r[1] == org and r[4] < p_end and r[5] > p_start]
            billed = sorted({r[0] for r in in_period if r[3] in BILLABLE})
            if not billed:
                continue
            highest = {u: max(RANK[r[2]] for r in in_period if r[0] == u) for u in billed}
            pool = [u for u in billed if BY_KEY[KEY[highest[u]]].concurrent]
            present = {}
            for u in pool:
                minutes = set()
                for r in in_period:
                    if r[0] == u and r[3] in BILLABLE:
                        lo = max(r[4], p_start)
                        hi = min(r[5], p_end)
                        m = lo // MINUTE
                        while m * MINUTE < hi:
                            minutes.add(m)
                            m += 1
                present[u] = minutes
            counts = {}
            for minutes in present.values():
                for m in minutes:
                    counts[m] = counts.get(m, 0) + 1
            all_minutes = range(p_start // MINUTE, p_end // MINUTE)
            c = [counts.get(m, 0) for m in all_minutes]
            raw = max(c) if pool else 0
            peak = reference_peak(c, rule, min_minutes) if pool else 0
            chosen = sorted(pool, key=lambda u: (-len(present[u]), -highest[u], u))[:peak]
            for rank in sorted({highest[u] for u in billed}):
                named = sum(1 for u in billed if highest[u] == rank)
                conc = sum(1 for u in chosen if highest[u] == rank)
                out.append((org, str(cal.first_day(k)), str(cal.last_day(k)), KEY[rank], named,
                            conc, peak, raw))
    # ordered by period, org, license rank (the engine's order)
    return out


def reference_peak(counts, rule="cumulative", min_minutes=30):
    """The billable peak of per-minute counts, by trying every level from the top."""
    for level in range(max(counts, default=0), 0, -1):
        if rule == "cumulative":
            held = sum(1 for x in counts if x >= level) >= min_minutes
        else:
            run = longest = 0
            for x in counts:
                run = run + 1 if x >= level else 0
                longest = max(longest, run)
            held = longest >= min_minutes
        if held:
            return level
    return 0
