"""Optimization: SGD, momentum, Nesterov, RMSprop, Adam and AdamW on 2-D loss surfaces, and LR schedules.

What you will learn: the update rule of each of the six optimizers exactly as `torch.optim` writes it;
what each does on an ill-conditioned convex quadratic and on the non-convex Rosenbrock valley (paths
drawn over contour plots, run with `minitorch.optim` and `torch.optim` from the same start); the effect of
the learning rate (too small, good, divergent); learning-rate schedules (StepLR, CosineAnnealingLR,
OneCycleLR, CosineAnnealingWarmRestarts, ReduceLROnPlateau); L2 weight decay versus AdamW's decoupled
decay; and, in the deep dive, why Adam needs bias correction, with every update rule re-implemented in
NumPy and checked against both frameworks.

Prerequisites: lecture 02 (autograd) and lecture 03 (gradient descent, the 2 / lambda_max bound).
"""
# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

import minitorch
from lectures.runtime import lecture

TEACHES = ("SGD, momentum, Nesterov, RMSprop, Adam, AdamW on convex and Rosenbrock surfaces; learning rate "
           "too small/good/divergent; LR schedulers; L2 vs decoupled weight decay; Adam's bias correction")
lec = lecture("04")
FRAMEWORKS = (minitorch, torch)
FRAMEWORK_NAMES = ("minitorch", "torch")
TOL = 1e-10                                        # float64 trajectories: minitorch vs torch

# %% [markdown]
# ## 1. Two loss surfaces
# Every experiment optimizes a single 2-D parameter `p = (x, y)` so the whole run can be drawn.
#
# * **An ill-conditioned quadratic** `f(p) = 1/2 p^T H p` with `H = R diag(1, 20) R^T` (`R` a rotation by
#   -30 degrees). It is convex (H is positive definite), its minimum is `p = 0`, and its condition number
#   is 20: a long narrow valley that does not line up with the axes.
# * **The Rosenbrock function** `f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`: a curved, flat-bottomed valley
#   with its minimum at `(1, 1)`. It is not convex (its Hessian has a negative eigenvalue at `(0, 1)`),
#   which lecture 03's linear regression never was.
#
# Both are written once against the framework API, so `f(minitorch, p)` and `f(torch, p)` build the
# same graph.

# %%
ANGLE = np.deg2rad(-30.0)
ROT = np.array([[np.cos(ANGLE), -np.sin(ANGLE)], [np.sin(ANGLE), np.cos(ANGLE)]])
EIGS = np.array([1.0, 20.0])
H_NP = ROT @ np.diag(EIGS) @ ROT.T                 # Hessian of the quadratic (constant)
LR_BOUND = 2.0 / EIGS.max()                        # plain gradient descent is stable for lr < 2 / lambda_max


def quadratic(fw, p):
    """f(p) = 1/2 p^T H p: convex, minimum 0 at the origin, condition number 20."""
    return 0.5 * (p @ (fw.tensor(H_NP) @ p))


