"""minitorch's operations, one module per family; each attaches its methods to ``Tensor``.

torch never warns about floating-point overflow, division by zero or invalid values (it returns inf
and nan silently). NumPy does, attributing the warning to the calling module; this filter silences
exactly the warnings raised by NumPy calls made in these modules (users' own NumPy code still warns),
which is far cheaper than an ``np.errstate`` block around every op.
"""
import warnings

warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"minitorch\._ops\.")
