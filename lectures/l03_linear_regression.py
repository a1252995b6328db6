"""Linear regression from scratch: y = w x + b with hand-written gradients, then with autograd.

What you will learn: the mean-squared-error loss and its gradient derived by hand; gradient descent written
with plain tensors (no ``nn.Module``, no optimizer); the same loop driven by ``loss.backward()`` with updates
under ``no_grad`` and ``grad.zero_()``; how the answer compares with the closed-form least-squares solution;
and why the learning rate must stay below 2 / (largest eigenvalue of the Hessian).

Prerequisites: lecture 01 (tensors) and lecture 02 (autograd).
"""
# %%
import numpy as np
import matplotlib.pyplot as plt
import torch

import minitorch
from lectures.runtime import lecture

TEACHES = "y = wx + b with no nn.Module: MSE and its gradient by hand, manual gradient descent, then autograd; closed form; LR stability"
lec = lecture("03")

# %% [markdown]
# ## 1. The data
# We generate `y = 2.5 x - 1 + noise` with NumPy from a fixed seed, so both frameworks see exactly the same
# numbers. `x` is drawn from `[0, 2]` (not centred on zero, on purpose: it makes the problem a little
# ill-conditioned, which the deep dive uses). The best possible answer is the least-squares solution, which
# NumPy computes in closed form with `np.linalg.lstsq`: gradient descent must arrive there.

# %%
TRUE_W, TRUE_B, NOISE = 2.5, -1.0, 0.3
N = 200 if lec.quick else 200_000                 # data points
STEPS = 300 if lec.quick else 2_000                # gradient-descent steps
LR = 0.3                                           # below the stability bound 2 / lambda_max (0.42 quick, 0.46 full): deep dive
TOL = 1e-4                                         # float32 training vs the float64 closed form (|w - w*|, |b - b*|)

rng = np.random.default_rng(0)
x_np = rng.uniform(0.0, 2.0, N)
y_np = TRUE_W * x_np + TRUE_B + NOISE * rng.standard_normal(N)

design = np.stack([x_np, np.ones(N)], axis=1)      # rows [x_i, 1]: the model is design @ [w, b]
(w_star, b_star), *_ = np.linalg.lstsq(design, y_np, rcond=None)
loss_star = float(np.mean((w_star * x_np + b_star - y_np) ** 2))

lec.section("The data and the closed-form answer",
            f"{N} points y = {TRUE_W} x + ({TRUE_B}) + N(0, {NOISE}^2) noise, x ~ U[0, 2], generated once with NumPy "
            f"(seed 0) and handed to both frameworks. Closed-form least squares (np.linalg.lstsq): "
            f"w* = {w_star:.6f}, b* = {b_star:.6f}, loss* = {loss_star:.6f}. Noise keeps w*, b* slightly away from "
            f"the true 2.5 and -1, and loss* is about the noise variance {NOISE ** 2:.2f}.")

# %% [markdown]
# ## 2. Gradients by hand
# The loss is the mean squared error of the residuals `r_i = w x_i + b - y_i`:
#
#     L(w, b) = 1/N * sum_i r_i^2
#     dL/dw   = 2/N * sum_i r_i * x_i        (chain rule: dr_i/dw = x_i)
#     dL/db   = 2/N * sum_i r_i              (dr_i/db = 1)
#
# One gradient-descent step moves against the gradient: `w <- w - lr * dL/dw`, `b <- b - lr * dL/db`.
# Here `w` and `b` are plain 0-d tensors with `requires_grad=False`: nothing records a graph, the update is an
# ordinary in-place subtraction, and we write the gradient ourselves.


# %%
def manual_step(fw, w, b, x, y, lr):
    """One step of gradient descent with the MSE gradient written by hand; returns the loss before the step."""
    r = w * x + b - y                              # residuals
    loss = (r * r).mean()
    dw = 2 * (r * x).mean()                        # dL/dw = 2/N sum r_i x_i
    db = 2 * r.mean()                              # dL/db = 2/N sum r_i
    w -= lr * dw                                   # plain tensors: in-place update, no graph involved
    b -= lr * db
    return loss


# %% [markdown]
# ## 3. The same with autograd
# Now `w` and `b` are leaves with `requires_grad=True`. `loss.backward()` fills `w.grad` and `b.grad` with
# exactly the two formulas above. The update must not be recorded in the graph (and an in-place change of a
# leaf that requires grad is an error outside `no_grad`), so it runs under `fw.no_grad()`. `backward`
# *accumulates* into `.grad`, so the gradients are zeroed after each update with `grad.zero_()` — what an
# optimizer's `zero_grad()` does for you later.