def rosenbrock(fw, p):
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2: non-convex, minimum 0 at (1, 1)."""
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def hessian_at(f, point):
    """The Hessian of f at a point, by double backward (autograd.functional.hessian), on each framework."""
    return lambda fw: fw.autograd.functional.hessian(lambda p: f(fw, p), fw.tensor(point, dtype=fw.float64))


lec.section("Two loss surfaces",
            f"A convex quadratic 1/2 p^T H p with eigenvalues {EIGS[0]:g} and {EIGS[1]:g} (rotated by -30 degrees, "
            "condition number 20, minimum at 0) and the non-convex Rosenbrock valley (minimum at (1, 1)). Their "
            "Hessians are computed by double backward on both frameworks.")
h_quad, _ = lec.compare("quadratic: Hessian at (1, 2)", hessian_at(quadratic, [1.0, 2.0]), tol=TOL)
h_rosen, _ = lec.compare("Rosenbrock: Hessian at (0, 1)", hessian_at(rosenbrock, [0.0, 1.0]), tol=TOL)
lec.check("quadratic: Hessian == H everywhere (convex: eigenvalues 1 and 20)",
          np.allclose(h_quad.numpy(), H_NP, rtol=1e-12), f"eigenvalues {np.linalg.eigvalsh(h_quad.numpy())}")
rosen_eigs = np.linalg.eigvalsh(h_rosen.numpy())
lec.check("Rosenbrock: Hessian at (0, 1) has a negative eigenvalue (not convex)", rosen_eigs.min() < 0,
          f"eigenvalues {rosen_eigs}")

# %% [markdown]
# ## 2. Six update rules, as torch.optim writes them
# With gradient `g`, learning rate `lr`, step count `t` (all state starts at zero):
#
#     SGD        p <- p - lr g
#     momentum   b <- mu b + g            (b = g on the first step)     p <- p - lr b
#     Nesterov   b <- mu b + g                                          p <- p - lr (g + mu b)
#     RMSprop    v <- alpha v + (1 - alpha) g^2                         p <- p - lr g / (sqrt(v) + eps)
#     Adam       m <- beta1 m + (1 - beta1) g,  v <- beta2 v + (1 - beta2) g^2
#                p <- p - lr m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)
#     AdamW      p <- p (1 - lr wd), then the Adam step
#
# Note torch's momentum form: the buffer accumulates raw gradients and `lr` multiplies it at the step
# (some textbooks put `lr` inside the buffer; the two agree while `lr` is constant, not under a schedule).
# Each optimizer gets hyper-parameters that suit each surface (the quadratic's bound is lr < 0.1).

# %%
SURFACES = {   # function, start, steps (longer in full mode), steps compared to TOL, plot window, minimum, and
    #              {optimizer name: (class, options)}
    "quadratic": dict(f=quadratic, start=[-4.0, 3.0], steps=60 if lec.quick else 200, compared=60,
                      xlim=(-5, 5), ylim=(-4, 4), minimum=(0.0, 0.0), optimizers={
                          "SGD": ("SGD", dict(lr=0.09)),
                          "momentum": ("SGD", dict(lr=0.02, momentum=0.8)),
                          "Nesterov": ("SGD", dict(lr=0.02, momentum=0.8, nesterov=True)),
                          "RMSprop": ("RMSprop", dict(lr=0.1)),
                          "Adam": ("Adam", dict(lr=0.5)),
                          "AdamW": ("AdamW", dict(lr=0.5, weight_decay=0.1))}),
    "Rosenbrock": dict(f=rosenbrock, start=[-1.5, 2.0], steps=150 if lec.quick else 3000, compared=150,
                       xlim=(-2, 2), ylim=(-1, 3), minimum=(1.0, 1.0), optimizers={
                           "SGD": ("SGD", dict(lr=1.5e-3)),
                           "momentum": ("SGD", dict(lr=1e-3, momentum=0.9)),
                           "Nesterov": ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True)),
                           "RMSprop": ("RMSprop", dict(lr=1e-2)),
                           "Adam": ("Adam", dict(lr=0.1)),
                           "AdamW": ("AdamW", dict(lr=0.1, weight_decay=0.1))}),
}


def trajectory(fw, f, cls, options, start, steps, scale=1.0):
    """Runs fw.optim.<cls>(**options) on f from start; returns (path of p, one loss per step), float64.

    The ordinary training loop: zero_grad, forward, backward, step."""
    p = fw.tensor(start, dtype=fw.float64, requires_grad=True)
    opt = getattr(fw.optim, cls)([p], **options)
    path, losses = [p.detach().clone()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = scale * f(fw, p)
        loss.backward()
        opt.step()
        path.append(p.detach().clone())
        losses.append(loss.detach())
    return fw.stack(path), fw.stack(losses)


# %% [markdown]
# The two frameworks do not round every operation identically (torch's CPU kernels may fuse a multiply-add, sum
# in another order), so paths differ by about 1e-16 from the first step. Gradient descent with momentum contracts
# such differences; adaptive methods near a minimum (steps of about lr whatever the gradient) and long runs on the
# Rosenbrock valley amplify them, like any chaotic iteration. The table therefore compares the first 60 / 150
# steps to 1e-10 (the whole run in quick mode); `--full` runs much longer and reports how far the two paths drift.
# (In `--full`, Adam on Rosenbrock also shows a classic instability: once the gradients are tiny, `sqrt(v_hat)`
# is tiny too, and a small bump in the gradient gives a step of about `lr` that throws p out of the minimum.)

# %%
lec.section("Trajectories on both surfaces",
            "Each optimizer runs from the same start on minitorch and on torch in float64; the table rows compare "
            f"the path and loss curve (tolerance {TOL:g}). Paths are drawn over the contours: minitorch as a "
            "coloured line, torch as a thin black dashed line on top.")
paths = {}                                         # (surface, optimizer) -> {"minitorch": (path, losses), "torch": ...}


def compared_run(fw, spec, cls, options):
    """Runs the whole trajectory (kept in `paths`); returns its first spec["compared"] steps for the table."""
    path, losses = trajectory(fw, spec["f"], cls, options, spec["start"], spec["steps"])
    paths[surface, name][fw.__name__] = (path.numpy(), losses.numpy())
    return path[:spec["compared"] + 1], losses[:spec["compared"]]


runs = [(s, o) for s in SURFACES for o in SURFACES[s]["optimizers"]]
for surface, name in (runs if lec.quick else lec.progress(runs, "trajectories")):
    spec, paths[surface, name] = SURFACES[surface], {}
    cls, options = spec["optimizers"][name]
    lec.compare(f"{surface}: {name} ({min(spec['steps'], spec['compared'])} steps)",
                lambda fw: compared_run(fw, spec, cls, options), tol=TOL)
    if spec["steps"] > spec["compared"]:
        drift = np.abs(paths[surface, name]["minitorch"][0] - paths[surface, name]["torch"][0]).max(axis=1)
        above = np.flatnonzero(drift > TOL)
        lec.note(f"{surface}, {name}: the paths differ by at most {drift[:spec['compared'] + 1].max():.1e} over the "
                 f"compared steps and {drift.max():.1e} over all {spec['steps']}"
                 + (f" (above {TOL:g} from step {above[0]} on)" if above.size else ""))

for surface, spec in SURFACES.items():
    for name in spec["optimizers"]:
        path, losses = paths[surface, name]["minitorch"]
        lec.note(f"{surface}, {name} {spec['optimizers'][name][1]}: loss {losses[0]:.3g} -> {losses[-1]:.3g} after "
                 f"{spec['steps']} steps, p = {np.round(path[-1], 4)}")

quad_final = {n: paths["quadratic", n]["torch"][1][-1] for n in SURFACES["quadratic"]["optimizers"]}
lec.check("quadratic: every optimizer reduces the loss by 1000x", max(quad_final.values()) < 1e-3 * 12.0,
          ", ".join(f"{n} {v:.2e}" for n, v in quad_final.items()))
rosen_final = {n: paths["Rosenbrock", n]["torch"][1][-1] for n in SURFACES["Rosenbrock"]["optimizers"]}
lec.check("Rosenbrock: momentum and Nesterov get further along the valley than plain SGD",
          max(rosen_final["momentum"], rosen_final["Nesterov"]) < rosen_final["SGD"],
          ", ".join(f"{n} {v:.2e}" for n, v in rosen_final.items()))


# %%
def surface_values(surface, X, Y):
    """The surface on a grid, in NumPy (for the contour lines only)."""
    if surface == "quadratic":
        P = np.stack([X, Y], axis=-1)
        return 0.5 * np.einsum("...i,ij,...j->...", P, H_NP, P)
    return rosenbrock(np, np.stack([X, Y]))        # indexing and arithmetic only: NumPy arrays work as they are


def draw_contours(ax, surface):
    spec = SURFACES[surface]
    X, Y = np.meshgrid(np.linspace(*spec["xlim"], 150), np.linspace(*spec["ylim"], 150))
    Z = surface_values(surface, X, Y)
    levels = np.logspace(-1, 2, 12) if surface == "quadratic" else np.logspace(-1, 3.3, 14)
    ax.contour(X, Y, Z, levels=levels, colors="gray", linewidths=0.6, alpha=0.7)
    ax.plot(*spec["minimum"], "k*", ms=10)
    ax.set(xlim=spec["xlim"], ylim=spec["ylim"])


fig, axes = plt.subplots(2, 2, figsize=(11, 8.5), gridspec_kw=dict(height_ratios=(3, 2)))
for (top, bottom), (surface, spec) in zip(axes.T, SURFACES.items()):
    draw_contours(top, surface)
    for name, color in zip(spec["optimizers"], plt.cm.tab10.colors):
        (mt_path, mt_loss), (th_path, th_loss) = paths[surface, name]["minitorch"], paths[surface, name]["torch"]
        top.plot(mt_path[:, 0], mt_path[:, 1], "-", color=color, lw=1.6, label=name)
        top.plot(th_path[:, 0], th_path[:, 1], "--", color="black", lw=0.6)
        bottom.plot(mt_loss, "-", color=color, lw=1.6, label=name)
        bottom.plot(th_loss, "--", color="black", lw=0.5)
    top.plot(*spec["start"], "ko", ms=5)
    top.set_title(f"{surface}: {spec['steps']} steps from {tuple(spec['start'])}", fontsize=9)
    top.legend(fontsize=7, loc="lower right")
    bottom.set(yscale="log", xlabel="step", ylabel="loss")
lec.figure(fig, "paths", "the six optimizers' paths over the contours (top) and their losses (bottom): minitorch as "
           "coloured lines, torch as thin black dashes on top of them")

# %% [markdown]
# ## 3. The learning rate: too small, good, divergent
# On the quadratic, plain gradient descent multiplies the error along each eigenvector of H by `1 - lr lambda`
# per step (lecture 03). With eigenvalues 1 and 20: at `lr = 0.01` the flat direction shrinks by only 0.99 per
# step (too slow); the best single rate is `2 / (lambda_min + lambda_max) = 0.095`, where both directions
# shrink by the same factor 0.905; above `2 / lambda_max = 0.1` the steep direction grows (|1 - 20 lr| > 1) and
# the run diverges, whatever the other direction does.

# %%
LRS = {"too small": 0.01, "good": 2.0 / EIGS.sum(), "divergent": 0.105}
LR_STEPS = 60
lec.section("The effect of the learning rate",
            f"Plain SGD on the quadratic for {LR_STEPS} steps at lr = {LRS['too small']}, {LRS['good']:.4f} "
            f"(= 2 / (lambda_min + lambda_max)) and {LRS['divergent']} (above the bound 2 / lambda_max = {LR_BOUND}).")
lr_runs = {}
for label, lr in LRS.items():
    results = lec.compare(f"SGD lr = {lr:.4g} ({label})", lambda fw: trajectory(
        fw, quadratic, "SGD", dict(lr=lr), SURFACES["quadratic"]["start"], LR_STEPS), tol=TOL)
    lr_runs[label] = {name: tuple(t.numpy() for t in r) for name, r in zip(FRAMEWORK_NAMES, results)}
start_loss = lr_runs["good"]["torch"][1][0]
for label, lr in LRS.items():
    factor = max(abs(1 - lr * EIGS))                # slowest contraction (or fastest growth) of the error per step
    final = lr_runs[label]["torch"][1][-1]
    predicted = start_loss * factor ** (2 * (LR_STEPS - 1))
    lec.note(f"lr = {lr:.4g} ({label}): max |1 - lr lambda| = {factor:.4f}; loss {start_loss:.3g} -> {final:.3g}")
    ok = {"too small": final > 1e-2 * start_loss, "good": final < 1e-4 * start_loss,
          "divergent": final > 10 * start_loss}[label]
    lec.check(f"lr {label}: behaves as max|1 - lr lambda| = {factor:.3f} predicts", ok,
              f"final loss {final:.3g} (from the slowest factor alone: about {predicted:.3g})")

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
draw_contours(axes[0], "quadratic")
for (label, run), color in zip(lr_runs.items(), ("tab:blue", "tab:green", "tab:red")):
    mt, th = run["minitorch"], run["torch"]
    axes[0].plot(mt[0][:, 0], mt[0][:, 1], "-", color=color, lw=1.2, label=f"{label} (lr = {LRS[label]:.3g})")
    axes[0].plot(th[0][:, 0], th[0][:, 1], "--", color="black", lw=0.6)
    axes[1].plot(mt[1], "-", color=color, label=f"{label}, minitorch")
    axes[1].plot(th[1], "--", color="black", lw=0.7)
axes[0].set_title("paths (torch: black dashes)")
axes[0].legend(fontsize=7, loc="lower right")
axes[1].set(yscale="log", xlabel="step", ylabel="loss", title="loss (torch: dashed)")
axes[1].legend(fontsize=7, loc="upper left")
lec.figure(fig, "learning_rate", "SGD on the quadratic: too small crawls, 2/(lambda_min + lambda_max) converges "
           "fastest, 0.105 > 2/lambda_max oscillates with growing amplitude")

# %% [markdown]
# ## 4. Learning-rate schedules
# A scheduler rewrites `param_groups[i]["lr"]` each time its `step()` is called (once per epoch, after
# `optimizer.step()`; OneCycleLR once per batch). Its constructor already sets the lr of "epoch 0".
# `ReduceLROnPlateau` is different: `step(metric)` takes the validation loss and cuts the lr by `factor`
# after `patience` epochs without improvement. `OneCycleLR` also cycles the momentum (down while the lr goes
# up), so it is recorded too.

# %%
EPOCHS = 100
rng = np.random.default_rng(0)
PLATEAU_METRIC = np.maximum(1.0 / (1 + np.arange(EPOCHS) / 8), 0.3) + 0.01 * rng.standard_normal(EPOCHS)

SCHEDULES = {   # name -> (scheduler class, options)
    "StepLR": ("StepLR", dict(step_size=25, gamma=0.5)),
    "CosineAnnealingLR": ("CosineAnnealingLR", dict(T_max=EPOCHS, eta_min=0.01)),
    "OneCycleLR": ("OneCycleLR", dict(max_lr=1.0, total_steps=EPOCHS)),
    "CosineAnnealingWarmRestarts": ("CosineAnnealingWarmRestarts", dict(T_0=10, T_mult=2, eta_min=0.01)),
    "ReduceLROnPlateau": ("ReduceLROnPlateau", dict(factor=0.5, patience=5)),
}


def schedule(fw, cls, options):
    """The lr (and momentum) of each epoch under the scheduler, SGD(lr=0.5, momentum=0.9) on one parameter."""
    p = fw.zeros(1, requires_grad=True)
    opt = fw.optim.SGD([p], lr=0.5, momentum=0.9)
    sched = getattr(fw.optim.lr_scheduler, cls)(opt, **options)
    lrs, momenta = [], []
    for epoch in range(EPOCHS):
        lrs.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
        opt.step()                                 # (training would happen here)
        sched.step(float(PLATEAU_METRIC[epoch])) if cls == "ReduceLROnPlateau" else sched.step()
    return lrs, momenta


lec.section("Learning-rate schedules",
            f"Five schedulers on SGD(lr=0.5, momentum=0.9) for {EPOCHS} epochs; each row compares the lr and momentum "
            "of every epoch. ReduceLROnPlateau is fed a synthetic validation loss that stops improving near epoch 20.")
schedules = {}
for name, (cls, options) in SCHEDULES.items():
    mt, th = lec.compare(f"{name} {options}", lambda fw: schedule(fw, cls, options), tol=1e-12)
    schedules[name] = (mt, th)
lec.check("StepLR halves the lr every 25 epochs",
          np.allclose(schedules["StepLR"][1][0][::25], 0.5 * 0.5 ** np.arange(4)),
          f"{schedules['StepLR'][1][0][::25]}")
one_cycle_lr, one_cycle_mom = map(np.array, schedules["OneCycleLR"][1])
lec.check("OneCycleLR: lr peaks at max_lr after 30% of the steps while momentum bottoms out",
          int(one_cycle_lr.argmax()) == int(one_cycle_mom.argmin()) == 29
          and np.isclose(one_cycle_lr.max(), 1.0, atol=1e-3),
          f"peak lr {one_cycle_lr.max():.4f} at epoch {one_cycle_lr.argmax()}, momentum min {one_cycle_mom.min():.3f}")
restarts = np.flatnonzero(np.diff(schedules["CosineAnnealingWarmRestarts"][1][0]) > 0) + 1
lec.check("CosineAnnealingWarmRestarts restarts after 10, 20 and 40 epochs (T_0 = 10, T_mult = 2)",
          list(restarts) == [10, 30, 70], f"restarts at epochs {list(restarts)}")

fig, ax = plt.subplots(figsize=(9, 4))
for (name, (mt, th)), color in zip(schedules.items(), plt.cm.tab10.colors):
    ax.plot(mt[0], "-", color=color, lw=2, label=name)
    ax.plot(th[0], "--", color="black", lw=0.7)
ax.plot(0.5 * PLATEAU_METRIC, color="gray", lw=0.8, alpha=0.6, label="0.5 x val. loss fed to ReduceLROnPlateau")
ax.set(xlabel="epoch", ylabel="learning rate", title="Learning-rate schedules (torch: black dashes)")
ax.legend(fontsize=7, ncol=2, loc="upper right")
lec.figure(fig, "schedules", "learning rate per epoch under five schedulers, minitorch (colour) and torch (dashed)")

# %% [markdown]
# ## 5. Weight decay: L2 in the gradient versus AdamW's decoupled decay
# `SGD(weight_decay=wd)` and `Adam(weight_decay=wd)` add `wd * p` to the gradient: exactly the gradient of
# an L2 penalty `wd / 2 |p|^2` added to the loss. For SGD that is the same as shrinking `p` by
# `(1 - lr wd)` each step. For Adam it is not: the penalty's gradient goes through Adam's normalisation
# `m_hat / sqrt(v_hat)`, so every coordinate moves by about `lr` per step whatever its size; large weights are
# barely decayed relative to their size. AdamW (Loshchilov & Hutter) *decouples* the decay: it multiplies `p`
# by `(1 - lr wd)` directly and runs Adam on the loss gradient alone.
#
# The experiment: a loss with zero gradient (`0 * sum(p)`), so only the decay acts, from `p = (10, 0.1)`.

# %%
WD, WD_LR, WD_STEPS, P0 = 0.1, 0.1, 50, [10.0, 0.1]


def zero_loss(fw, p):
    return (p * 0).sum()


def l2_loss(f):
    return lambda fw, p: f(fw, p) + WD / 2 * (p * p).sum()


lec.section("Weight decay: L2 vs decoupled (AdamW)",
            f"From p = {tuple(P0)} with a zero loss gradient, {WD_STEPS} steps at lr = {WD_LR}, wd = {WD}: AdamW "
            f"shrinks p by (1 - lr wd) = {1 - WD_LR * WD} per step; Adam's L2 decay moves each coordinate by about lr "
            "per step.")
decay = {}
for label, cls in (("Adam (L2)", "Adam"), ("AdamW (decoupled)", "AdamW"), ("SGD (L2)", "SGD")):
    results = lec.compare(f"decay only: {label}", lambda fw: trajectory(
        fw, zero_loss, cls, dict(lr=WD_LR, weight_decay=WD), P0, WD_STEPS), tol=TOL)
    decay[label] = [r[0].numpy() for r in results]
exact = np.array(P0) * (1 - WD_LR * WD) ** np.arange(WD_STEPS + 1)[:, None]
for label in ("AdamW (decoupled)", "SGD (L2)"):
    err = max(float(np.abs(d - exact).max()) for d in decay[label])
    lec.check(f"{label}: p_t = p_0 (1 - lr wd)^t on both frameworks", err < 1e-12, f"max |diff| = {err:.1e}")
adam_l2 = decay["Adam (L2)"][1]
lec.check("Adam (L2): the large weight falls by about lr per step (10 -> ~5), not by a factor",
          4.0 < adam_l2[-1, 0] < 6.0 and abs(adam_l2[-1, 1]) < 0.1,
          f"after {WD_STEPS} steps p = {np.round(adam_l2[-1], 4)}; AdamW gives {np.round(exact[-1], 4)}")

def l2_gap(fw, cls):
    """Max distance between the paths of cls(weight_decay=WD) on the quadratic and of cls on quadratic + L2."""
    start = SURFACES["quadratic"]["start"]
    decayed = trajectory(fw, quadratic, cls, dict(lr=0.05, weight_decay=WD), start, 30)[0]
    penalised = trajectory(fw, l2_loss(quadratic), cls, dict(lr=0.05), start, 30)[0]
    return float((decayed - penalised).abs().max())


for cls in ("SGD", "Adam"):
    diffs = [l2_gap(fw, cls) for fw in FRAMEWORKS]
    lec.check(f"{cls}(weight_decay=wd) == {cls} on loss + wd/2 |p|^2 (both frameworks)", max(diffs) < 1e-12,
              f"max |diff| minitorch {diffs[0]:.1e}, torch {diffs[1]:.1e}")

fig, ax = plt.subplots(figsize=(6.5, 4))
for (label, (mt, th)), color in zip(decay.items(), ("tab:red", "tab:blue", "tab:green")):
    for i, style in ((0, "-"), (1, ":")):
        ax.plot(np.abs(mt[:, i]) + 1e-6, style, color=color, label=f"{label}: |p_{i}| (p_0 = {P0[i]})")
        ax.plot(np.abs(th[:, i]) + 1e-6, "--", color="black", lw=0.5)
ax.set(yscale="log", xlabel="step", ylabel="|p| (zero loss gradient)",
       title="Decay alone: L2 through Adam vs decoupled")
ax.legend(fontsize=7, loc="lower right")
lec.figure(fig, "weight_decay", "AdamW and SGD decay both weights geometrically (parallel lines on a log scale); "
           "Adam's L2 term walks the big weight down linearly and makes the small one oscillate around 0")

# %% [markdown]
# ## 6. Deep dive: Adam's bias correction, and every update rule in NumPy
# Adam's moments start at zero. With a gradient of constant mean, unrolling `m_t = beta1 m_{t-1} + (1 - beta1) g_t`
# gives `m_t = (1 - beta1) sum_{k=1..t} beta1^(t-k) g_k`, whose expectation is `(1 - beta1^t) E[g]`: a
# geometric sum that has not yet reached 1. So `m_t` is biased toward zero by exactly the factor
# `1 - beta1^t`, and `v_t` by `1 - beta2^t`; dividing them out (`m_hat`, `v_hat`) removes the bias. With a
# *constant* gradient the correction is exact: `m_hat = g` and `v_hat = g^2` at every step, so the first step
# is `lr g / (|g| + eps)`, i.e. `lr` per coordinate whatever the gradient's scale.
#
# What would happen without it? The uncorrected step is `lr m_t / sqrt(v_t)`, which differs from the corrected
# one by `(1 - beta1^t) / sqrt(1 - beta2^t)`. With the defaults (0.9, 0.999) that ratio is 3.2 at t = 1 and
# about 7 around t = 10: since `beta2` is much closer to 1, `v` is far more biased than `m`, and the
# *uncorrected* steps are several times too large early in training, not too small.

# %%
B1, B2, ADAM_LR = 0.9, 0.999, 0.01
G_CONST = np.array([3.0, -1e-3])                   # a constant gradient: f(p) = g . p


def adam_state_after(fw, steps):
    """Adam on the linear loss g . p for `steps` steps: the optimizer's state and the corrected moments."""
    p = fw.zeros(2, dtype=fw.float64, requires_grad=True)
    opt = fw.optim.Adam([p], lr=ADAM_LR, betas=(B1, B2))
    for _ in range(steps):
        opt.zero_grad()
        (fw.tensor(G_CONST) * p).sum().backward()
        opt.step()
    s = opt.state[p]
    t = s["step"].item()
    return s["exp_avg"], s["exp_avg_sq"], t, s["exp_avg"] / (1 - B1 ** t), s["exp_avg_sq"] / (1 - B2 ** t), p.detach()


