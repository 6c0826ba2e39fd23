"""Print the fault matrix (pipeline_ops_tests/quality/test_fault_matrix.py) at the end of the session."""

import os
from pathlib import Path


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from pipeline_ops_tests.quality import fault_matrix as fm

    if not fm.RESULTS:
        return
    terminalreporter.section("fault matrix")
    terminalreporter.write_line(fm.report(fm.RESULTS))
    out = os.environ.get("PIPELINE_OPS_FAULT_MATRIX_OUT")
    if out:
        fm.write_report(fm.RESULTS, Path(out))
        terminalreporter.write_line(f"written to {out}")