# %%
def autograd_step(fw, w, b, x, y, lr):
    """One step of gradient descent with the gradient from loss.backward(); returns the loss before the step."""
    loss = ((w * x + b - y) ** 2).mean()
    loss.backward()                                # w.grad += dL/dw, b.grad += dL/db
    with fw.no_grad():                             # the update is not part of the model
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()                             # backward accumulates: clear for the next step
        b.grad.zero_()
    return loss.detach()


# %% [markdown]
# ## 4. The training loop, written once
# `fit` takes the framework module `fw` (`minitorch` or `torch`) and a step function; the same code trains
# on both frameworks and with both kinds of gradient.


# %%
def fit(fw, step, x_np, y_np, *, lr=LR, steps=STEPS, dtype="float32", desc=None):
    """Gradient descent from w = b = 0; returns (w, b, losses) with one loss per step."""
    dt = getattr(fw, dtype)
    x, y = fw.tensor(x_np, dtype=dt), fw.tensor(y_np, dtype=dt)
    track = step is autograd_step                  # leaves that require grad only for the autograd version
    w = fw.zeros((), dtype=dt, requires_grad=track)
    b = fw.zeros((), dtype=dt, requires_grad=track)
    loop = range(steps) if desc is None or lec.quick else lec.progress(range(steps), desc)
    losses = [step(fw, w, b, x, y, lr) for _ in loop]
    return w.detach(), b.detach(), fw.stack(losses)


def summary(w, b, losses):
    return f"w = {w.item():.6f}, b = {b.item():.6f}, final loss = {losses[-1].item():.6f}"


def reaches_closed_form(label, w, b):
    err = max(abs(w.item() - w_star), abs(b.item() - b_star))
    lec.check(f"{label} reaches lstsq within {TOL:g}", err <= TOL, f"max(|w - w*|, |b - b*|) = {err:.2e}")


# %%
lec.section("Manual gradient descent (no autograd)",
            f"w and b are plain float32 tensors; the MSE gradient is written by hand; {STEPS} steps at lr = {LR}. "
            "The same function runs on minitorch and on torch; the table row compares final w, b and the whole "
            "loss curve.")
manual = dict(zip(("minitorch", "torch"),
                  lec.compare("manual GD: w, b, loss curve", lambda fw: fit(fw, manual_step, x_np, y_np,
                                                                               desc=f"{fw.__name__} manual"))))
for name, result in manual.items():
    lec.note(f"{name} (manual): {summary(*result)}")
    reaches_closed_form(f"{name} manual GD", *result[:2])

# %%
lec.section("Gradient descent with autograd",
            "Same loop, but loss.backward() computes the gradient; updates under no_grad, then grad.zero_().")
auto = dict(zip(("minitorch", "torch"),
                lec.compare("autograd GD: w, b, loss curve", lambda fw: fit(fw, autograd_step, x_np, y_np,
                                                                               desc=f"{fw.__name__} autograd"))))
for name, result in auto.items():
    lec.note(f"{name} (autograd): {summary(*result)}")
    reaches_closed_form(f"{name} autograd GD", *result[:2])
    same = max(float(np.abs(a.numpy() - m.numpy()).max()) for a, m in zip(result, manual[name]))
    lec.check(f"{name}: autograd run equals manual run", same <= 1e-5, f"max |diff| = {same:.2e}")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
shown = np.random.default_rng(1).choice(N, size=min(N, 400), replace=False)
ax.scatter(x_np[shown], y_np[shown], s=8, alpha=0.4, color="gray", label="data")
grid = np.array([0.0, 2.0])
ax.plot(grid, w_star * grid + b_star, color="black", lw=4, alpha=0.3, label=f"lstsq  w*={w_star:.3f} b*={b_star:.3f}")
for (name, (w, b, _)), style in zip(auto.items(), ("-", "--")):
    ax.plot(grid, w.item() * grid + b.item(), style, lw=1.5, label=f"{name}  w={w.item():.3f} b={b.item():.3f}")
ax.set(xlabel="x", ylabel="y", title="Fitted lines (autograd GD) vs closed form")
ax.legend(fontsize=8)
lec.figure(fig, "fit", "data, the closed-form line and the lines fitted by minitorch and torch (they coincide)")