lec.section("Deep dive: Adam's bias correction, derived and checked",
            "m_t = (1 - beta1^t) g and v_t = (1 - beta2^t) g^2 for a constant gradient g, so m_hat = g and "
            "v_hat = g^2 exactly; the first step is lr per coordinate whatever |g|. Checked in both optimizers' state "
            "after 1, 5 and 50 steps; then every update rule of this lecture re-implemented in NumPy reproduces "
            "the trajectories of both frameworks.")
for steps in (1, 5, 50):
    m, v, t, m_hat, v_hat, p = lec.compare(f"Adam state after {steps} steps", lambda fw: adam_state_after(fw, steps),
                                           tol=1e-12)[1]
    m, v, m_hat, v_hat, p = (x.numpy() for x in (m, v, m_hat, v_hat, p))
    ok = (np.allclose(m, (1 - B1 ** steps) * G_CONST, rtol=1e-12)
          and np.allclose(v, (1 - B2 ** steps) * G_CONST ** 2, rtol=1e-12)
          and np.allclose(m_hat, G_CONST, rtol=1e-12) and np.allclose(v_hat, G_CONST ** 2, rtol=1e-12))
    lec.check(f"after {steps} steps: m = (1 - b1^t) g, v = (1 - b2^t) g^2, m_hat = g, v_hat = g^2", ok,
              f"m = {m}, v = {v}, step = {t:g}")
    lec.check(f"after {steps} steps: each coordinate moved lr per step although |g| differs by 3000x",
              np.allclose(np.abs(p), ADAM_LR * steps * np.abs(G_CONST) / (np.abs(G_CONST) + 1e-8), rtol=1e-9),
              f"p = {p}")

