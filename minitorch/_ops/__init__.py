"""minitorch's operations, one module per family; each attaches its methods to ``Tensor``."""
