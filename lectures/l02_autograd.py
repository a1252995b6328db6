"""Autograd: the graph, backward, Jacobians, hooks, custom Functions, double backward and gradcheck.

What you will learn: how a forward pass records a graph of backward nodes (`grad_fn`, `next_functions`),
what `requires_grad` and leaves are, what `backward` computes (a vector-Jacobian product) and why
gradients accumulate (hence `zero_grad`), Jacobians and VJPs, `no_grad` and `detach`, tensor hooks,
writing your own `autograd.Function`, double backward (Hessian-vector products), `gradcheck`, and the
in-place error together with the version counter that raises it.

Prerequisites: lecture 01 (tensors, views, storage).
"""
# %%
import math
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

import minitorch
from lectures.runtime import lecture

TEACHES = ("the graph (grad_fn, next_functions), requires_grad, backward, accumulation and zero_grad, "
           "Jacobians and VJPs, no_grad/detach, hooks, custom autograd.Function, double backward, gradcheck, "
           "the in-place error")
lec = lecture("02")
rng = np.random.default_rng(0)
FRAMEWORKS = (minitorch, torch)


def error_of(thunk):
    """(exception type name, message with the framework's name blanked) raised by ``thunk()``, or None."""
    try:
        thunk()
    except Exception as e:                      # noqa: BLE001 - we report whatever is raised
        return type(e).__name__, str(e).replace("minitorch.", "fw.").replace("torch.", "fw.")
    return None


def same_error(name, make_thunk, prefix_chars=80):
    """Checks that ``make_thunk(fw)()`` raises the same exception type and message start on both frameworks."""
    errors = [error_of(make_thunk(fw)) for fw in FRAMEWORKS]
    ok = all(e is not None for e in errors) and errors[0][0] == errors[1][0] \
        and errors[0][1][:prefix_chars] == errors[1][1][:prefix_chars]
    shown = errors[1] and f"{errors[1][0]}: {errors[1][1][:prefix_chars]}..."
    return lec.check(name, ok, detail=f"both raise {shown}" if ok else f"minitorch {errors[0]} vs torch {errors[1]}")


# %% [markdown]
# ## 1. Building the graph
# Every operation on a tensor that requires grad records a *backward node* on its output (`grad_fn`).
# A node's `next_functions` are `(node, output_index)` pairs pointing at the nodes of its inputs:
# following them from the loss walks the whole graph back to the leaves, whose node is an
# `AccumulateGrad` holding the leaf (`node.variable`). Inputs that do not require grad appear as `None`.

# %%
lec.section("Building the graph: grad_fn and next_functions",
            "The forward pass records, on each result, the backward node that will compute its inputs' "
            "gradients. We build the loss of one tanh neuron, walk grad_fn.next_functions recursively on both "
            "frameworks and draw the two graphs side by side.")

X_NEURON = rng.normal(size=(3,))
Y_NEURON = rng.normal(size=())
W_NEURON = rng.normal(size=(3,))


def neuron_loss(fw, w, b):
    """Squared error of one tanh neuron on one sample plus weight decay (w is used twice).

    The leaves w, b require grad; the data x, y do not."""
    x, y = fw.tensor(X_NEURON), fw.tensor(Y_NEURON)
    return ((x * w).sum() + b).tanh().sub(y).pow(2) + 0.01 * (w * w).sum()


def node_label(node, leaf_names):
    """The node's name (torch prefixes AccumulateGrad with its C++ namespace), plus the leaf it feeds."""
    label = node.name().split("::")[-1]
    if hasattr(node, "variable"):
        label += f"\n({leaf_names.get(id(node.variable), '?')})"
    return label


def walk_graph(root, leaf_names):
    """Nodes (id -> label, depth = longest path from the root) and edges, in a deterministic DFS order."""
    labels, depth, edges, order = {}, {}, [], []

    def visit(node, d):
        key = id(node)
        first = key not in labels
        if first:
            labels[key] = node_label(node, leaf_names)
            order.append(key)
        elif d <= depth[key]:
            return                                # a shared node already placed at least this deep
        depth[key] = d
        for child, _ in node.next_functions:
            if first:
                edges.append((key, None if child is None else id(child)))
            if child is not None:
                visit(child, d + 1)

    visit(root, 0)
    return {"labels": labels, "depth": depth, "edges": edges, "order": order}


def graph_description(fw, w, b):
    loss = neuron_loss(fw, w, b)
    g = walk_graph(loss.grad_fn, {id(w): "w", id(b): "b"})
    names = [g["labels"][k] for k in g["order"]]
    edges = [f"{g['labels'][p]} -> {'None' if c is None else g['labels'][c]}" for p, c in g["edges"]]
    return loss, names, edges, g


_, torch_graph = lec.compare(
    "graph of a tanh neuron (names, edges)",
    lambda fw, w, b: graph_description(fw, w, b)[:3],
    inputs=[W_NEURON, np.array(0.1)], grad=True)
