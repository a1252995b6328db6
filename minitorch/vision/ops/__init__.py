"""Detection operators: mirrors ``torchvision.ops``."""
from .boxes import *  # noqa: F401,F403
from .roi_align import *  # noqa: F401,F403
from .focal_loss import *  # noqa: F401,F403
from .misc import *  # noqa: F401,F403
