"""Data-quality checks: contracts, completeness, drift and plausibility, per partition.

Pure logic (outcomes, severity policy, baselines, profiles) lives apart from Dagster so it can be
tested with plain values; `dagster_checks.py` is the thin adapter that turns outcomes into asset
check evaluations, and `audit.py` runs an asset's checks on its staged partitions before they are
published (write-audit-publish). Asset-specific checks live beside their assets
(`<pipeline>/checks.py`); `registry.py` collects them.
"""
