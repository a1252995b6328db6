"""The transforms as functions: mirrors ``torchvision.transforms.functional`` (each family's module lists its
functions in ``FUNCTIONAL``)."""
from . import _affine, _color, _container, _conversion, _geometry

_FAMILIES = (_affine, _color, _container, _conversion, _geometry)
__all__ = [name for family in _FAMILIES for name in family.FUNCTIONAL]
globals().update({name: getattr(family, name) for family in _FAMILIES for name in family.FUNCTIONAL})
