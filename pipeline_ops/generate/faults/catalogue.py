"""Catalogue entries that change no landing data.

- ``config``: a config change the fault matrix runs on clean landing data (the override is applied
  to the default config), like a data fault.
- ``unit-test``: failure modes only a code change can cause (a join written wrongly, a filter
  dropped, a ratio without a guard): no generated landing data produces them, so the checks that
  detect them are proven on hand-made staged partitions in the pipelines' check tests.
- ``ops``: infrastructure failures (memory, credentials, the scheduler), detected by the run
  failing and by the freshness policies and arrival checks, not by a data check.
"""

from __future__ import annotations

from pipeline_ops.generate.faults.base import Fault

_E, _P = "engagement_aggregate", "profit_aggregate"

ENTRIES = [
    Fault("session_idle_change", "processing.session_idle_minutes changed from 30 to 120: sessions that were 31 min to "
          "2 h apart merge, so session counts and lengths move while users behave the same", (), None, kind="config",
          config={"processing": {"session_idle_minutes": 120}}, assets=("stg_sessions",),
          failure_mode="sessionization-change", runbook=_E, detected_by=("stg_sessions.session_length_drift",)),
    Fault("feature_adoption_out_of_range", "adoption computed with a numerator the denominator leaves out (excluded "
          "users, bots, events instead of users): a share above 1 or below 0", (), None, kind="unit-test",
          failure_mode="feature-adoption-out-of-range", runbook=_E,
          detected_by=("engagement_aggregate.plausibility",),
          covered_by=("pipeline_ops_tests/engagement: engagement_aggregate.plausibility on hand-made aggregates",)),
    Fault("join_fan_out_in_code", "a join in the chain multiplies rows or leaves users without their account (a code "
          "change; duplicate keys in landing are caught by the landing contracts and the staging guards)", (), None,
          kind="unit-test", failure_mode="join-fan-out-or-null-explosion", runbook=_E,
          detected_by=("stg_user_activity_daily.join_integrity", "investor_monthly_report.ties_to_daily"),
          covered_by=("pipeline_ops_tests/engagement and pipeline_ops_tests/reporting: the checks on hand-made "
                      "partitions with a fanned-out join",)),
    Fault("ratio_divide_by_zero", "a ratio published as NaN or infinity instead of null when its denominator is 0", (),
          None, kind="unit-test", failure_mode="na-or-divide-by-zero", runbook=_P,
          detected_by=("profit_aggregate.ratios_defined",),
          covered_by=("pipeline_ops_tests/profit: profit_aggregate.ratios_defined on hand-made aggregates",)),
    Fault("experiment_filter_regression", "the investor filter stops leaving out exclude_from_investor units (a code "
          "change); the exclusions themselves dropping out of landing is the data fault experiment_exclusions_dropped",
          (), None, kind="unit-test", failure_mode="experiment-traffic-leak", runbook=_P,
          detected_by=("profit_aggregate.experiment_excluded", "growth_aggregate.experiment_excluded",
                       "engagement_aggregate.experiment_excluded"),
          covered_by=("pipeline_ops_tests/profit, growth, engagement: experiment_excluded on aggregates that include "
                      "excluded units",)),
    Fault("cost_allocation_unbalanced", "unit-level cost allocation no longer sums to the day's total cost (a code "
          "change in how costs are spread over accounts)", (), None, kind="unit-test",
          failure_mode="cost-allocation-change", runbook="profit_unit_level",
          detected_by=("profit_unit_level.cost_allocation_balanced",),
          covered_by=("pipeline_ops_tests/profit: cost_allocation_balanced on hand-made unit-level partitions",)),
    Fault("spark_oom_or_skew", "the Spark steps run out of memory or crawl on a hot key", (), None, kind="ops",
          failure_mode="spark-oom-or-skew", runbook=_E,
          covered_by=("the run fails (run-failure alerting) and the output's freshness policy goes FAIL at its SLA",)),
    Fault("expired_credentials", "landing or lake storage refuses the pipeline's credential", (), None, kind="ops",
          failure_mode="expired-credentials", runbook=_P,
          covered_by=("the step fails with the storage error (run-failure alerting); arrival checks cannot list "
                      "the landing folder and report it missing",)),
    Fault("scheduler_paused_or_misfire", "the schedule is stopped or the daemon is down: no run for the day", (), None,
          kind="ops", failure_mode="scheduler-paused-or-misfire", runbook=_P,
          covered_by=("freshness policies (FAIL at the SLA deadline): pipeline_ops_tests/test_scheduling.py",)),
]