fig, ax = plt.subplots(figsize=(6, 4))
for runs, kind in ((manual, "manual"), (auto, "autograd")):
    for (name, (_, _, losses)), style in zip(runs.items(), ("-", "--")):
        ax.plot(losses.numpy(), style, lw=1.5, label=f"{name} ({kind})")
ax.axhline(loss_star, color="black", lw=1, ls=":", label="lstsq loss*")
ax.set(yscale="log", xlabel="step", ylabel="MSE loss", title="Loss curves, both frameworks")
ax.legend(fontsize=8)
lec.figure(fig, "loss", "training loss per step: minitorch and torch, manual and autograd gradients (curves overlap)")

# %% [markdown]
# ## 5. Deep dive: the gradient, the Hessian and the largest stable learning rate
# With rows `a_i = [x_i, 1]` the loss is `L(theta) = 1/N |A theta - y|^2`, so
# `grad L = 2/N A^T (A theta - y)` (the two hand-written formulas, stacked) and the Hessian is the constant
# matrix `H = 2/N A^T A`. Setting the gradient to zero gives the normal equations `A^T A theta = A^T y`,
# the closed form. Gradient descent changes the error `e = theta - theta*` by `e <- (I - lr H) e` exactly,
# so along each eigenvector of `H` the error is multiplied by `1 - lr * lambda` every step. It shrinks only if
# `|1 - lr * lambda| < 1` for every eigenvalue, i.e. `lr < 2 / lambda_max`. Convergence speed is set by
# the smallest eigenvalue: `|1 - lr * lambda_min|` per step, which is why badly conditioned data (x far from
# centred) trains slowly.

# %%
hessian = 2.0 / N * design.T @ design
lam_min, lam_max = np.linalg.eigvalsh(hessian)
LR_MAX = 2.0 / lam_max
lec.section("Deep dive: gradient, Hessian and the learning-rate bound",
            f"H = 2/N A^T A has eigenvalues {lam_min:.4f} and {lam_max:.4f} (condition number "
            f"{lam_max / lam_min:.1f}): gradient descent is stable for lr < 2/lambda_max = {LR_MAX:.4f}. "
            f"At lr = {LR} the slowest direction contracts by |1 - lr lambda_min| = {abs(1 - LR * lam_min):.3f} per step.")

# the MSE gradient checked three ways: hand formula, autograd, and NumPy central differences
theta0 = np.array([0.7, 0.2])


def mse64(fw, w, b):
    return ((w * fw.tensor(x_np) + b - fw.tensor(y_np)) ** 2).mean()


def point(fw):
    return [fw.tensor(v, dtype=fw.float64, requires_grad=True) for v in theta0]


def grads_by_autograd_and_hand(fw):
    w, b = point(fw)
    loss = mse64(fw, w, b)
    gw, gb = fw.autograd.grad(loss, (w, b))
    r = w.detach() * fw.tensor(x_np) + b.detach() - fw.tensor(y_np)
    return gw, gb, 2 * (r * fw.tensor(x_np)).mean(), 2 * r.mean()


mt_grads, _ = lec.compare("MSE grad: autograd and by hand", grads_by_autograd_and_hand, tol=1e-12)
eps = 1e-6
numeric = [float(np.mean(((theta0 + eps * d) @ design.T - y_np) ** 2) - np.mean(((theta0 - eps * d) @ design.T - y_np) ** 2))
           / (2 * eps) for d in np.eye(2)]
hand = [g.item() for g in mt_grads]
lec.check("autograd gradient == hand-derived formula (float64)",
          np.allclose(hand[:2], hand[2:], rtol=1e-12, atol=1e-12), f"autograd {hand[:2]}, formula {hand[2:]}")
lec.check("hand-derived gradient == central differences (NumPy)", np.allclose(hand[2:], numeric, rtol=1e-6),
          f"finite differences {numeric}")


def hessian_by_double_backward(fw):
    w, b = point(fw)
    gw, gb = fw.autograd.grad(mse64(fw, w, b), (w, b), create_graph=True)
    rows = [fw.stack(fw.autograd.grad(g, (w, b), retain_graph=True)) for g in (gw, gb)]
    return fw.stack(rows)


mt_hessian, _ = lec.compare("Hessian by double backward", hessian_by_double_backward, tol=1e-12)
lec.check("double-backward Hessian == 2/N A^T A", np.allclose(mt_hessian.numpy(), hessian, rtol=1e-12),
          f"H = {np.array2string(hessian, precision=4)}")

