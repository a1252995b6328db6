"""Image transforms (the classic API, on PIL images and on tensors): mirrors ``torchvision.transforms``."""
from ._container import *  # noqa: F401,F403
from ._conversion import *  # noqa: F401,F403
from ._geometry import *  # noqa: F401,F403
from ._affine import *  # noqa: F401,F403
from ._color import *  # noqa: F401,F403
from . import functional