ts = np.array([1, 2, 5, 10, 20, 100, 1000, 10000])
ratio = (1 - B1 ** ts) / np.sqrt(1 - B2 ** ts)
lec.note("Without bias correction a step would be (1 - beta1^t) / sqrt(1 - beta2^t) times the corrected one: "
         + ", ".join(f"t = {t}: {r:.2f}" for t, r in zip(ts, ratio))
         + ". The uncorrected early steps are several times too large, because v's bias (beta2 = 0.999) is much "
           "stronger than m's (beta1 = 0.9); the two corrections cancel only in the long run.")


# %% [markdown]
# The update rules of section 2 in plain NumPy (the gradient of the quadratic is `H p`), with torch's
# defaults (RMSprop alpha = 0.99, eps = 1e-8; Adam betas = (0.9, 0.999), eps = 1e-8), step for step:

# %%
def numpy_trajectory(cls, options, grad, start, steps):
    """The optimizer `cls` written from scratch in NumPy; returns the path of p."""
    lr, wd = options["lr"], options.get("weight_decay", 0.0)
    mu, nesterov = options.get("momentum", 0.0), options.get("nesterov", False)
    p = np.array(start, dtype=np.float64)
    buf, m, v = None, np.zeros_like(p), np.zeros_like(p)
    path = [p.copy()]
    for t in range(1, steps + 1):
        g = grad(p)
        if cls == "SGD":
            if mu:
                buf = g.copy() if buf is None else mu * buf + g
                g = g + mu * buf if nesterov else buf
            p = p - lr * g
        elif cls == "RMSprop":
            v = 0.99 * v + 0.01 * g * g
            p = p - lr * g / (np.sqrt(v) + 1e-8)
        else:                                      # Adam, AdamW
            if cls == "AdamW":
                p = p * (1 - lr * wd)
            elif wd:
                g = g + wd * p
            m = B1 * m + (1 - B1) * g
            v = B2 * v + (1 - B2) * g * g
            p = p - lr / (1 - B1 ** t) * m / (np.sqrt(v) / np.sqrt(1 - B2 ** t) + 1e-8)
        path.append(p.copy())
    return np.array(path)


