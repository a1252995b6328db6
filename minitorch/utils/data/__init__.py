"""Data loading: mirrors ``torch.utils.data``."""
from .dataset import *  # noqa: F401,F403
from .sampler import *  # noqa: F401,F403
from .collate import *  # noqa: F401,F403
from .worker import *  # noqa: F401,F403
from .dataloader import *  # noqa: F401,F403
