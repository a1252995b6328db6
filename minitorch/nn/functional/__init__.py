"""Stateless layer functions: mirrors ``torch.nn.functional`` (one module per family)."""
from .activation import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