lec.note("Walking the graph from loss.grad_fn (same on both frameworks):\n  "
         + "\n  ".join(e.replace("\n", " ") for e in torch_graph[2]))
lec.note("Node names are an implementation detail: they follow the op (and, in torch, the overload) that "
         "ran. torch names sum over a dim SumBackward1 and dispatches x @ w to MvBackward0 / MmBackward0 / "
         "DotBackward0, where minitorch records SumBackward0 and one MatmulBackward0; this graph sticks to ops "
         "whose node names agree.")


def draw_graph(ax, g, title):
    """Boxes at (x, -depth), leaves on the bottom row, arrows from each node to its next_functions.

    Within a row, nodes are ordered by the mean x of the nodes pointing at them (fewer crossing arrows)."""
    bottom = max(g["depth"].values())
    row = {k: bottom if "(" in g["labels"][k] else g["depth"][k] for k in g["order"]}
    parents = {k: [p for p, c in g["edges"] if c == k] for k in g["order"]}
    pos, levels = {}, {}
    for key in g["order"]:
        levels.setdefault(row[key], []).append(key)
    for d in sorted(levels):
        keys = sorted(levels[d], key=lambda k: np.mean([pos[p][0] for p in parents[k] if p in pos] or [0.5]))
        for i, key in enumerate(keys):
            pos[key] = ((i + 1) / (len(keys) + 1), -d)
    for parent, child in g["edges"]:
        if child is not None:
            ax.annotate("", xy=pos[child], xytext=pos[parent],
                        arrowprops=dict(arrowstyle="-|>", color="0.4", shrinkA=14, shrinkB=14))
    for key, (x, y) in pos.items():
        leaf = "(" in g["labels"][key]
        ax.text(x, y, g["labels"][key], ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round,pad=0.4", fc="#cfe8cf" if leaf else "#dbe7f7", ec="0.3"))
    ax.set_xlim(0, 1)
    ax.set_ylim(-max(levels) - 0.6, 0.6)
    ax.set_title(title)
    ax.axis("off")


fig, axes = plt.subplots(1, 2, figsize=(10, 6))
for ax, fw in zip(axes, FRAMEWORKS):
    w = fw.tensor(W_NEURON, requires_grad=True)
    b = fw.tensor(0.1, dtype=fw.float64, requires_grad=True)
    draw_graph(ax, graph_description(fw, w, b)[3], f"{fw.__name__}: loss.grad_fn and its next_functions")
fig.suptitle("The backward graph of (tanh((x * w).sum() + b) - y)^2 + 0.01 (w * w).sum(); "
             "green = AccumulateGrad of a leaf")
lec.figure(fig, "graph", "The recorded backward graph on minitorch (left) and torch (right): arrows follow "
                         "next_functions from the loss to the leaves' AccumulateGrad nodes")

# %% [markdown]
# ## 2. requires_grad and leaves
# A tensor you create is a *leaf*. Results of ops on tensors that require grad also require grad and are
# not leaves (they have a `grad_fn`). Only floating-point tensors can require grad.

# %%
lec.section("requires_grad, leaves and backward",
            "Leaves are the tensors you created; they receive .grad. Results of recorded ops carry a grad_fn. "
            "backward() on a scalar computes d(loss)/d(leaf) for every leaf that requires grad.")


def leaves(fw):
    w = fw.tensor([1.0, 2.0], requires_grad=True)
    x = fw.tensor([3.0, 4.0])
    y = w * x
    z = y.detach().requires_grad_()
    return (w.is_leaf, x.is_leaf, y.is_leaf, z.is_leaf, w.requires_grad, x.requires_grad, y.requires_grad,
            w.grad_fn is None, y.grad_fn.name())


lec.compare("is_leaf / requires_grad / grad_fn", leaves)
same_error("integer tensors cannot require grad", lambda fw: lambda: fw.tensor([1, 2], requires_grad=True))


def backward_basics(fw, w, b):
    loss = neuron_loss(fw, w, b)
    loss.backward()
    return loss.detach(), w.grad, b.grad


lec.compare("loss.backward() fills w.grad, b.grad", backward_basics, inputs=[W_NEURON, np.array(0.1)], grad=True)
same_error("backward on a non-scalar needs a gradient",
           lambda fw: lambda: (fw.ones(3, requires_grad=True) * 2).backward())


def backward_twice(fw):
    x = fw.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    return lambda: y.backward()


same_error("a second backward through a freed graph", backward_twice)


def retain_graph(fw):
    x = fw.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.clone()
    y.backward()
    return first, x.grad


lec.compare("retain_graph=True allows a second backward", retain_graph)

# %% [markdown]
# ## 3. Gradient accumulation and why `zero_grad` exists
# `backward` *adds* into `.grad`. That is what makes a shared parameter (used twice in a graph) correct,
# and what lets you split a big batch into micro-batches. But in a training loop it means the previous
# step's gradient is still there: `optimizer.zero_grad()` (or `p.grad = None`) clears it.

# %%
lec.section("Gradient accumulation and zero_grad",
            "Gradients accumulate into .grad. Calling backward twice doubles the gradient; four micro-batches "
            "of loss/4 give exactly the full-batch gradient; zero_grad (grad = None or grad.zero_()) resets.")


def accumulate(fw, w, b):
    neuron_loss(fw, w, b).backward()
    once = w.grad.clone()
    neuron_loss(fw, w, b).backward()
    twice = w.grad.clone()
    w.grad = None                                 # what optimizer.zero_grad() does (set_to_none=True)
    neuron_loss(fw, w, b).backward()
    return once, twice, w.grad, (twice - 2 * once).abs().max()


lec.compare("backward twice accumulates (2x)", accumulate, inputs=[W_NEURON, np.array(0.1)], grad=True)

X_BATCH = rng.normal(size=(16, 3))
Y_BATCH = rng.normal(size=(16,))


def micro_batches(fw, w):
    x, y = fw.tensor(X_BATCH), fw.tensor(Y_BATCH)
    ((x @ w).tanh() - y).pow(2).mean().backward()
    full = w.grad.clone()
    w.grad.zero_()
    for xs, ys in zip(x.chunk(4), y.chunk(4)):    # 4 micro-batches, each loss scaled by 1/4
        (((xs @ w).tanh() - ys).pow(2).mean() / 4).backward()
    return full, w.grad, (full - w.grad).abs().max()


lec.compare("4 micro-batches == full batch", micro_batches, inputs=[W_NEURON], grad=True)

# %% [markdown]
# ## 4. Jacobians and vector-Jacobian products
# For y = f(x) with x in R^n and y in R^m, reverse mode never builds the m x n Jacobian J: `backward`
# computes the vector-Jacobian product v^T J for a given v (`grad_outputs`, or 1 for a scalar loss).
# `autograd.functional.jacobian` builds J from m such VJPs, one per output (one-hot v).

# %%
lec.section("Jacobian and vector-Jacobian products",
            "autograd.grad(y, x, grad_outputs=v) computes v^T J without forming J. The full Jacobian "
            "(autograd.functional.jacobian) is m VJPs with one-hot v, one per output.")

A_JAC = rng.normal(size=(3, 4))
V_JAC = rng.normal(size=(3,))


def f_jac(fw):
    a = fw.tensor(A_JAC)
    return lambda x: (a @ x).sin() * x[:3]


def jacobian_and_vjp(fw, x):
    f = f_jac(fw)
    jac = fw.autograd.functional.jacobian(f, x.detach())
    v = fw.tensor(V_JAC)
    vjp, = fw.autograd.grad(f(x), x, grad_outputs=v)
    rows = [fw.autograd.grad(f(x), x, grad_outputs=fw.eye(3, dtype=x.dtype)[i])[0] for i in range(3)]
    return jac, vjp, v @ jac, fw.stack(rows)


jac_mt, jac_torch = lec.compare("jacobian, VJP = v^T J, rows", jacobian_and_vjp, inputs=[rng.normal(size=4)],
                                grad=True)
lec.check("VJP equals v @ jacobian (torch)", bool(torch.allclose(jac_torch[1], jac_torch[2])))
lec.check("VJP equals v @ jacobian (minitorch)", bool(np.allclose(jac_mt[1].numpy(), jac_mt[2].numpy())))
lec.check("jacobian rows are one-hot VJPs (minitorch)", bool(np.allclose(jac_mt[0].numpy(), jac_mt[3].numpy())))

# %% [markdown]
# ## 5. `no_grad` and `detach`
# `no_grad()` switches recording off (evaluation, parameter updates). `detach()` returns a tensor sharing the
# same storage but cut from the graph: a constant for autograd (a "stop-gradient").

# %%
lec.section("no_grad and detach",
            "Inside no_grad nothing is recorded. detach() shares storage but has no history: "
            "x * x.detach() has gradient x, not 2x.")


def no_grad_detach(fw, x):
    with fw.no_grad():
        y = x * 2
    d = x.detach()
    stop = (x * x.detach()).sum()                 # d/dx = x: the detached factor is a constant
    g_stop, = fw.autograd.grad(stop, x)
    return (y.requires_grad, y.grad_fn is None, d.requires_grad, d.data_ptr() == x.data_ptr(),
            fw.is_grad_enabled(), g_stop, x)


lec.compare("no_grad output / detach / stop-gradient", no_grad_detach, inputs=[rng.normal(size=5)], grad=True)

# %% [markdown]
# ## 6. Tensor hooks
# `t.register_hook(fn)` calls `fn(grad)` when the gradient of `t` is computed; if `fn` returns a tensor,
# it *replaces* the gradient flowing on (gradient clipping per tensor, debugging, gradient reversal).
# `retain_grad()` keeps the gradient of a non-leaf in `.grad`.

# %%
lec.section("Tensor hooks",
            "A hook sees a tensor's gradient and may replace it: here the gradient of an intermediate h is "
            "clamped to [-0.1, 0.1] before it flows on to the leaf; the handle's remove() undoes it.")


def hooks(fw, x):
    seen = []
    h = x * 3
    handle = h.register_hook(lambda g: seen.append(g.clone()) or g.clamp(-0.1, 0.1))
    h.retain_grad()
    (h.tanh() * h).sum().backward()
    with_hook = x.grad.clone()
    handle.remove()
    x.grad = None
    h2 = x * 3
    (h2.tanh() * h2).sum().backward()
    return seen[0], h.grad, with_hook, x.grad


lec.compare("hook replaces the gradient", hooks, inputs=[rng.normal(size=6)], grad=True)

# %% [markdown]
# ## 7. A custom `autograd.Function`
# When an op has no autograd formula (or you want a different one), subclass `autograd.Function` with
# static `forward(ctx, ...)` and `backward(ctx, *grads)`: save what backward needs with
# `ctx.save_for_backward`. Written once as a function of `fw`, the same class body works on both.

# %%
lec.section("A custom autograd.Function",
            "LegendreP3 (the PyTorch docs' example: P3(x) = (5x^3 - 3x)/2) with its derivative written by "
            "hand, and a straight-through clamp whose backward passes the gradient through unchanged.")


def custom_functions(fw):
    """The same two Function classes for minitorch and torch."""

    class LegendreP3(fw.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x ** 3 - 3 * x)

        @staticmethod
        def backward(ctx, grad_out):
            x, = ctx.saved_tensors
            return grad_out * 1.5 * (5 * x ** 2 - 1)

    class StraightThroughClamp(fw.autograd.Function):
        @staticmethod
        def forward(ctx, x, lo, hi):
            return x.clamp(lo, hi)

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out, None, None           # identity gradient for x; lo and hi get none

    return LegendreP3, StraightThroughClamp


def legendre(fw, x):
    p3, _ = custom_functions(fw)
    y = p3.apply(x)
    return y, y.grad_fn.name()


lec.compare("LegendreP3.apply forward + backward", legendre, inputs=[np.linspace(-1, 1, 7)], grad=True)

XS_CLAMP = np.linspace(-2, 2, 81)


def clamp_grads(fw, x):
    _, ste = custom_functions(fw)
    g_clamp, = fw.autograd.grad(x.clamp(-1, 1).sum(), x)
    g_ste, = fw.autograd.grad(ste.apply(x, -1.0, 1.0).sum(), x)
    return ste.apply(x, -1.0, 1.0), g_clamp, g_ste


ste_mt, ste_torch = lec.compare("straight-through clamp vs clamp", clamp_grads, inputs=[XS_CLAMP], grad=True)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharey=True)
for ax, (fw, res) in zip(axes, zip(FRAMEWORKS, (ste_mt, ste_torch))):
    out, g_clamp, g_ste = (r.detach().numpy() for r in res)
    ax.plot(XS_CLAMP, out, label="clamp(x, -1, 1)")
    ax.plot(XS_CLAMP, g_clamp, "--", label="grad of clamp")
    ax.plot(XS_CLAMP, g_ste + 0.03, ":", lw=2, label="grad of straight-through (shifted +0.03)")
    ax.set_title(fw.__name__)
    ax.set_xlabel("x")
fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, -0.1))
lec.figure(fig, "straight_through", "clamp's gradient is 0 outside [-1, 1]; the straight-through Function's is 1 "
                                     "everywhere (same on both frameworks)")

# %% [markdown]
# ## 8. Double backward: Hessian-vector products
# With `create_graph=True` the backward pass itself is recorded, so the gradient is a function of x that
# can be differentiated again. grad(grad(f) . v) = H v, the Hessian-vector product, at the cost of two
# backward passes and without forming H (used by WGAN-GP, MAML, Newton-CG, influence functions).

# %%
lec.section("Double backward: Hessian-vector product",
            "g = grad(f, x, create_graph=True); Hv = grad(g, x, grad_outputs=v). Checked against "
            "autograd.functional.hessian(f, x) @ v.")

A_HVP = rng.normal(size=(5, 4))
V_HVP = rng.normal(size=(4,))


def hvp(fw, x):
    a, v = fw.tensor(A_HVP), fw.tensor(V_HVP)

    def f(t):
        return (a @ t).tanh().pow(2).sum() + (t ** 3).sum() / 6

    g, = fw.autograd.grad(f(x), x, create_graph=True)
    hv, = fw.autograd.grad(g, x, grad_outputs=v, create_graph=True)
    hess = fw.autograd.functional.hessian(f, x.detach())
    return g, hv, hess @ v, fw.autograd.functional.hvp(f, x.detach(), v)[1]