# %% [markdown]
# Now the bound in action: the same `fit` at 0.9x and 1.1x of `2 / lambda_max`. Below the bound the top
# direction oscillates (factor `1 - 0.9*2 = -0.8`) but shrinks; above it the error grows by `|1 - 1.1*2| = 1.2`
# per step, so the loss (quadratic in the error) grows by `1.2^2 = 1.44` per step on both frameworks.

# %%
DIVERGE_STEPS = 60
diverge = {}
for factor in (0.9, 1.1):
    mt, th = lec.compare(f"GD at lr = {factor} x 2/lambda_max", lambda fw: fit(fw, autograd_step, x_np, y_np,
                         lr=factor * LR_MAX, steps=DIVERGE_STEPS, dtype="float64"), tol=1e-9)
    diverge[factor] = {"minitorch": mt, "torch": th}
predicted = (1.1 * LR_MAX * lam_max - 1) ** 2
for name in ("minitorch", "torch"):
    below, above = diverge[0.9][name][2].numpy(), diverge[1.1][name][2].numpy()
    rate = above[-1] / above[-2]
    lec.check(f"{name}: lr 10% above the bound diverges at the predicted rate",
              above[-1] > 1e6 * above[0] and abs(rate / predicted - 1) < 1e-2,
              f"loss {above[0]:.3g} -> {above[-1]:.3g}; growth per step {rate:.4f}, predicted (lr*lambda_max-1)^2 = {predicted:.4f}")
    lec.check(f"{name}: lr 10% below the bound converges", below[-1] < below[0] and below[-1] < 2 * loss_star,
              f"loss {below[0]:.3g} -> {below[-1]:.4g}")

fig, ax = plt.subplots(figsize=(6, 4))
for factor, color in ((0.9, "tab:blue"), (1.1, "tab:red")):
    for name, style in (("minitorch", "-"), ("torch", "--")):
        ax.plot(diverge[factor][name][2].numpy(), style, color=color, label=f"{name}, lr = {factor} x 2/lambda_max")
ax.set(yscale="log", xlabel="step", ylabel="MSE loss", title="Learning rate just below and just above 2/lambda_max")
ax.legend(fontsize=8)
lec.figure(fig, "divergence", "the stability bound: 0.9x converges, 1.1x diverges (loss x1.44 per step), on both frameworks")

lec.note("Why not always use the closed form? Solving the normal equations costs O(N d^2 + d^3) and needs all the "
         "data at once; gradient descent needs only gradients, works on mini-batches, and extends unchanged to "
         "models with no closed form (every neural network). Linear regression is the one place where we can "
         "check the optimizer against the exact answer.")

# %% [markdown]
# ## 6. Interview questions
# Where an answer states a behaviour, `check=` runs it on both frameworks.

# %%
lec.section("Interview questions", "Answers that state a behaviour are checked on minitorch and on torch.")
SMALL = x_np[:50], y_np[:50]                        # small float64 problems for the checks


def params(fw, w=0.7, b=0.2):
    return (fw.tensor(w, dtype=fw.float64, requires_grad=True), fw.tensor(b, dtype=fw.float64, requires_grad=True))


def data(fw, xs=SMALL[0], ys=SMALL[1]):
    return fw.tensor(xs), fw.tensor(ys)


def close(a, b, rtol=1e-10):
    """Two 0-d tensors agree to rtol (written with item() so it reads the same on both frameworks)."""
    return abs(a.item() - b.item()) <= rtol * max(1.0, abs(b.item()))


def check_formula(fw):
    (w, b), (x, y) = params(fw), data(fw)
    ((w * x + b - y) ** 2).mean().backward()
    r = (w * x + b - y).detach()
    return close(w.grad, 2 * (r * x).mean()) and close(b.grad, 2 * r.mean())


lec.qa("What is the gradient of the MSE loss L = mean((w x + b - y)^2) with respect to w and b?",
       "With residuals r = w x + b - y: dL/dw = 2 mean(r x) and dL/db = 2 mean(r). In matrix form "
       "grad = 2/N A^T (A theta - y). autograd computes exactly this.", check=check_formula)


