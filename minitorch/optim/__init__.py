"""``torch.optim``: optimizers over parameter groups."""
from .adagrad import Adagrad
from .adam import Adam, AdamW
from . import lr_scheduler
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["lr_scheduler", "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]