quad = SURFACES["quadratic"]
worst = {}
for name, (cls, options) in quad["optimizers"].items():
    n = quad["compared"]
    scratch = numpy_trajectory(cls, options, lambda p: H_NP @ p, quad["start"], n)
    worst[name] = max(float(np.abs(scratch - paths["quadratic", name][fw][0][:n + 1]).max()) for fw in FRAMEWORK_NAMES)
lec.check(f"NumPy from-scratch update rules reproduce the first {quad['compared']} steps of all six quadratic "
          "trajectories of both frameworks",
          max(worst.values()) < 1e-10, ", ".join(f"{n} {d:.1e}" for n, d in worst.items()))

# %% [markdown]
# ## 7. Interview questions
# Where an answer states a behaviour, `check=` runs it on both frameworks.

# %%
lec.section("Interview questions", "Answers that state a behaviour are checked on minitorch and on torch.")
START = SURFACES["quadratic"]["start"]


P_QA, G = np.array([1.0, -2.0]), np.array([0.5, -2.0])


def one_step(fw, cls, options, grad_np=G):
    """(p after one step of fw.optim.<cls> with gradient grad_np (a linear loss) from P_QA, the optimizer's state)."""
    p = fw.tensor(P_QA, requires_grad=True)
    opt = getattr(fw.optim, cls)([p], **options)
    (fw.tensor(grad_np) * p).sum().backward()
    opt.step()
    return p.detach().numpy(), opt.state[p]


