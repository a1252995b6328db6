"""Computer-vision datasets, transforms and utilities: mirrors ``torchvision`` (images decoded with Pillow,
imported only where an image file is read or written)."""
from . import datasets, models, ops, transforms, utils
