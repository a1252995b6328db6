"""Model architectures: mirrors ``torchvision.models`` (module names and ``state_dict`` keys), plus LeNet-5,
TinyVGG and U-Net."""
from ._weights import *  # noqa: F401,F403
from .lenet import *  # noqa: F401,F403
from .tinyvgg import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .efficientnet import *  # noqa: F401,F403
from .convnext import *  # noqa: F401,F403
from .unet import *  # noqa: F401,F403