def final_loss(fw, cls, options, steps=60, scale=1.0):
    return trajectory(fw, quadratic, cls, options, START, steps, scale)[1][-1].item()


def check_momentum(fw):
    p, state = one_step(fw, "SGD", dict(lr=0.1, momentum=0.9))
    return np.allclose(p, P_QA - 0.1 * G) and np.allclose(state["momentum_buffer"].numpy(), G)


lec.qa("In torch's SGD with momentum, what is stored and what is the first step?",
       "A momentum_buffer b <- mu b + (1 - dampening) g, initialised to g itself on the first step; the step is "
       "p <- p - lr b. So the first step equals plain SGD's, and the buffer equals the first gradient.",
       check=check_momentum)
lec.qa("What does nesterov=True change?",
       "The step uses the look-ahead gradient g + mu b instead of b, so the first step is already lr (1 + mu) g.",
       check=lambda fw: np.allclose(one_step(fw, "SGD", dict(lr=0.1, momentum=0.9, nesterov=True))[0],
                                    P_QA - 0.1 * 1.9 * G))
lec.qa("Why does momentum help on an ill-conditioned problem?",
       "It averages successive gradients: the zig-zag components across the valley cancel, the consistent component "
       "along it accumulates (up to 1 / (1 - mu) times). At the same lr = 0.02 for 60 steps on the quadratic, momentum "
       "0.8 ends 1000x lower than plain SGD.",
       check=lambda fw: final_loss(fw, "SGD", dict(lr=0.02, momentum=0.8))
       < 1e-3 * final_loss(fw, "SGD", dict(lr=0.02)))