hvp_mt, hvp_torch = lec.compare("Hessian-vector product (double backward)", hvp, inputs=[rng.normal(size=4)],
                                grad=True)
lec.check("Hv equals hessian @ v (both)", bool(np.allclose(hvp_mt[1].detach().numpy(), hvp_mt[2].numpy()))
          and bool(torch.allclose(hvp_torch[1], hvp_torch[2])))

# %% [markdown]
# ## 9. gradcheck
# `gradcheck` compares the analytical Jacobian (from your backward) with a numerical one from central
# finite differences, in float64 (float32 is too coarse for eps = 1e-6). It is the test to write for
# every custom Function; `gradgradcheck` does the same for the double backward.

# %%
lec.section("gradcheck and gradgradcheck",
            "Finite differences vs the backward formula, in float64: a correct Function passes, a backward that "
            "is 1% off fails on both frameworks.")


def gradchecks(fw, x):
    p3, ste = custom_functions(fw)

    class WrongSin(fw.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t.sin()

        @staticmethod
        def backward(ctx, g):
            t, = ctx.saved_tensors
            return g * t.cos() * 1.01               # 1% wrong

    check = fw.autograd.gradcheck
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x32 = x.detach().float().requires_grad_()
        return (check(p3.apply, (x,)), fw.autograd.gradgradcheck(p3.apply, (x,)),
                check(lambda t: (t.sin() * t.exp()).sum(), (x,)),
                check(WrongSin.apply, (x,), raise_exception=False),
                check(lambda t: ste.apply(t, -0.5, 0.5), (x,), raise_exception=False),
                check(lambda t: t.sin(), (x32,), raise_exception=False))


lec.compare("gradcheck: P3 / gradgrad / op / wrong / STE / f32", gradchecks, inputs=[rng.uniform(-1, 1, size=5)],
            grad=True)
lec.note("Results: P3 passes gradcheck and gradgradcheck, a composite op passes, the 1%-wrong backward fails, "
         "the straight-through clamp fails (by design its backward is not the derivative of its forward), "
         "and float32 inputs fail even for sin (finite differences with eps=1e-6 in float32 are noise).")

# %% [markdown]
# ## 10. The in-place error and the version counter
# Backward nodes save tensors (exp saves its *output*, mul saves its inputs). If one of those is modified
# in place before backward, the gradient would silently be computed from the wrong values. Every storage
# has a version counter (`t._version`), bumped by each in-place op; a saved tensor remembers the version it
# had and backward raises if it changed. Leaves that require grad cannot be modified in place at all,
# except under `no_grad` (that is how optimizers update parameters).

# %%
lec.section("The in-place error and what it protects",
            "exp saves its output for backward; modifying it in place bumps its _version and backward raises "
            "instead of silently using the wrong values. Leaves need no_grad for in-place updates.")


def inplace_versions(fw, x):
    e = x.exp()                                   # ExpBackward saves its output e
    other = (x * 2).sum()                         # a graph that saved nothing of e
    loss = (e * e).sum()                          # MulBackward saves e (twice)
    v0 = e._version
    e.add_(1)
    view = e[:2]
    view.mul_(2)                                  # a view shares its base's version counter
    raised = error_of(loss.backward) is not None
    other.backward()                              # fine: this graph does not read e
    return v0, e._version, view._version, raised, x.grad


lec.compare("_version counts in-place ops; backward checks it", inplace_versions, inputs=[np.arange(3.0)], grad=True)


def saved_output_modified(fw):
    x = fw.tensor([0.0, 1.0, 2.0], requires_grad=True)
    e = x.exp()
    y = e.sum()
    e.mul_(10)
    return lambda: y.backward()


def saved_input_modified(fw):
    x = fw.tensor([0.0, 1.0, 2.0], requires_grad=True)
    h = x * 1
    y = (h * h).sum()
    h.add_(1)
    return lambda: y.backward()


same_error("exp's saved output modified in place", saved_output_modified, prefix_chars=120)
same_error("mul's saved input modified in place", saved_input_modified, prefix_chars=120)
same_error("in-place op on a leaf that requires grad",
           lambda fw: lambda: fw.tensor([1.0, 2.0], requires_grad=True).sub_(1))


def optimizer_style_update(fw, w, b):
    neuron_loss(fw, w, b).backward()
    before = w._version
    with fw.no_grad():
        w -= 0.1 * w.grad                          # in place, allowed under no_grad: an SGD step
    return w.detach(), w._version - before, w.is_leaf, w.requires_grad


lec.compare("SGD step in place under no_grad", optimizer_style_update, inputs=[W_NEURON, np.array(0.1)], grad=True)
x_np = np.array([0.0, 1.0, 2.0])
lec.note("What it protects: for y = exp(x).sum() the gradient is exp(x) = "
         f"{np.round(np.exp(x_np), 3).tolist()}, which backward reads from the saved output. Had e.mul_(10) been "
         f"allowed, the gradient would silently be {np.round(10 * np.exp(x_np), 3).tolist()}.")

# %% [markdown]
# ## 11. Deep dive: reverse-mode autodiff in a page of Python
# The whole idea fits on a page: each value remembers its parents and the local derivative with respect
# to each; `backward` orders the graph topologically (every node after everything it depends on), seeds
# d(out)/d(out) = 1 and walks the order backwards, adding `local * upstream` into each parent (the chain
# rule; `+=` because a value used twice gets both contributions, which is why `.grad` accumulates).

# %%
lec.section("Deep dive: reverse-mode autodiff in a page of Python",
            "A scalar autodiff engine in plain Python (values store parents and local derivatives; backward "
            "walks a topological order), checked against both frameworks on the same expression, which uses "
            "w1 twice so gradient contributions must be summed.")


class Scalar:
    """A float that records how it was computed: its parents and d(self)/d(parent) for each."""

    def __init__(self, value, parents=(), local_grads=()):
        self.value, self.grad = float(value), 0.0
        self.parents, self.local_grads = parents, local_grads

    @staticmethod
    def lift(other):
        return other if isinstance(other, Scalar) else Scalar(other)

    def __add__(self, other):
        other = Scalar.lift(other)
        return Scalar(self.value + other.value, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        other = Scalar.lift(other)
        return Scalar(self.value * other.value, (self, other), (other.value, self.value))

    __radd__, __rmul__ = __add__, __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + -Scalar.lift(other)

    def __pow__(self, k):
        return Scalar(self.value ** k, (self,), (k * self.value ** (k - 1),))

    def tanh(self):
        t = math.tanh(self.value)
        return Scalar(t, (self,), (1.0 - t * t,))

    def exp(self):
        e = math.exp(self.value)
        return Scalar(e, (self,), (e,))

    def backward(self):
        order, seen = [], set()

        def visit(node):                            # post-order DFS = a topological order
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node.parents:
                    visit(parent)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):                # outputs before inputs
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad       # chain rule, accumulated over every use
        return order


def expression(w1, w2, b, x1=0.7, x2=-1.3, y=0.25):
    """One expression for Scalar and for fw tensors: a neuron's squared error plus an L2 term (w1 used twice)."""
    return ((w1 * x1 + w2 * x2 + b).tanh() - y) ** 2 + 0.1 * (w1 * w1 + w2 * w2) + (w2 * b).exp()


PARAMS = [0.3, -0.8, 0.5]
leaves_s = [Scalar(p) for p in PARAMS]
out_s = expression(*leaves_s)
order = out_s.backward()
ours = np.array([s.grad for s in leaves_s])


def framework_grads(fw, w1, w2, b):
    out = expression(w1, w2, b)
    return out, fw.autograd.grad(out, (w1, w2, b), retain_graph=True)


fw_mt, fw_torch = lec.compare("same expression on both frameworks", framework_grads,
                              inputs=[np.array(p) for p in PARAMS], grad=True)
for fw, res in zip(FRAMEWORKS, (fw_mt, fw_torch)):
    theirs = np.array([g.item() for g in res[1]])
    lec.check(f"from-scratch engine matches {fw.__name__}",
              abs(out_s.value - res[0].item()) < 1e-12 and np.allclose(ours, theirs, rtol=1e-12, atol=1e-12),
              detail=f"grads {np.round(ours, 6).tolist()} vs {np.round(theirs, 6).tolist()}")
lec.note(f"The engine visited {len(order)} nodes. Real frameworks do the same walk with more care: torch orders "
         "ready nodes by a sequence number in a priority queue, frees saved tensors as it goes (hence the "
         "'backward a second time' error), checks versions of saved tensors, and computes whole tensors per "
         "node (a VJP per op) instead of scalars.")


def chain_backward(fw, x, depth):
    """A deep chain of small residual ops: the per-node cost of recording and walking the graph."""
    y = x
    for _ in range(depth):
        y = y + 0.1 * (y * 1.01).sin()
    return y.sum()


DEPTHS = [5, 10, 20, 40, 80] if lec.quick else [10, 50, 100, 200, 400, 800]
X_CHAIN = rng.normal(size=64 if lec.quick else 4096)


def best_ms(fw, depth, repeats=3):
    """Best of a few runs of forward + backward (single runs are noisy on a shared machine)."""
    times = []
    for _ in range(repeats):
        x = fw.tensor(X_CHAIN, requires_grad=True)
        start = time.perf_counter()
        chain_backward(fw, x, depth).backward()
        times.append(time.perf_counter() - start)
    return 1e3 * min(times)


seconds = {fw.__name__: [] for fw in FRAMEWORKS}
for depth in lec.progress(DEPTHS, "graph depth"):
    lec.compare(f"chain of {depth} x 4 ops, fwd + bwd", lambda fw, x: chain_backward(fw, x, depth),
                inputs=[X_CHAIN], grad=True)
    for fw in FRAMEWORKS:
        seconds[fw.__name__].append(best_ms(fw, depth))
fig, ax = plt.subplots(figsize=(5.5, 3.5))
for name, ms in seconds.items():
    ax.plot([4 * d for d in DEPTHS], ms, "o-", label=name)
ax.set_xlabel("nodes in the graph")
ax.set_ylabel("forward + backward, ms (best of 3)")
ax.set_title(f"Graph overhead on {X_CHAIN.size}-element tensors")
ax.legend()
lec.figure(fig, "graph_overhead", "Forward + backward time grows linearly with the number of graph nodes; on "
                                  "small tensors the slope is the per-node Python/C++ overhead, not arithmetic")
lec.note("On tiny tensors the time per node is dominated by bookkeeping (creating the node, saving tensors, the "
         "backward walk), not by arithmetic: this is why fused ops and larger tensors pay off.")


# %% [markdown]
# ## 12. Interview questions

# %%
lec.section("Interview questions", "Each behaviour stated in an answer is checked on both frameworks.")


def q_leaf(fw):
    w = fw.ones(2, requires_grad=True)
    y = w * 2
    return w.is_leaf and not y.is_leaf and y.grad_fn is not None and w.grad_fn is None


lec.qa("What is a leaf tensor, and which tensors get .grad after backward?",
       "A tensor created by the user (not the result of a recorded op): it has no grad_fn. backward() fills .grad "
       "only on leaves with requires_grad=True; intermediate results have a grad_fn and no .grad.",
       check=q_leaf)


def q_accumulate(fw):
    w = fw.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (w * w).sum().backward()
    return bool((w.grad == 3 * 2 * w.detach()).all())


lec.qa("Why does every training loop call zero_grad()?",
       "backward() adds into .grad instead of overwriting it (needed for values used several times and for "
       "micro-batch accumulation), so without clearing, step t would also apply the gradients of steps < t.",
       check=q_accumulate)


def q_next_functions(fw):
    x = fw.tensor([1.0, 2.0], requires_grad=True)
    node, index = (x * 2).grad_fn.next_functions[0]
    return node.variable is x and index == 0 and node.name().endswith("AccumulateGrad")


lec.qa("What does grad_fn.next_functions hold, and what ends the graph?",
       "(node, output index) pairs, one per input of the op, pointing at the inputs' grad_fns; a leaf that requires "
       "grad is represented by an AccumulateGrad node whose .variable is the leaf; inputs without grad give None.",
       check=q_next_functions)


def q_backward_twice(fw):
    x = fw.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    return error_of(y.backward)[0] == "RuntimeError"


lec.qa("Can you call backward() twice on the same graph?",
       "Not by default: the saved tensors are freed after the first backward, so the second raises RuntimeError. "
       "Pass retain_graph=True to the first call to keep them.",
       check=q_backward_twice)


def q_nonscalar(fw):
    x = fw.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    failed = error_of(y.backward) is not None
    y.backward(fw.tensor([1.0, 10.0]))
    return failed and x.grad.tolist() == [3.0, 30.0]


lec.qa("Why does y.backward() fail on a non-scalar y, and what does y.backward(v) compute?",
       "Reverse mode computes vector-Jacobian products v^T J; for a scalar v = 1 is implied, for a vector you "
       "must say which combination of outputs to differentiate. y.backward(v) accumulates v^T dy/dx into x.grad.",
       check=q_nonscalar)


def q_jacobian_cost(fw):
    x = fw.tensor([0.1, 0.2, 0.3])
    jac = fw.autograd.functional.jacobian(lambda t: t.sin().cumsum(0), x)
    return tuple(jac.shape) == (3, 3) and bool((jac.triu(1) == 0).all())


lec.qa("How is a full Jacobian computed in reverse mode, and when is forward mode cheaper?",
       "One VJP per output row (m backward passes for m outputs); forward mode needs one JVP per input column, so "
       "it wins when inputs are few and outputs many. jacobian(f, x) has shape output.shape + input.shape.",
       check=q_jacobian_cost)


def q_detach(fw):
    x = fw.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    with fw.no_grad():
        y = x * 2
    return d.data_ptr() == x.data_ptr() and not d.requires_grad and not y.requires_grad and x.requires_grad


lec.qa("What is the difference between no_grad() and detach()?",
       "no_grad is a context in which no op is recorded (results do not require grad); detach() returns a new "
       "tensor that shares the same storage but has no history. Use no_grad for inference and updates, detach "
       "to treat one tensor as a constant inside a recorded computation.",
       check=q_detach)


def q_nonleaf_grad(fw):
    x = fw.tensor([1.0, 2.0], requires_grad=True)
    h, k = x * 2, x * 3
    k.retain_grad()
    (h * k).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # torch warns when .grad of a non-leaf is read
        return h.grad is None and k.grad.tolist() == [2.0, 4.0]


lec.qa("Why is .grad of an intermediate tensor None after backward?",
       "Only leaves keep gradients (to save memory); call retain_grad() on the intermediate before backward, or "
       "register a hook on it, to see its gradient.",
       check=q_nonleaf_grad)


def q_hook(fw):
    x = fw.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 0 + 7)
    (x * x).sum().backward()
    return x.grad.tolist() == [7.0, 7.0]


