"""pytest plugin loaded by scripts/test.sh: a session in which no test ran does not pass.

pytest already exits with 5 when nothing was collected or everything was deselected; this plugin
also turns "every selected test was skipped" into exit code 5, so that a suite that silently
skips itself (a missing dependency, a wrong marker) cannot look green. ``--collect-only`` is exempt.
"""
from __future__ import annotations

import pytest

_ran = 0


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _ran
    # A test ran if its body was called (passed, failed, or xfailed) or its set-up/tear-down failed.
    if (report.when == "call" and (not report.skipped or hasattr(report, "wasxfail"))) or report.failed:
        _ran += 1


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.option.collectonly:
        return
    if exitstatus == pytest.ExitCode.OK and _ran == 0:
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
