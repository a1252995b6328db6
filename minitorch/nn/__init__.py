"""Neural-network building blocks: mirrors ``torch.nn`` (``Module``, ``Parameter``, layers, losses,
``functional``, ``init``)."""
from . import functional, init, utils
from .modules import *  # noqa: F401,F403
from .parameter import *  # noqa: F401,F403
