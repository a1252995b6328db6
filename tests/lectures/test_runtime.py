"""The lecture runtime's agreement checks can fail: differences in values, gradients, dtypes and stated
behaviours are all caught, and ``finish`` then exits non-zero."""
from __future__ import annotations

import json

import numpy as np
import pytest

import minitorch
from lectures.runtime import Lecture


@pytest.fixture
def lec(tmp_path):
    return Lecture("98", "test", "a test lecture", "nothing", True, tmp_path / "l98")


def test_identical_experiment_passes_with_gradients(lec):
    lec.compare("ok", lambda fw, a, b: (a * b).exp(), inputs=[np.ones((2, 3)), np.arange(3.0)], grad=True)
    row = lec.rows[-1]
    assert row.passed and row.value_diff == 0 and row.grad_diff is not None and row.grad_diff < 1e-12


def test_value_difference_fails(lec):
    lec.compare("off", lambda fw, a: a * (2.0 if fw is minitorch else 2.01), inputs=[np.ones(3)])
    assert not lec.rows[-1].passed and lec.rows[-1].value_diff > 1e-3


def test_gradient_difference_fails(lec):
    lec.compare("grad", lambda fw, a: a.detach() * 2 + a if fw is minitorch else a * 3, inputs=[np.ones(3)], grad=True)
    assert not lec.rows[-1].passed and lec.rows[-1].value_diff == 0 and lec.rows[-1].grad_diff > 0.5


def test_dtype_and_text_differences_fail(lec):
    lec.compare("dtype", lambda fw: fw.ones(2, dtype=fw.float64 if fw is minitorch else fw.float32))
    lec.compare("text", lambda fw: fw.__name__)
    assert [r.passed for r in lec.rows] == [False, False]


def test_checked_answer_must_hold_on_both(lec):
    lec.qa("Is it minitorch?", "Yes.", check=lambda fw: fw is minitorch)
    assert lec.checks[-1]["passed"] is False


def test_finish_writes_result_and_exits_nonzero_on_failure(lec):
    lec.check("fine", True)
    lec.check("broken", False, "detail")
    with pytest.raises(SystemExit) as exit_info:
        lec.finish()
    assert exit_info.value.code == 1
    result = json.loads((lec.out_dir / "result.json").read_text())
    assert result["passed"] is False and [c["passed"] for c in result["checks"]] == [True, False]
