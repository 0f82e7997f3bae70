"""Regenerate the bundled sample session data in scenarios/ (deterministic).

A month (March 2026, with the US DST change on the 8th) of a small contact center: 48 agents
on three shifts with breaks in org ``prod`` (PureCloud 2), 3 of them upgraded from Communicate
halfway, a few phone (mobile) logins, an API integration account (not billable), 8 trainees in
a ``training`` org, and 6 Communicate supervisors (always named).
"""

import pathlib
import sys

import pandas as pd

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from billing_model.io.synthetic import generate_sessions, write_sessions  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parents[1] / "scenarios"

agents = generate_sessions(48, "2026-03-01", 31, seed=2026, orgs=("prod",), upgrades=3,
                           mobile_share=0.04)
trainees = generate_sessions(8, "2026-03-01", 31, seed=7, orgs=("training",), api_users=0)
trainees["user_id"] = trainees["user_id"].str.replace("agent", "trainee")
supervisors = generate_sessions(6, "2026-03-01", 31, seed=99, orgs=("prod",), api_users=0,
                                license="communicate")
supervisors["user_id"] = supervisors["user_id"].str.replace("agent", "supervisor")
frame = pd.concat([agents, trainees, supervisors], ignore_index=True)
# keep the month whole: night shifts that would run into April end at local midnight
frame = frame[frame["start"] < "2026-04-01T04:00:00Z"]
frame["end"] = frame["end"].clip(upper=pd.Timestamp("2026-04-01T04:00:00Z"))
frame = frame.sort_values(["start", "user_id"], kind="stable").reset_index(drop=True)
write_sessions(frame, str(HERE / "sample_sessions.csv"))
print(f"{len(frame)} sessions -> {HERE / 'sample_sessions.csv'}")