lec.qa("What does a tensor hook that returns a tensor do?",
       "The returned tensor replaces the gradient of that tensor for everything downstream in the backward pass "
       "(here x.grad becomes 7 regardless of the true gradient 2x). Returning None leaves it unchanged.",
       check=q_hook)


def q_inplace(fw):
    x = fw.tensor([0.0, 1.0], requires_grad=True)
    e = x.exp()
    y = e.sum()
    before = e._version
    e.add_(1)
    return e._version == before + 1 and error_of(y.backward)[0] == "RuntimeError"


lec.qa("Why does 'one of the variables needed for gradient computation has been modified by an inplace "
       "operation' happen?",
       "A tensor that a backward node saved was modified in place after being saved; its storage's version "
       "counter (_version) no longer matches the version recorded at save time, and using it would give a wrong "
       "gradient silently. Fix: use the out-of-place op, or clone before modifying.",
       check=q_inplace)


def q_leaf_inplace(fw):
    w = fw.tensor([1.0, 2.0], requires_grad=True)
    failed = error_of(lambda: w.mul_(2)) is not None
    with fw.no_grad():
        w.mul_(2)
    return failed and w.tolist() == [2.0, 4.0] and w.requires_grad and w.is_leaf


lec.qa("How can an optimizer update a parameter in place if in-place ops on leaves raise?",
       "In-place ops on a leaf that requires grad are refused while recording (the update would be recorded as "
       "part of the graph); under no_grad they are allowed, which is how optimizer.step() updates parameters.",
       check=q_leaf_inplace)


