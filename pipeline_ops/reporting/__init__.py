"""Investor reporting: the monthly report that joins the investor-facing pipelines."""
