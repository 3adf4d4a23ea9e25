"""The CI rule of tests/conftest.py, run on a throwaway test folder: under CI a browser test or a real-data test
that would skip fails; other skips and expected failures are left alone; without CI they all skip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLE_TESTS = """
import pytest

def test_reads_the_real_files(real_data_dir):
    pass

@pytest.mark.browser
def test_in_the_browser():
    pytest.skip("chromium not installed")

def test_skipped_for_another_reason():
    pytest.skip("not on this platform")

@pytest.mark.xfail(reason="known")
def test_expected_to_fail():
    assert False
"""


def _run_sample(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    tests = tmp_path / "project" / "tests"  # no ../shared beside it: the real files are absent
    tests.mkdir(parents=True)
    shutil.copy(Path(__file__).with_name("conftest.py"), tests / "conftest.py")
    (tests / "test_sample.py").write_text(SAMPLE_TESTS)
    (tests.parent / "pytest.ini").write_text("[pytest]\nmarkers =\n    browser: drives headless Chromium\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "tests"],
        cwd=tests.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_ci_the_browser_and_real_data_tests_skip(tmp_path):
    result = _run_sample(tmp_path, ci=None)
    assert result.returncode == 0, result.stdout
    assert "3 skipped, 1 xfailed" in result.stdout


def test_under_ci_the_browser_and_real_data_tests_fail_instead_of_skipping(tmp_path):
    result = _run_sample(tmp_path, ci="true")
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 skipped, 1 xfailed, 1 error" in result.stdout
    assert "ERROR tests/test_sample.py::test_reads_the_real_files - CI is set" in result.stdout
    assert "FAILED tests/test_sample.py::test_in_the_browser - CI is set" in result.stdout
    assert "real Olist files not found" in result.stdout  # the skip reason is kept in the failure


def test_ci_false_is_not_ci(tmp_path):
    result = _run_sample(tmp_path, ci="false")
    assert result.returncode == 0, result.stdout