def check_accumulates(fw):
    (w, b), (x, y) = params(fw), data(fw)
    ((w * x + b - y) ** 2).mean().backward()
    once = w.grad.clone()
    ((w * x + b - y) ** 2).mean().backward()
    return close(w.grad, 2 * once)


lec.qa("Why do you call grad.zero_() (or optimizer.zero_grad()) every step?",
       "backward() adds into .grad instead of overwriting it (so gradients from several losses or micro-batches can "
       "be accumulated). Without zeroing, the second step would use the sum of both steps' gradients.",
       check=check_accumulates)


def check_inplace_leaf(fw):
    (w, _), (x, y) = params(fw), data(fw)
    ((w * x - y) ** 2).mean().backward()
    try:
        w -= 0.1 * w.grad
        return False
    except RuntimeError as e:
        raised = "leaf" in str(e)
    with fw.no_grad():
        w -= 0.1 * w.grad
    return raised and w.is_leaf and w.requires_grad


lec.qa("Why are the parameter updates done under torch.no_grad()?",
       "The update is not part of the model, so it must not be recorded in the graph. And an in-place change of a leaf "
       "that requires grad is refused outside no_grad (RuntimeError: a leaf Variable that requires grad is being used "
       "in an in-place operation); inside no_grad it works and w stays a leaf.", check=check_inplace_leaf)


def check_out_of_place(fw):
    (w, _), (x, y) = params(fw), data(fw)
    ((w * x - y) ** 2).mean().backward()
    w2 = w - 0.1 * w.grad
    return (not w2.is_leaf) and w2.grad_fn is not None and w2.requires_grad


lec.qa("What goes wrong with `w = w - lr * w.grad` written without no_grad?",
       "The new w is the output of an operation: it is not a leaf and carries a grad_fn, so the graph keeps growing "
       "step after step, and the next backward() leaves its .grad empty (only leaves get .grad).",
       check=check_out_of_place)


def check_bound(fw):
    xs, ys = SMALL
    a = np.stack([xs, np.ones_like(xs)], 1)
    lr_max = 2.0 / np.linalg.eigvalsh(2.0 / len(xs) * a.T @ a).max()
    losses = {f: fit(fw, autograd_step, xs, ys, lr=f * lr_max, steps=40, dtype="float64")[2] for f in (0.95, 1.05)}
    return losses[0.95][-1].item() < losses[0.95][0].item() < losses[1.05][-1].item()


lec.qa("What is the largest learning rate for which gradient descent on MSE converges?",
       "lr < 2 / lambda_max, where lambda_max is the largest eigenvalue of the Hessian 2/N A^T A: each step multiplies the "
       "error along an eigenvector by (1 - lr lambda). At 0.95x the bound the loss falls; at 1.05x it grows.",
       check=check_bound)


def check_normal_equations(fw):
    w, b = params(fw, w_star, b_star)
    x, y = data(fw, x_np, y_np)
    gw, gb = fw.autograd.grad(((w * x + b - y) ** 2).mean(), (w, b))
    return abs(gw.item()) < 1e-10 and abs(gb.item()) < 1e-10


lec.qa("Linear regression has a closed form. What is it, and why train it with gradient descent anyway?",
       "theta* solves the normal equations A^T A theta = A^T y (the gradient is zero there; use lstsq/QR rather than "
       "inverting A^T A). GD is used because it needs only gradients, streams over mini-batches, and carries over to "
       "models with no closed form.", check=check_normal_equations)


def check_centering(fw):
    xs, ys = SMALL
    xc = xs - xs.mean()                             # same best loss (b absorbs the shift), better conditioning
    best = np.mean((np.polyval(np.polyfit(xs, ys, 1), xs) - ys) ** 2)
    raw = fit(fw, autograd_step, xs, ys, lr=0.3, steps=30, dtype="float64")[2][-1].item() - best
    centred = fit(fw, autograd_step, xc, ys, lr=0.3, steps=30, dtype="float64")[2][-1].item() - best
    return centred < raw / 100


lec.qa("Why does centering or standardizing x speed up gradient descent?",
       "With centred x the Hessian 2/N A^T A becomes diagonal and its condition number drops, so one learning rate "
       "suits both directions: after 30 steps at lr 0.3 the excess loss is 100x smaller than with raw x in [0, 2].",
       check=check_centering)


def check_sum_vs_mean(fw):
    (w, b), (x, y) = params(fw), data(fw)
    g_mean = fw.autograd.grad(((w * x + b - y) ** 2).mean(), w)[0]
    g_sum = fw.autograd.grad(((w * x + b - y) ** 2).sum(), w)[0]
    return close(g_sum, len(SMALL[0]) * g_mean)


