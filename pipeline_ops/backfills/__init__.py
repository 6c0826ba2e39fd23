"""Backfill guardrails: investor numbers change only with an approval; experiment days re-run themselves.

- approval.py (pure): may a run touch investor outputs? Published partitions are replaced only
  with the approval tags (who, why); first builds and the pipelines' own schedules need none.
- guard.py: the Dagster resource bound to every investor output, which applies the rule before any
  step of the run starts.
- late_data.py (pure) and sensor.py: landing folders that change for a day within the last 7 days
  re-run the experiment pipelines for that day; older days are left to a person.
"""