lec.qa("What is the largest stable learning rate of gradient descent on a quadratic, and what does momentum change?",
       "lr < 2 / lambda_max for plain GD (0.1 here: 0.105 diverges). Heavy-ball momentum mu widens it to "
       "2 (1 + mu) / lambda_max, so with mu = 0.5 the same lr = 0.105 converges.",
       check=lambda fw: final_loss(fw, "SGD", dict(lr=0.105)) > 10.0
       and final_loss(fw, "SGD", dict(lr=0.105, momentum=0.5)) < 1e-3)


def check_adam_scale(fw):
    plain = trajectory(fw, quadratic, "Adam", dict(lr=0.5), START, 30)[0]
    scaled = trajectory(fw, quadratic, "Adam", dict(lr=0.5), START, 30, scale=1e3)[0]
    return float((plain - scaled).abs().max()) < 1e-6


lec.qa("Is Adam's trajectory invariant to the scale of the loss?",
       "Yes, up to eps: m_hat / sqrt(v_hat) is unchanged when every gradient is multiplied by a constant. Multiplying "
       "the loss by 1000 leaves the path the same (to ~1e-9 here), whereas SGD's steps would be 1000x larger.",
       check=check_adam_scale)
lec.qa("How large is Adam's first step?",
       "lr per coordinate (lr g / (|g| + eps)): bias correction makes m_hat = g and v_hat = g^2 at t = 1. Gradients of "
       "1e-3 and 1e3 both move their coordinate by lr.",
       check=lambda fw: np.allclose(np.abs(one_step(fw, "Adam", dict(lr=0.1), np.array([1e-3, 1e3]))[0] - P_QA), 0.1,
                                    rtol=1e-4))
lec.qa("What is RMSprop's first step?",
       "v = (1 - alpha) g^2, so the step is lr g / (sqrt(1 - alpha) |g| + eps): 10 lr per coordinate with the default "
       "alpha = 0.99 (RMSprop has no bias correction, hence its large early steps).",
       check=lambda fw: np.allclose(np.abs(one_step(fw, "RMSprop", dict(lr=0.01))[0] - P_QA), 0.1, rtol=1e-6))


def check_adamw(fw):
    decayed = np.array(P0) * (1 - 0.1 * 0.1) ** 20
    adamw = trajectory(fw, zero_loss, "AdamW", dict(lr=0.1, weight_decay=0.1), P0, 20)[0][-1].numpy()
    adam = trajectory(fw, zero_loss, "Adam", dict(lr=0.1, weight_decay=0.1), P0, 20)[0][-1].numpy()
    return np.allclose(adamw, decayed, rtol=1e-12) and not np.allclose(adam, decayed, rtol=1e-3)


