"""parity: the same ops and models in real PyTorch, and the harness that proves minitorch matches them."""
from .harness import (LAYOUTS, TOLERANCES, ParityError, Result, Spec, assert_close, assert_raises_like_torch,
                      assert_same_outcome, check, devices, gradcheck_inputs, run_both, to_minitorch, to_numpy, to_torch)

__all__ = ["check", "Spec", "ParityError", "Result", "assert_close", "run_both", "assert_same_outcome",
           "assert_raises_like_torch", "gradcheck_inputs", "devices", "to_torch", "to_minitorch", "to_numpy",
           "LAYOUTS", "TOLERANCES"]