lec.qa("How does using a sum instead of a mean in the loss change training?",
       "The gradient is N times larger, so the learning rate must be N times smaller for the same steps (and would "
       "have to change whenever the batch size changes); the mean keeps lr independent of N.", check=check_sum_vs_mean)


def check_minibatch(fw):
    (w, b), (x, y) = params(fw), data(fw)
    full = fw.autograd.grad(((w * x + b - y) ** 2).mean(), w)[0]
    parts = [fw.autograd.grad(((w * xb + b - yb) ** 2).mean(), w)[0] for xb, yb in zip(x.split(10), y.split(10))]
    return close(fw.stack(parts).mean(), full)


lec.qa("Is the full-batch gradient the average of the mini-batch gradients?",
       "Yes, for a mean loss and equal-sized batches that partition the data. A random mini-batch gradient is an "
       "unbiased (but noisy) estimate of the full gradient: that is SGD.", check=check_minibatch)


def check_convex(fw):
    w, b = params(fw)
    x, y = data(fw)
    gw, gb = fw.autograd.grad(((w * x + b - y) ** 2).mean(), (w, b), create_graph=True)
    h = np.array([[g.item() for g in fw.autograd.grad(gi, (w, b), retain_graph=True)] for gi in (gw, gb)])
    return bool(np.linalg.eigvalsh(h).min() > 0)


lec.qa("Is the MSE loss of linear regression convex? How would you show it?",
       "Yes: its Hessian 2/N A^T A is positive semi-definite (positive definite when the x are not all equal), "
       "so every local minimum is global and GD with a small enough lr finds it from any start. Double backward "
       "gives the Hessian; its eigenvalues are positive.", check=check_convex)


def check_item(fw):
    (w, b), (x, y) = params(fw), data(fw)
    loss = ((w * x + b - y) ** 2).mean()
    kept = loss.detach()
    return isinstance(loss.item(), float) and kept.grad_fn is None and not kept.requires_grad


lec.qa("Why log loss.item() (or loss.detach()) rather than the loss tensor itself?",
       "The loss tensor holds its grad_fn and with it the whole graph of that step; keeping a list of them keeps "
       "every graph alive. item() gives a Python float; detach() a tensor with no grad_fn.", check=check_item)


def check_requires_grad(fw):
    x = fw.tensor(SMALL[0])
    w = fw.tensor(1.0, dtype=fw.float64, requires_grad=True)
    return (not x.requires_grad) and (w * x).requires_grad and not (x * 2).requires_grad


lec.qa("Which tensors need requires_grad=True here, and what is the default?",
       "Only the parameters w and b. Tensors are created with requires_grad=False (the data x, y); any result "
       "computed from a tensor that requires grad requires grad itself.", check=check_requires_grad)


def check_float32(fw):
    w, b, _ = fit(fw, autograd_step, x_np, y_np, steps=300, dtype="float32")
    return abs(w.item() - w_star) < TOL and abs(b.item() - b_star) < TOL and w.dtype == fw.float32


lec.qa("Is float32 precise enough to reach the exact least-squares answer?",
       f"Here yes, to about 1e-6: float32 gradient descent lands within {TOL:g} of the float64 lstsq solution. "
       "Rounding in the gradient limits how close it gets, more so with badly conditioned data (error ~ eps / lambda_min).",
       check=check_float32)


def check_loss_floor(fw):
    w, b, losses = fit(fw, autograd_step, x_np, y_np, steps=300, dtype="float64")
    return abs(losses[-1].item() - loss_star) < 1e-9 * loss_star + 1e-12


lec.qa("Why does the loss stop at about 0.09 rather than going to zero?",
       f"The noise (std {NOISE}) cannot be predicted by any line: the best achievable MSE is the lstsq residual, "
       f"whose expected value is sigma^2 (N-2)/N = {NOISE ** 2 * (N - 2) / N:.4f}; here loss* = {loss_star:.4f}, and GD converges to exactly it.",
       check=check_loss_floor)

lec.qa("Why is initializing w = b = 0 fine here but not for a neural network?",
       "The loss is convex with a single minimum, so any start works. In a network, hidden units initialized "
       "identically get identical gradients and stay identical (symmetry), so weights are initialized randomly.")

# %%
lec.finish()
