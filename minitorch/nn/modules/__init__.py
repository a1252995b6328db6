"""The layer classes of ``minitorch.nn``, one module per family (mirrors ``torch.nn.modules``)."""
from .module import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