def q_hvp(fw):
    x = fw.tensor([1.0, 2.0], dtype=fw.float64, requires_grad=True)
    g, = fw.autograd.grad((x ** 3).sum(), x, create_graph=True)
    hv, = fw.autograd.grad(g, x, grad_outputs=fw.tensor([1.0, 1.0], dtype=fw.float64))
    return hv.tolist() == [6.0, 12.0]


lec.qa("How do you compute a Hessian-vector product without the Hessian?",
       "Differentiate twice: g = grad(f, x, create_graph=True) records the backward pass, then grad(g, x, "
       "grad_outputs=v) = H v. Cost: about two backward passes, memory O(n) instead of O(n^2).",
       check=q_hvp)


def q_gradcheck32(fw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x32 = fw.tensor([0.3, 1.1], requires_grad=True)
        x64 = fw.tensor([0.3, 1.1], dtype=fw.float64, requires_grad=True)
        return (not fw.autograd.gradcheck(lambda t: t.sin(), (x32,), raise_exception=False)
                and fw.autograd.gradcheck(lambda t: t.sin(), (x64,)))


lec.qa("Why must gradcheck inputs be float64?",
       "gradcheck compares the analytical Jacobian with central differences (f(x+eps) - f(x-eps)) / 2eps with "
       "eps = 1e-6; in float32 the rounding error of f (~1e-7 relative) divided by 2e-6 swamps the derivative, "
       "so even sin fails.",
       check=q_gradcheck32)


def q_ste(fw):
    _, ste = custom_functions(fw)
    x = fw.tensor([-3.0, 0.0, 3.0], requires_grad=True)
    ste.apply(x, -1.0, 1.0).sum().backward()
    return x.grad.tolist() == [1.0, 1.0, 1.0]


lec.qa("What is a straight-through estimator and how do you write one?",
       "A Function whose forward is non-differentiable or flat (rounding, quantization, clamp) but whose backward "
       "passes the incoming gradient through as if it were the identity. Write it as an autograd.Function whose "
       "backward returns grad_out (and None for non-tensor arguments).",
       check=q_ste)


def q_int_grad(fw):
    return error_of(lambda: fw.tensor([1, 2], requires_grad=True))[0] == "RuntimeError"


lec.qa("Can an integer tensor require grad?",
       "No: gradients are only defined for floating-point (and complex) tensors; requires_grad=True on an integer "
       "tensor raises RuntimeError. Integer results of ops (argmax, comparisons) never require grad.",
       check=q_int_grad)

lec.finish()
