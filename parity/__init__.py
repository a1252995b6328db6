"""parity: the same ops and models in real PyTorch, and the harness that proves minitorch matches them."""
from .harness import (LAYOUTS, TOLERANCES, ParityError, Result, Spec, assert_close, check, devices, to_minitorch,
                      to_numpy, to_torch)

__all__ = ["check", "Spec", "ParityError", "Result", "assert_close", "devices", "to_torch", "to_minitorch",
           "to_numpy", "LAYOUTS", "TOLERANCES"]
