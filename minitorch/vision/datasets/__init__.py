"""Datasets read from local files: mirrors ``torchvision.datasets``."""
from ._root import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .mnist import *  # noqa: F401,F403
from .cifar import *  # noqa: F401,F403
from .folder import *  # noqa: F401,F403