lec.qa("What is the difference between Adam(weight_decay=wd) and AdamW(weight_decay=wd)?",
       "Adam adds wd p to the gradient (an L2 penalty), which then gets normalised by sqrt(v_hat); AdamW multiplies "
       "p by (1 - lr wd) and keeps the decay out of the moments. With a zero loss gradient AdamW gives exactly "
       "p_0 (1 - lr wd)^t.", check=check_adamw)


def check_zero_grad(fw):
    p = fw.tensor([1.0, 2.0], requires_grad=True)
    opt = fw.optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad()
    none = p.grad is None
    (p * p).sum().backward()
    opt.zero_grad(set_to_none=False)
    return none and p.grad is not None and float(p.grad.abs().sum()) == 0.0


lec.qa("What does optimizer.zero_grad() do by default?",
       "Since torch 2.0 it sets every .grad to None (set_to_none=True): no memory is kept and the next backward "
       "writes instead of adding. zero_grad(set_to_none=False) zeroes the tensors in place instead.",
       check=check_zero_grad)


def check_skip_none(fw):
    a = fw.tensor([1.0], requires_grad=True)
    b = fw.tensor([1.0], requires_grad=True)
    opt = fw.optim.Adam([a, b], lr=0.1)
    (a * 2).sum().backward()
    opt.step()
    return b.item() == 1.0 and len(opt.state[b]) == 0 and a.item() != 1.0


lec.qa("What happens at step() to a parameter whose .grad is None?",
       "It is skipped: not updated, and no state is created for it (a frozen or unused parameter costs nothing). A "
       "zero gradient is different: Adam would still update its moments and move p by the decayed momentum.",
       check=check_skip_none)


def check_state_dict(fw):
    p, q = fw.zeros(2, requires_grad=True), fw.zeros(3, requires_grad=True)
    opt = fw.optim.Adam([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1)
    (p.sum() + q.sum()).backward()
    opt.step()
    sd = opt.state_dict()
    return (sorted(sd) == ["param_groups", "state"] and sorted(sd["state"]) == [0, 1]
            and sorted(sd["state"][0]) == ["exp_avg", "exp_avg_sq", "step"]
            and [g["params"] for g in sd["param_groups"]] == [[0], [1]]
            and [g["lr"] for g in sd["param_groups"]] == [0.1, 0.5])


lec.qa("What is in optimizer.state_dict()?",
       "{'state': {index: per-parameter state}, 'param_groups': [options + 'params': [indices]]}: parameters are "
       "referred to by their position, not by name or identity, so it loads into any optimizer built over the same "
       "parameters in the same order. Adam's state is step, exp_avg and exp_avg_sq.", check=check_state_dict)


def check_groups(fw):
    a, b = fw.tensor([1.0], requires_grad=True), fw.tensor([1.0], requires_grad=True)
    opt = fw.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1)
    (a + b).sum().backward()
    opt.step()
    return abs(a.item() - 0.9) < 1e-7 and abs(b.item() - 0.99) < 1e-7


lec.qa("How do you give different parameters different learning rates?",
       "Pass a list of parameter groups: [{'params': backbone, 'lr': 1e-4}, {'params': head}], lr=1e-2. Options "
       "missing from a group come from the defaults; schedulers scale each group's lr.", check=check_groups)


def check_step_lr(fw):
    opt = fw.optim.SGD([fw.zeros(1, requires_grad=True)], lr=1.0)
    sched = fw.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.1)
    seen = []
    for _ in range(7):
        seen.append(round(sched.get_last_lr()[0], 12))
        opt.step()
        sched.step()
    return seen == [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01]


lec.qa("When do you call scheduler.step(), and what does StepLR(step_size=3, gamma=0.1) give?",
       "After optimizer.step(), once per epoch (per batch for OneCycleLR). The constructor sets epoch 0's lr; the lr "
       "is then multiplied by gamma every step_size calls: 1, 1, 1, 0.1, 0.1, 0.1, 0.01.", check=check_step_lr)


def check_plateau(fw):
    opt = fw.optim.SGD([fw.zeros(1, requires_grad=True)], lr=1.0)
    sched = fw.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=2)
    lrs = []
    for metric in [1.0, 0.5, 0.5, 0.5, 0.5, 0.4]:
        opt.step()
        sched.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    return np.allclose(lrs, [1, 1, 1, 1, 0.1, 0.1])


lec.qa("How does ReduceLROnPlateau decide to cut the learning rate?",
       "step(metric) counts epochs without improvement (by more than threshold, relative by default); when the count "
       "exceeds patience, the lr is multiplied by factor and a cooldown starts. With patience=2 the lr drops at the "
       "third epoch without improvement.", check=check_plateau)
lec.qa("Is the Rosenbrock function convex? Why does it matter?",
       "No: its Hessian at (0, 1) is diag(-398, 200), with a negative eigenvalue. On non-convex surfaces there is no "
       "single stable lr from the global Hessian: the curvature changes by orders of magnitude along the path (steep "
       "walls, flat floor), so the lr that is stable across the valley crawls along it. Momentum builds up speed along "
       "the floor, which is why momentum and Nesterov get furthest in the step budget here.",
       check=lambda fw: np.linalg.eigvalsh(hessian_at(rosenbrock, [0.0, 1.0])(fw).numpy()).min() < -390)
lec.qa("What does maximize=True do?",
       "The optimizer ascends: it uses -g, so one SGD step moves p by +lr g (e.g. for a reward or a log-likelihood).",
       check=lambda fw: np.allclose(one_step(fw, "SGD", dict(lr=0.1, maximize=True))[0], P_QA + 0.1 * G))

lec.finish()
