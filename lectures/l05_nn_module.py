"""nn.Module and classification: an MLP with ReLU/Sigmoid trained with BCE on moons and circles, then spirals.

What you will learn: what an ``nn.Module`` is made of (parameters, buffers, children, ``state_dict``,
train/eval, forward hooks, ``repr``) and how to write your own; what train/eval change in ``Dropout`` (random
mask, 1/(1-p) scaling, identity in eval) and ``BatchNorm1d`` (batch vs running statistics); full backward hooks
(``grad_input``/``grad_output``, replacing the gradient that flows on); an MLP classifier with ReLU hidden layers
trained on generated 2-D data (moons, circles) with ``BCELoss`` on sigmoid outputs and with
``BCEWithLogitsLoss`` on logits, and why the logits version is the numerically safe one; decision boundaries;
how to make minitorch and PyTorch train to the same weights (copy the initial ``state_dict``, same batches,
float64); a 3-class spiral with ``CrossEntropyLoss``; the gradient ``sigmoid(z) - y`` and the default
``nn.Linear`` initialisation.

Prerequisites: lecture 02 (autograd) and lecture 03 (gradient descent by hand).
"""
# %%
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # small matrices: BLAS threads only contend (set before NumPy loads)

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

import minitorch
from lectures.runtime import lecture

TEACHES = ("nn.Module anatomy (parameters, buffers, children, state_dict, train/eval, hooks, repr), Dropout and "
           "BatchNorm in train/eval, full backward hooks, MLP classifiers "
           "with ReLU/Sigmoid, BCELoss vs BCEWithLogitsLoss, decision boundaries, same weights on both frameworks, "
           "CrossEntropyLoss")
lec = lecture("05")
torch.set_num_threads(1)          # tiny tensors: torch's thread pool only adds overhead on a shared 2-core machine

# %% [markdown]
# ## 1. Anatomy of an `nn.Module`
# A module is a Python object that *registers* what it is made of. Assigning an `nn.Parameter` to an attribute
# puts it in `_parameters`; assigning another `Module` puts it in `_modules` (a *child*); `register_buffer`
# stores a tensor that is state but not trained (running statistics, counters, masks). Everything else
# (a plain tensor, a Python list of layers) is an ordinary attribute that the module does not know about:
# `parameters()` will not return it, the optimizer will not train it, `state_dict()` will not save it, and
# `.double()` will not convert it. `forward` says what the module computes; you call the module itself,
# `model(x)`, so that hooks run around `forward`.
#
# The class is written once, as a function of the framework `fw` (`minitorch` or `torch`).


# %%
def classifier_class(fw):
    """An MLP classifier: ``body`` (Linear + activation, twice), then a linear ``head``; with
    ``probabilities=True`` it ends with a Sigmoid (for ``BCELoss``), else it returns logits."""

    class Classifier(fw.nn.Module):
        def __init__(self, hidden=16, classes=1, act="ReLU", probabilities=False):
            super().__init__()
            Act = getattr(fw.nn, act)
            self.body = fw.nn.Sequential(fw.nn.Linear(2, hidden), Act(), fw.nn.Linear(hidden, hidden), Act())
            self.head = fw.nn.Linear(hidden, classes)
            self.out = fw.nn.Sigmoid() if probabilities else fw.nn.Identity()

        def forward(self, x):
            return self.out(self.head(self.body(x)))

    return Classifier


def anatomy_class(fw):
    """A custom module showing every kind of attribute: registered and not."""

    class Anatomy(fw.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = fw.nn.Parameter(fw.ones(3))                            # registered parameter
            self.register_buffer("shift", fw.zeros(3))                          # saved, not trained
            self.register_buffer("cache", fw.zeros(3), persistent=False)        # neither saved nor trained
            self.plain = fw.zeros(3)                                            # NOT registered
            self.listed = [fw.nn.Linear(3, 3)]                                  # NOT registered (Python list)
            self.blocks = fw.nn.ModuleList([fw.nn.Linear(3, 3), fw.nn.Tanh()])  # registered children

        def forward(self, x):
            x = x * self.scale + self.shift
            for block in self.blocks:
                x = block(x)
            return x

        def extra_repr(self):
            return f"features={self.scale.shape[0]}"

    return Anatomy


lec.section("nn.Module anatomy",
            "A custom module with a parameter, a persistent and a non-persistent buffer, a plain tensor, a Python list "
            "of layers and a ModuleList. The same class on both frameworks must register the same names, in the same "
            "order, with the same shapes, and print the same repr.")


def registered(fw):
    m = anatomy_class(fw)()
    return ([(n, tuple(p.shape)) for n, p in m.named_parameters()],
            [n for n, _ in m.named_buffers()],
            [n for n, _ in m.named_children()],
            [n for n, _ in m.named_modules()],
            list(m.state_dict().keys()),
            sum(p.numel() for p in m.parameters()),
            repr(m))


mt_reg, _ = lec.compare("Module registration and repr", registered)
lec.note("named_parameters: " + ", ".join(f"{n}{list(s)}" for n, s in mt_reg[0]) +
         f"\nbuffers: {mt_reg[1]}; children: {mt_reg[2]}; state_dict keys: {mt_reg[4]}; {mt_reg[5]} parameters."
         "\n'plain' and 'listed' appear nowhere; 'cache' is a buffer but not in the state_dict (persistent=False).\n"
         + mt_reg[6])

# %% [markdown]
# `train()` / `eval()` set the `training` flag on the module and, recursively, on every child (layers such as
# Dropout and BatchNorm read it). They do not touch autograd: `eval()` is not `no_grad()`.
# Forward hooks see (and may replace) the input (`register_forward_pre_hook`) and the output
# (`register_forward_hook`) of any submodule; the handle they return removes them.


# %%
def modes_and_hooks(fw):
    model = classifier_class(fw)(hidden=8)
    model.eval()
    flags_eval = [m.training for m in model.modules()]
    model.train()
    flags_train = [m.training for m in model.modules()]
    seen = []
    handles = [m.register_forward_hook(lambda mod, inp, out, name=name: seen.append((name, tuple(out.shape))))
               for name, m in model.named_modules() if name]
    doubled = model.head.register_forward_pre_hook(lambda mod, inp: (inp[0] * 2,))
    x = fw.tensor(np.linspace(-1, 1, 10).reshape(5, 2), dtype=fw.float32)
    out_hooked = model(x)
    for h in handles + [doubled]:
        h.remove()
    out_plain, calls = model(x), len(seen)
    direct = model.head(2 * model.body(x))           # what the pre-hook did, written out
    changed = (out_plain - out_hooked).abs().max().item() > 0
    return flags_eval, flags_train, seen, calls, (out_hooked - direct).abs().max().item(), changed


mt_hooks, _ = lec.compare("train/eval flags and forward hooks", modes_and_hooks)
lec.note("hooked forward, module by module: " + ", ".join(f"{n} -> {list(s)}" for n, s in mt_hooks[2]) +
         f". After handle.remove() the second forward records nothing ({mt_hooks[3]} calls in all) and its output "
         "is no longer doubled at the head. (The two frameworks' weights differ here: only shapes, flags and "
         "differences are compared.)")
lec.check("pre-hook doubling the head's input == head(2 * body(x)); removed hook no longer applies (minitorch)",
          mt_hooks[4] == 0 and mt_hooks[5])

# %% [markdown]
# ### What `train()` / `eval()` change: Dropout and BatchNorm
# Two standard layers read the `training` flag:
#
# * **`nn.Dropout(p)`** in training zeroes each element independently with probability `p` and multiplies the
#   survivors by `1 / (1 - p)` ("inverted dropout"), so every output keeps the expected value of its input and
#   nothing has to be rescaled at test time. Its backward uses the same mask: `d out / d in = mask / (1 - p)`.
#   In eval mode it is the identity (it returns its input object).
# * **`nn.BatchNorm1d(C)`** in training normalises each of the `C` features with the *batch's* mean and
#   *biased* variance, then applies its affine `weight` and `bias`; it also updates two buffers with
#   `m = momentum = 0.1`: `running_mean <- (1 - m) running_mean + m batch_mean` and `running_var <- (1 - m)
#   running_var + m batch_var_unbiased`, and counts `num_batches_tracked`. In eval mode it normalises with the
#   running statistics instead: a sample's output no longer depends on the rest of its batch, and a batch of
#   one is fine (in training it raises, there is no variance to estimate).
#
# The model below is `Linear(4, 8) -> BatchNorm1d(8) -> ReLU -> Dropout(0.5) -> Linear(8, 3)` in float64,
# with torch's initial `state_dict` (BatchNorm's affine parameters set to non-trivial values) loaded into both
# frameworks by `load_state_dict` (section 3 explains the copy). It sees the same batches in training mode on
# both, then evaluates a test batch in eval mode. BatchNorm sits before Dropout, so its outputs (captured by a
# forward hook) and its running statistics are deterministic and must match torch's; the training-mode outputs
# of the whole model are *not* compared, because each framework draws the dropout masks from its own random
# generator (minitorch does not reproduce torch's random streams, by design: same law, different numbers). In
# eval mode no randomness is left and the outputs must agree.


# %%
def with_state(fw, model, state):
    """``model`` holding the NumPy state dict ``state`` (a strict load: the keys must match exactly)."""
    model.load_state_dict({k: fw.tensor(v) for k, v in state.items()})
    return model


def regularized_mlp(fw):
    """Linear -> BatchNorm1d -> ReLU -> Dropout -> Linear, float64: the layers that depend on the mode."""
    return fw.nn.Sequential(fw.nn.Linear(4, 8), fw.nn.BatchNorm1d(8), fw.nn.ReLU(), fw.nn.Dropout(0.5),
                            fw.nn.Linear(8, 3)).double()


torch.manual_seed(2)
REG_INIT = {k: v.numpy().copy() for k, v in regularized_mlp(torch).state_dict().items()}
mode_rng = np.random.default_rng(8)
REG_INIT["1.weight"], REG_INIT["1.bias"] = mode_rng.uniform(0.5, 1.5, 8), mode_rng.normal(0, 0.5, 8)
X_MEAN, X_STD = 2.0, 3.0                             # the inputs' distribution: N(2, 3^2) per feature
BN_BATCHES = [mode_rng.normal(X_MEAN, X_STD, (16, 4)) for _ in range(20 if lec.quick else 100)]
BN_TEST = mode_rng.normal(X_MEAN, X_STD, (6, 4))


def modes_experiment(fw):
    """Training-mode batches (BatchNorm's outputs and running statistics), then an eval-mode forward."""
    model = with_state(fw, regularized_mlp(fw), REG_INIT)
    bn = model[1]
    normalized, trajectory = [], []
    handle = bn.register_forward_hook(lambda mod, inp, out: normalized.append(out.detach()))
    model.train()
    for xb in BN_BATCHES:
        model(fw.tensor(xb))                         # dropout is random here: the model's output is not compared
        trajectory.append(fw.stack([bn.running_mean, bn.running_var]).clone())
    handle.remove()
    stats = (bn.running_mean.clone(), bn.running_var.clone(), bn.num_batches_tracked.item())
    model.eval()
    with fw.no_grad():
        x = fw.tensor(BN_TEST)
        out, again, alone = model(x), model(x), model(x[:1])
        h = model[0](x)
        by_hand = model[4](((h - bn.running_mean) / (bn.running_var + bn.eps).sqrt() * bn.weight + bn.bias).relu())
        identity = model[3](h) is h                  # eval-mode Dropout returns its input
    unchanged = bool((bn.running_mean == stats[0]).all()) and bn.num_batches_tracked.item() == stats[2]
    return (stats, fw.stack(trajectory), fw.stack(normalized), out, (out - by_hand).abs().max().item(),
            bool((out == again).all()), (alone - out[:1]).abs().max().item(), identity, unchanged)


lec.section("train/eval: Dropout and BatchNorm",
            f"Linear(4, 8) -> BatchNorm1d(8) -> ReLU -> Dropout(0.5) -> Linear(8, 3), float64, torch's weights on both. "
            f"{len(BN_BATCHES)} training-mode batches of 16 (inputs N({X_MEAN:g}, {X_STD:g}^2)), then eval mode on 6 "
            "points. Compared: BatchNorm's running statistics after every batch, its training-mode outputs, and the "
            "eval-mode outputs (tolerance 1e-12).")
mt_modes, th_modes = lec.compare("BatchNorm stats + eval forward", modes_experiment, tol=1e-12)
(rm, rv, tracked), run_traj, bn_out, _, by_hand_err, repeatable, alone_err, dropout_identity, unchanged = mt_modes
stats_diff = float(np.abs(run_traj.numpy() - th_modes[1].numpy()).max())
lec.note(f"running_mean and running_var after each of the {len(BN_BATCHES)} batches: max |minitorch - torch| = "
         f"{stats_diff:.1e}; final running_mean (minitorch) {np.array2string(rm.numpy(), precision=3)}, "
         f"running_var {np.array2string(rv.numpy(), precision=3)}.")

w0, b0 = REG_INIT["0.weight"], REG_INIT["0.bias"]
ref_mean, ref_var = np.zeros(8), np.ones(8)          # the running statistics from scratch, in NumPy
for xb in BN_BATCHES:
    hb = xb @ w0.T + b0
    ref_mean, ref_var = 0.9 * ref_mean + 0.1 * hb.mean(0), 0.9 * ref_var + 0.1 * hb.var(0, ddof=1)
scratch_err = max(np.abs(rm.numpy() - ref_mean).max() / np.abs(ref_mean).max(),
                  np.abs(rv.numpy() - ref_var).max() / ref_var.max())
lec.check("running_mean/var == NumPy recursion with momentum 0.1 and the UNBIASED batch variance (minitorch)",
          scratch_err < 1e-13 and tracked == len(BN_BATCHES), f"relative error {scratch_err:.1e}, "
          f"num_batches_tracked = {tracked}")
z = (bn_out.numpy() - REG_INIT["1.bias"]) / REG_INIT["1.weight"]    # undo the affine: the normalised features
lec.check("training mode normalises with the batch's mean and BIASED variance (minitorch)",
          np.abs(z.mean(1)).max() < 1e-12 and np.abs(z.var(1) - 1).max() < 1e-4,
          f"per batch and feature: |mean| <= {np.abs(z.mean(1)).max():.1e}, |var - 1| <= {np.abs(z.var(1) - 1).max():.1e}"
          " (var = v / (v + eps), not exactly 1)")
lec.check("eval mode: output == formula with running statistics, Dropout is the identity, deterministic, "
          "independent of the batch, buffers unchanged (minitorch)",
          by_hand_err < 1e-14 and dropout_identity and repeatable and alone_err < 1e-14 and unchanged,
          f"|out - by hand| = {by_hand_err:.1e}, |one-sample batch - its row| = {alone_err:.1e}")

pop_mean, pop_var = X_MEAN * w0.sum(1) + b0, X_STD ** 2 * (w0 ** 2).sum(1)   # what the running stats estimate
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for ax, k, target, label in ((axes[0], 0, pop_mean, "running_mean"), (axes[1], 1, pop_var, "running_var")):
    steps = np.arange(1, len(BN_BATCHES) + 1)
    for c, color in zip(range(3), ("C0", "C1", "C2")):
        ax.plot(steps, run_traj.numpy()[:, k, c], "-", color=color, lw=1.2, label=f"feature {c}, minitorch")
        ax.plot(steps, th_modes[1].numpy()[:, k, c], "o", color=color, ms=3, label=f"feature {c}, torch")
        ax.axhline(target[c], color=color, ls=":", lw=1)
    ax.set(xlabel="training batch", title=f"{label} (dotted: population value)")
fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=6, fontsize=7)
fig.tight_layout(rect=(0, 0.07, 1, 1))
lec.figure(fig, "batchnorm_running_stats",
           "BatchNorm1d's running statistics for 3 of its 8 features after each training batch: minitorch (lines) and "
           "torch (dots) coincide; both approach the population values with momentum 0.1 (1 - 0.9^k of the way)")

# %% [markdown]
# Dropout's masks differ between the frameworks, so its training-mode behaviour is checked on each framework
# separately, against its law: on a 200 x 500 float64 input with `p = 0.3`, the fraction of zeros is within a
# few standard deviations `sqrt(p (1 - p) / n)` of `p`, every survivor is exactly `x / (1 - p)`, and the
# gradient is `mask / (1 - p)`. The two frameworks' masks are independent draws: they disagree on about
# `2 p (1 - p) = 42%` of the positions.

# %%
P_DROP = 0.3
DROP_X = np.random.default_rng(9).normal(0, 1, (200, 500))


def dropout_train(fw):
    """Dropout(P_DROP) on DROP_X in training mode: the output and d sum(output) / d input, as NumPy."""
    fw.manual_seed(0)
    x = fw.tensor(DROP_X, requires_grad=True)
    y = fw.nn.Dropout(P_DROP)(x)
    (g,) = fw.autograd.grad(y.sum(), x)
    return y.detach().numpy(), g.numpy()


sigma = math.sqrt(P_DROP * (1 - P_DROP) / DROP_X.size)
kept_masks = {}
for fw in (minitorch, torch):
    y_drop, g_drop = dropout_train(fw)
    kept = y_drop != 0
    kept_masks[fw.__name__] = kept
    zeroed = 1 - kept.mean()
    lec.check(f"{fw.__name__}: train-mode Dropout({P_DROP}) zeroes a fraction {zeroed:.4f} of the elements, "
              f"|fraction - p| < 5 sigma = {5 * sigma:.4f}", abs(zeroed - P_DROP) < 5 * sigma)
    lec.check(f"{fw.__name__}: survivors are x / (1 - p) = x * {1 / (1 - P_DROP):.6f}, gradient = mask / (1 - p)",
              np.allclose(y_drop[kept], DROP_X[kept] / (1 - P_DROP), rtol=1e-15, atol=0)
              and np.allclose(g_drop, kept / (1 - P_DROP), rtol=1e-15, atol=0))
disagree = float((kept_masks["minitorch"] != kept_masks["torch"]).mean())
lec.check("the two frameworks' masks are independent draws (by design): they disagree on ~2p(1-p) of the elements",
          abs(disagree - 2 * P_DROP * (1 - P_DROP)) < 0.01, f"disagree on {disagree:.4f}, 2p(1-p) = "
          f"{2 * P_DROP * (1 - P_DROP):.2f}")

# %% [markdown]
# ### Backward hooks
# `module.register_full_backward_hook(hook)` calls `hook(module, grad_input, grad_output)` during `backward()`
# once the gradients with respect to the module's inputs are known. `grad_output` is a tuple holding
# `dL/d output` for each output of `forward`; `grad_input` a tuple holding `dL/d input` for each positional
# input (`None` for an input that does not require grad). They are gradients with respect to the module's
# *inputs and outputs*, not its parameters: the weight's gradient is not in `grad_input`. The hook may return
# a new `grad_input` tuple: it replaces the gradient that flows on to the layers before, while the module's own
# parameter gradients (computed from `grad_output`) do not change. (`register_full_backward_pre_hook` sees
# `grad_output` before the module's backward and may replace it, which changes the module's own parameter
# gradients too.) Hooks run in backward order, last layer first. Uses: per-layer gradient norms, clipping or
# scaling the gradient that crosses a layer, saliency maps, finding where gradients vanish.
#
# Model: `Linear(3, 5) -> Tanh -> Linear(5, 2)`, float64, torch's weights on both frameworks, MSE loss on 6
# points, with recording hooks on both Linear layers. Then a hook on the last layer that clips its `grad_input`
# to `[-c, c]`.

# %%
torch.manual_seed(3)
HOOK_INIT = {k: v.numpy().copy() for k, v in
             torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double().state_dict().items()}
hook_rng = np.random.default_rng(10)
HOOK_X, HOOK_T = hook_rng.normal(0, 1, (6, 3)), hook_rng.normal(0, 1, (6, 2))
CLIP = 0.05


def hooked_backward(fw, clip=None):
    """One backward through Linear -> Tanh -> Linear with recording hooks on both Linears (and, with ``clip``,
    a hook clamping the last layer's grad_input first); returns the model, the input and the records."""
    model = with_state(fw, fw.nn.Sequential(fw.nn.Linear(3, 5), fw.nn.Tanh(), fw.nn.Linear(5, 2)).double(), HOOK_INIT)
    if clip is not None:       # registered first: the recorder below receives what it returns
        model[2].register_full_backward_hook(lambda mod, gin, gout: tuple(g.clamp(-clip, clip) for g in gin))
    seen = []
    for i in (0, 2):
        model[i].register_full_backward_hook(lambda mod, gin, gout, i=i: seen.append((i, gin, gout)))
    x = fw.tensor(HOOK_X, requires_grad=True)
    fw.nn.MSELoss()(model(x), fw.tensor(HOOK_T)).backward()
    return model, x, seen


def hook_records(fw):
    model, x, seen = hooked_backward(fw)
    layout = [(i, [None if g is None else tuple(g.shape) for g in gin], [tuple(g.shape) for g in gout])
              for i, gin, gout in seen]
    (_, gin2, gout2), (_, gin0, gout0) = seen
    with fw.no_grad():
        tanh_slope = 1 - model[0](x).tanh() ** 2
        chain = max((gin2[0] - gout2[0] @ model[2].weight).abs().max().item(),     # dL/dh = dL/dy W2
                    (gout0[0] - gin2[0] * tanh_slope).abs().max().item(),          # through the Tanh
                    (gin0[0] - x.grad).abs().max().item())                         # dL/dx is what x.grad gets
    return layout, gin2, gout2, gin0, gout0, chain


lec.section("Backward hooks",
            "register_full_backward_hook on both Linear layers of Linear(3, 5) -> Tanh -> Linear(5, 2) (float64, torch's "
            "weights on both): the order of the calls, the shapes of grad_input and grad_output, and their values, "
            f"compared between frameworks; then a hook clipping the last layer's grad_input to [-{CLIP}, {CLIP}].")
mt_rec, _ = lec.compare("backward hooks: grad_input/output", hook_records, tol=1e-12)
lec.note("hook calls in backward order: " + "; ".join(f"Linear {i}: grad_input shapes {gin}, grad_output shapes "
                                                      f"{gout}" for i, gin, gout in mt_rec[0]) +
         ". grad_input of the last Linear is dL/dh for its input h = tanh(...) (shape (6, 5)), not the gradient of its "
         "weight; grad_input of the first is dL/dx, the value x.grad receives.")
lec.check("grad_input = grad_output @ W (last Linear), grad_output of the first Linear = its successor's "
          "grad_input * tanh', first Linear's grad_input == x.grad (minitorch)", mt_rec[5] < 1e-15,
          f"max error {mt_rec[5]:.1e}")


def clipped_gradients(fw):
    plain, _, _ = hooked_backward(fw)
    model, x, seen = hooked_backward(fw, clip=CLIP)
    grads = [p.grad for p in model.parameters()]
    changed = [bool((g != p.grad).any()) for g, p in zip(grads, plain.parameters())]
    clipped_dh = seen[0][1][0]                      # the last layer's grad_input, as returned by the clipping hook
    with fw.no_grad():                              # the first layer's gradients, by hand from the clipped dL/dh
        da = clipped_dh * (1 - model[0](x).tanh() ** 2)
        by_hand = max((da.T @ x - model[0].weight.grad).abs().max().item(),
                      (da.sum(0) - model[0].bias.grad).abs().max().item(),
                      (da @ model[0].weight - x.grad).abs().max().item())
    share = (clipped_dh.abs() == CLIP).double().mean().item()
    return grads, x.grad, changed, by_hand, share


mt_clip, _ = lec.compare("clipping hook: parameter grads", clipped_gradients, tol=1e-12)
lec.note(f"The hook clipped {mt_clip[4]:.0%} of dL/dh's entries. Changed parameter gradients "
         f"(0.weight, 0.bias, 2.weight, 2.bias): {mt_clip[2]}: the layers before the hook see the clipped gradient, "
         "the hooked layer's own weight and bias do not.")
lec.check("clipping grad_input changes only the earlier layer's gradients, which equal the chain rule applied to the "
          "clipped dL/dh (minitorch)", mt_clip[2] == [True, True, False, False] and mt_clip[3] < 1e-15
          and 0 < mt_clip[4] < 1, f"max error {mt_clip[3]:.1e}")

# %% [markdown]
# ## 2. The data: moons and circles, generated with NumPy
# Two classic non-linearly separable 2-D problems. *Moons*: two interleaving half circles. *Circles*: a small
# circle inside a big one. Both get Gaussian noise, and the features are standardized with the training set's
# mean and standard deviation (the same numbers are applied to the test set and the plotting grid). No
# linear classifier can separate either: the MLP needs its hidden non-linearity.


# %%
def make_moons(n, noise, rng):
    """Two interleaving half circles (label 0 on top, 1 below), as sklearn's make_moons."""
    n0 = n // 2
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n - n0)
    x = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)])
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    return x + noise * rng.standard_normal(x.shape), y


def make_circles(n, noise, rng, factor=0.5):
    """An outer circle (label 0) around an inner circle of radius ``factor`` (label 1)."""
    n0 = n // 2
    t0, t1 = (np.linspace(0, 2 * np.pi, k, endpoint=False) for k in (n0, n - n0))
    x = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1), factor * np.stack([np.cos(t1), np.sin(t1)], 1)])
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    return x + noise * rng.standard_normal(x.shape), y


def make_spirals(n, rng, classes=3):
    """``classes`` interleaved spiral arms (the CS231n toy problem); integer labels."""
    k = n // classes
    r = np.tile(np.linspace(0.05, 1, k), classes)
    t = np.concatenate([np.linspace(4 * c, 4 * (c + 1), k) for c in range(classes)])
    t = t + 0.2 * rng.standard_normal(k * classes)
    return np.stack([r * np.sin(t), r * np.cos(t)], 1), np.repeat(np.arange(classes), k)


def split_standardized(x, y, n_train):
    """Train/test split with the features standardized by the training set's statistics."""
    mean, std = x[:n_train].mean(0), x[:n_train].std(0)
    z = (x - mean) / std
    return (z[:n_train], y[:n_train]), (z[n_train:], y[n_train:])


N_TRAIN = 200 if lec.quick else 2000
N_TEST = 500 if lec.quick else 2000
BATCH = 50 if lec.quick else 100
EPOCHS = 30 if lec.quick else 60
LR, MOMENTUM = 0.1, 0.9
rng = np.random.default_rng(0)
DATA = {}
for name, maker, noise in (("moons", make_moons, 0.15), ("circles", make_circles, 0.08)):
    x_all, y_all = maker(N_TRAIN + N_TEST, noise, rng)
    perm = rng.permutation(len(y_all))               # shuffle before splitting (the generators sort by class)
    DATA[name] = split_standardized(x_all[perm], y_all[perm, None], N_TRAIN)   # targets shaped (N, 1) like the output
ORDER = [rng.permutation(N_TRAIN) for _ in range(EPOCHS)]   # the mini-batch order, shared by both frameworks

lec.section("The data",
            f"moons (noise 0.15) and circles (noise 0.08, inner radius 0.5): {N_TRAIN} training and {N_TEST} test points "
            f"each, generated with NumPy (seed 0), standardized with the training statistics. Training uses mini-batches "
            f"of {BATCH} in a fixed shuffled order per epoch ({EPOCHS} epochs), the same order on both frameworks.")

# %% [markdown]
# ## 3. Same weights on both frameworks
# `torch.manual_seed(0)` and `minitorch.manual_seed(0)` draw from different generators, so the two models
# start from different random weights. To compare the frameworks we build the torch model, take its
# `state_dict()` (an ordered dict name -> tensor), convert each tensor through NumPy and `load_state_dict` it
# into the minitorch model: the keys must match exactly (strict loading), and the two models then compute the
# same function. Everything runs in float64 (`model.double()`) so the comparison is not limited by float32
# rounding.

# %%
torch.manual_seed(0)
torch_init = classifier_class(torch)().double()
INIT = {k: v.numpy().copy() for k, v in torch_init.state_dict().items()}   # the shared starting point, as NumPy


def same_start(fw, probabilities=False, init=INIT, **kwargs):
    """A float64 Classifier on ``fw`` holding the weights ``init`` (a NumPy state dict)."""
    return with_state(fw, classifier_class(fw)(probabilities=probabilities, **kwargs).double(), init)


mt_model = same_start(minitorch)
x_probe = DATA["moons"][1][0][:8]
same_forward = float(np.abs(mt_model(minitorch.tensor(x_probe)).detach().numpy()
                            - torch_init(torch.tensor(x_probe)).detach().numpy()).max())
lec.section("Copying torch's initial weights into minitorch",
            "state_dict keys: " + ", ".join(INIT) + ". After load_state_dict of the converted tensors both models give "
            "the same outputs.")
lec.check("minitorch model with torch's state_dict: same forward (float64)", same_forward <= 1e-12,
          f"max |diff| over 8 points = {same_forward:.1e}")

# %% [markdown]
# ## 4. Training with `BCELoss` (on probabilities) and `BCEWithLogitsLoss` (on logits)
# Binary cross-entropy for a predicted probability `p` and a label `y in {0, 1}` is
# `-(y log p + (1 - y) log(1 - p))`. Two ways to write the model:
#
# * the model ends in `nn.Sigmoid()` and outputs `p`; the loss is `nn.BCELoss()(p, y)`;
# * the model outputs the logit `z` (no sigmoid); the loss is `nn.BCEWithLogitsLoss()(z, y)`, which applies the
#   sigmoid inside, in a numerically stable form (section 6).
#
# Mathematically the two are the same loss, so from the same weights they train alike: in quick mode to about
# 1e-15 in float64. Not bit for bit, though: once the model is confident, `p` is within 1e-8 of 1, `1 - p` keeps
# only a few significant digits, and BCELoss clamps `p (1 - p)` at 1e-12 in its gradient; over long runs the
# BCELoss run can drift from the logits run (we measured 2e-5 in the weights after 2,000 steps on the separable
# circles, when the frameworks still agreed to 5e-9). The logits run is the accurate one.
#
# The loop is the standard one: `zero_grad`, forward, loss, `backward`, update. The update is what an optimizer
# does with `model.parameters()` and their `.grad`; `torch.optim` is the subject of lecture 04, so here the step of
# `torch.optim.SGD(model.parameters(), lr, momentum=0.9)` is written out (`v <- 0.9 v + grad; p <- p - lr v`, in
# place, under `no_grad`): the Module owns the parameters, the optimizer only walks over them.


# %%
def sgd_momentum_step(fw, params, velocity, lr=LR, momentum=MOMENTUM):
    """One step of torch.optim.SGD(params, lr, momentum): ``v <- momentum v + grad``, ``p <- p - lr v``."""
    with fw.no_grad():
        for p, v in zip(params, velocity):
            v.mul_(momentum).add_(p.grad)
            p.sub_(lr * v)


def train(fw, data, loss_name):
    """Mini-batch SGD with momentum in the shared batch order; returns (model, final parameters, per-step losses)."""
    (x_np, y_np), _ = data
    model = same_start(fw, probabilities=loss_name == "BCELoss")
    loss_fn = getattr(fw.nn, loss_name)()
    params = list(model.parameters())
    velocity = [fw.zeros_like(p) for p in params]
    losses = []
    model.train()
    for order in ORDER:
        for start in range(0, len(order), BATCH):
            idx = order[start:start + BATCH]
            xb, yb = fw.tensor(x_np[idx]), fw.tensor(y_np[idx])
            model.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            sgd_momentum_step(fw, params, velocity)
            losses.append(loss.item())
    return model, [p.detach() for p in params], fw.tensor(losses)


def probabilities(fw, model, x_np):
    """P(class 1) for the points ``x_np``, in eval mode and without a graph."""
    model.eval()
    with fw.no_grad():
        out = model(fw.tensor(x_np))
        return (out if isinstance(model.out, fw.nn.Sigmoid) else out.sigmoid()).numpy()[:, 0]


def accuracy(p, y):
    return float(((p > 0.5) == (y[:, 0] > 0.5)).mean())


lec.section("Training the MLP: BCELoss vs BCEWithLogitsLoss, minitorch vs torch",
            f"MLP 2-16-16-1 with ReLU, SGD(lr={LR}, momentum={MOMENTUM}), float64, starting from torch's initial "
            "state_dict on both frameworks. The rows compare the final parameters and the whole loss curve "
            "(tolerance 1e-8).")
RUNS = {}
for dname, data in DATA.items():
    for loss_name in ("BCELoss", "BCEWithLogitsLoss"):
        mt, th = lec.compare(f"{dname}: {loss_name} weights+losses",
                             lambda fw: train(fw, data, loss_name), tol=1e-8)
        RUNS[dname, loss_name] = {"minitorch": mt, "torch": th}
        test_x, test_y = data[1]
        accs = {fw.__name__: accuracy(probabilities(fw, RUNS[dname, loss_name][fw.__name__][0], test_x), test_y)
                for fw in (minitorch, torch)}
        train_acc = accuracy(probabilities(minitorch, mt[0], data[0][0]), data[0][1])
        lec.note(f"{dname} / {loss_name}: final loss minitorch {mt[2][-1].item():.6f}, torch {th[2][-1].item():.6f}; "
                 f"train accuracy {train_acc:.3f}; test accuracy minitorch {accs['minitorch']:.3f}, "
                 f"torch {accs['torch']:.3f}")
        lec.check(f"{dname} / {loss_name}: test accuracy > 0.95 and equal on both", min(accs.values()) > 0.95
                  and accs["minitorch"] == accs["torch"], str(accs))
    pairs = list(zip(RUNS[dname, "BCELoss"]["minitorch"][1], RUNS[dname, "BCEWithLogitsLoss"]["minitorch"][1]))
    drift = max(float(np.abs(a.numpy() - b.numpy()).max()) for a, b in pairs)
    scale = max(float(np.abs(b.numpy()).max()) for _, b in pairs)
    lec.check(f"{dname}: BCELoss(sigmoid) and BCEWithLogitsLoss train to the same weights (1e-6 relative)",
              drift <= 1e-6 * scale, f"max |weight diff| = {drift:.1e}, largest weight {scale:.2f}")

# %% [markdown]
# ## 5. Decision boundaries
# The probability `P(y = 1 | x)` on a grid over the input plane, for the models trained with
# `BCEWithLogitsLoss`, minitorch on the left and torch on the right. The black line is `p = 0.5`, i.e. the
# logit `z = 0`.

# %%
GRID = 100 if lec.quick else 250


def grid_for(x):
    lo, hi = x.min(0) - 0.5, x.max(0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID))
    return gx, gy, np.stack([gx.ravel(), gy.ravel()], 1)


def boundary_figure(rows, title):
    """rows: (dataset name, (x_test, y_test), {framework: probability function on points})."""
    fig, axes = plt.subplots(len(rows), 2, figsize=(9, 4.2 * len(rows)), squeeze=False)
    for (name, (x, y), prob), ax_row in zip(rows, axes):
        gx, gy, pts = grid_for(x)
        maps = {fw: prob[fw](pts) for fw in ("minitorch", "torch")}
        diff = np.abs(maps["minitorch"] - maps["torch"]).max()
        for ax, fw in zip(ax_row, ("minitorch", "torch")):
            pm = maps[fw]
            extent = (gx.min(), gx.max(), gy.min(), gy.max())
            if pm.ndim == 1:
                ax.imshow(pm.reshape(gx.shape), origin="lower", extent=extent, cmap="RdBu_r", alpha=0.7, vmin=0, vmax=1)
                ax.contour(gx, gy, pm.reshape(gx.shape), levels=[0.5], colors="black", linewidths=1.2)
            else:
                ax.imshow(pm.argmax(1).reshape(gx.shape), origin="lower", extent=extent, cmap="brg", alpha=0.35,
                          vmin=0, vmax=pm.shape[1] - 1)
            ax.set_aspect("auto")
            ax.scatter(x[:300, 0], x[:300, 1], c=y[:300].ravel(), s=8, cmap="RdBu_r" if pm.ndim == 1 else "brg",
                       edgecolors="k", linewidths=0.2)
            ax.set_title(f"{fw}: {name}\nmax |p(minitorch) - p(torch)| = {diff:.1e}", fontsize=10)
            ax.set(xticks=[], yticks=[])
    fig.suptitle(title, y=1.0)
    fig.tight_layout()
    return fig


rows = [(d, DATA[d][1], {fw.__name__: (lambda pts, fw=fw, d=d: probabilities(
    fw, RUNS[d, "BCEWithLogitsLoss"][fw.__name__][0], pts)) for fw in (minitorch, torch)}) for d in DATA]
lec.figure(boundary_figure(rows, "P(class 1): MLP trained with BCEWithLogitsLoss from the same weights"),
           "boundaries_binary", "decision boundaries on moons and circles, minitorch (left) and torch (right), "
           "test points overlaid")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for ax, dname in zip(axes, DATA):
    for (loss_name, fw), style in zip([(l, f) for l in ("BCELoss", "BCEWithLogitsLoss") for f in ("minitorch", "torch")],
                                      ("-", "--", ":", "-.")):
        ax.plot(RUNS[dname, loss_name][fw][2].numpy(), style, lw=1.2, label=f"{fw}, {loss_name}")
    ax.set(yscale="log", xlabel="step", ylabel="training loss (mini-batch)", title=dname)
    ax.legend(fontsize=7)
lec.figure(fig, "loss_binary",
           "mini-batch losses: four curves per dataset (two losses x two frameworks) on top of each other")

# %% [markdown]
# ## 6. Why `BCEWithLogitsLoss`: numerical stability
# With logits that are large in magnitude, `sigmoid(z)` rounds to exactly 1 (in float32 already for `z > 16.6`,
# in float64 for `z > 36.7`) or underflows to exactly 0 (below about -89 in float32, -710 in float64). Note the
# asymmetry: `z = -40` with `y = 1` is still fine (`p = 4e-18` is representable), but `z = 40` with `y = 0`
# needs `log(1 - p)` with `1 - p` rounded to 0. Then:
#
# * the **naive formula** `-(y log(sigmoid(z)) + (1 - y) log(1 - sigmoid(z)))` takes `log(0) = -inf`: the loss is
#   `inf` and the gradient `nan` (it multiplies `inf` by the sigmoid's zero slope);
# * **`nn.BCELoss` on `nn.Sigmoid` outputs** clamps each log at -100 (so the loss is capped at 100) but its
#   gradient is `0` there: the sigmoid has saturated, and the model gets no signal from its most confident
#   mistakes;
# * **`nn.BCEWithLogitsLoss`** rewrites the loss as `max(z, 0) - z y + log(1 + exp(-|z|))`, which never
#   overflows: the loss of a confident mistake is about `|z|` and the gradient is `sigmoid(z) - y`, i.e. `+-1`.
#
# Both frameworks behave identically, `inf`s and `nan`s included.

# %%
Z_BIG = np.array([-800.0, -40.0, -5.0, 0.0, 5.0, 40.0, 800.0])
Y_BIG = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0])     # the big logits are all confidently WRONG


def naive_bce(fw, z, y):
    p = fw.sigmoid(z)
    return -(y * p.log() + (1 - y) * (1 - p).log())


def bce_on_sigmoid(fw, z, y):
    return fw.nn.BCELoss(reduction="none")(fw.nn.Sigmoid()(z), y)


def bce_with_logits(fw, z, y):
    return fw.nn.BCEWithLogitsLoss(reduction="none")(z, y)


lec.section("Numerical stability: naive BCE vs BCELoss vs BCEWithLogitsLoss",
            f"logits z = {Z_BIG.tolist()} with targets {Y_BIG.tolist()} (the large ones are confident mistakes), "
            "float64 and float32; each row compares losses (reduction='none') and d loss / d z on both frameworks, "
            "infinities and nans included.")
STABILITY = {}
for dtype in ("float64", "float32"):
    for fn in (naive_bce, bce_on_sigmoid, bce_with_logits):
        def experiment(fw, fn=fn, dtype=dtype):
            z = fw.tensor(Z_BIG, dtype=getattr(fw, dtype), requires_grad=True)
            loss = fn(fw, z, fw.tensor(Y_BIG, dtype=getattr(fw, dtype)))
            (grad,) = fw.autograd.grad(loss.sum(), z)
            return loss.detach(), grad
        mt, _ = lec.compare(f"{fn.__name__} {dtype}: loss, grad", experiment, tol=1e-6 if dtype == "float32" else 1e-12)
        STABILITY[fn.__name__, dtype] = [t.numpy() for t in mt]
for dtype in ("float64", "float32"):
    lec.note(f"{dtype}:\n" + "\n".join(f"  {fn:<16} loss {np.array2string(v[0], precision=3)}  "
                                       f"grad {np.array2string(v[1], precision=3)}"
                                       for (fn, dt), v in STABILITY.items() if dt == dtype))
naive, capped, stable = (STABILITY[f, "float64"] for f in ("naive_bce", "bce_on_sigmoid", "bce_with_logits"))
lec.check("naive formula: inf loss and nan gradient at |z| = 800 (both frameworks, compared above)",
          bool(np.isinf(naive[0][[0, -1]]).all() and np.isnan(naive[1][[0, -1]]).all()))
lec.check("BCELoss on sigmoid: loss capped at 100, gradient exactly 0 at |z| = 800",
          bool((capped[0][[0, -1]] == 100).all() and (capped[1][[0, -1]] == 0).all()))
lec.check("BCEWithLogitsLoss: loss |z| and gradient sigmoid(z) - y = -1 / +1 at |z| = 800",
          bool(np.allclose(stable[0][[0, -1]], 800) and np.allclose(stable[1], 0.5 * (1 + np.tanh(Z_BIG / 2)) - Y_BIG)))

# %% [markdown]
# ## 7. Multi-class: three spirals with `CrossEntropyLoss`
# For `C` classes the model outputs `C` logits per point and `nn.CrossEntropyLoss` takes those logits and the
# integer class index (int64), applying `log_softmax` internally (never put a Softmax layer before it). The
# same `Classifier` with `classes=3` and a wider body; the same SGD with momentum, full batch, float64, from
# torch's initial weights.

# %%
N_SPIRAL = 300 if lec.quick else 1500
SPIRAL_STEPS = 200 if lec.quick else 1000
SPIRAL_HIDDEN = 32 if lec.quick else 64
spiral_rng = np.random.default_rng(1)              # its own generator: the spirals do not depend on the sizes above
sx, sy = make_spirals(2 * N_SPIRAL, spiral_rng)
perm = spiral_rng.permutation(len(sy))
(spiral_train, spiral_test) = split_standardized(sx[perm], sy[perm], N_SPIRAL)
torch.manual_seed(1)
SPIRAL_INIT = {k: v.numpy().copy()
               for k, v in classifier_class(torch)(hidden=SPIRAL_HIDDEN, classes=3).double().state_dict().items()}


def train_spirals(fw):
    model = same_start(fw, init=SPIRAL_INIT, hidden=SPIRAL_HIDDEN, classes=3)
    x, y = fw.tensor(spiral_train[0]), fw.tensor(spiral_train[1])
    loss_fn = fw.nn.CrossEntropyLoss()
    params = list(model.parameters())
    velocity = [fw.zeros_like(p) for p in params]
    losses = []
    for _ in range(SPIRAL_STEPS):
        model.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        sgd_momentum_step(fw, params, velocity)
        losses.append(loss.item())
    return model, [p.detach() for p in params], fw.tensor(losses)


def class_probabilities(fw, model, x_np):
    model.eval()
    with fw.no_grad():
        return model(fw.tensor(x_np)).softmax(dim=1).numpy()


lec.section("Three spirals with CrossEntropyLoss",
            f"{N_SPIRAL} training / {N_SPIRAL} test points, MLP 2-{SPIRAL_HIDDEN}-{SPIRAL_HIDDEN}-3 with ReLU, "
            f"SGD(lr={LR}, momentum={MOMENTUM}), {SPIRAL_STEPS} full-batch steps, float64, from torch's initial weights "
            "on both frameworks.")
spirals = dict(zip(("minitorch", "torch"), lec.compare("spirals: CrossEntropyLoss weights+losses", train_spirals, tol=1e-8)))
spiral_acc = {fw.__name__: float((class_probabilities(fw, spirals[fw.__name__][0], spiral_test[0]).argmax(1)
                                  == spiral_test[1]).mean()) for fw in (minitorch, torch)}
lec.note(f"spirals: final loss {spirals['minitorch'][2][-1].item():.5f} (minitorch), {spirals['torch'][2][-1].item():.5f} "
         f"(torch); test accuracy {spiral_acc}")
lec.check("spirals: test accuracy > 0.9 and equal on both", min(spiral_acc.values()) > 0.9
          and spiral_acc["minitorch"] == spiral_acc["torch"], str(spiral_acc))
lec.figure(boundary_figure([("spirals", spiral_test, {fw.__name__: (lambda pts, fw=fw: class_probabilities(
    fw, spirals[fw.__name__][0], pts)) for fw in (minitorch, torch)})], "argmax class: 3 spirals, CrossEntropyLoss"),
    "boundaries_spirals", "3-class decision regions, minitorch (left) and torch (right)")

# %% [markdown]
# ## 8. Deep dive: the gradient of BCE with logits, and the default `nn.Linear` initialisation
# **The gradient.** With `p = sigmoid(z)`, `dp/dz = p (1 - p)`. For `L = -(y log p + (1 - y) log(1 - p))`:
#
#     dL/dp = -y / p + (1 - y) / (1 - p) = (p - y) / (p (1 - p))
#     dL/dz = dL/dp * dp/dz = p - y = sigmoid(z) - y
#
# The `p (1 - p)` factors cancel: the gradient is bounded in [-1, 1], linear in the error, and never vanishes
# for a confident mistake. The naive graph computes the same thing as a product `inf * 0` once `p` rounds to 0
# or 1; the fused loss computes it directly. The second derivative is `p (1 - p)` (> 0: the loss is convex in
# `z`). With `reduction='mean'` both are divided by the number of elements. Same story for softmax +
# cross-entropy: `dL/dz = softmax(z) - onehot(y)`.

# %%
lec.section("Deep dive: dL/dz = sigmoid(z) - y, and how nn.Linear is initialised",
            "The gradient of BCE-with-logits is the error sigmoid(z) - y (and softmax(z) - onehot(y) for cross-entropy); "
            "its second derivative is p(1 - p). Checked by autograd and double backward on both frameworks.")
zd = np.random.default_rng(2).normal(0, 3, 64)
yd = (np.random.default_rng(3).random(64) > 0.5).astype(np.float64)


def bce_derivatives(fw, z):
    y = fw.tensor(yd)
    loss = fw.nn.BCEWithLogitsLoss(reduction="sum")(z, y)
    (g,) = fw.autograd.grad(loss, z, create_graph=True)
    (h,) = fw.autograd.grad(g.sum(), z)               # diagonal Hessian: d^2 L / dz_i^2
    p = fw.sigmoid(z.detach())
    return g.detach(), h, (g.detach() - (p - y)).abs().max(), (h - p * (1 - p)).abs().max()


mt_d, _ = lec.compare("BCE-with-logits grad and 2nd derivative", bce_derivatives, inputs=[zd], grad=True,
                      tol=1e-12)
lec.check("autograd dL/dz == sigmoid(z) - y and d2L/dz2 == p(1-p) (minitorch, float64)",
          mt_d[2].item() < 1e-15 and mt_d[3].item() < 1e-15, f"max errors {mt_d[2].item():.1e}, {mt_d[3].item():.1e}")


def ce_gradient(fw, z):
    y = fw.tensor(np.arange(8) % 3)
    (g,) = fw.autograd.grad(fw.nn.CrossEntropyLoss(reduction="sum")(z, y), z)
    return g, (g - (z.detach().softmax(dim=1) - fw.eye(3, dtype=fw.float64)[y])).abs().max()


mt_ce, _ = lec.compare("cross-entropy grad = softmax - onehot", ce_gradient,
                       inputs=[np.random.default_rng(4).normal(0, 2, (8, 3))], grad=True, tol=1e-12)
lec.check("autograd d CE / dz == softmax(z) - onehot(y) (minitorch)", mt_ce[1].item() < 1e-15, f"{mt_ce[1].item():.1e}")

# %% [markdown]
# **Default `nn.Linear` initialisation.** `reset_parameters` calls `kaiming_uniform_(weight, a=sqrt(5))`:
# Kaiming's rule draws `U(-b, b)` with `b = gain * sqrt(3 / fan_in)`, and the leaky-ReLU gain with slope
# `a = sqrt(5)` is `sqrt(2 / (1 + a^2)) = sqrt(1/3)`, so `b = 1 / sqrt(fan_in)`. The bias is drawn from the
# same `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`. (The odd `a = sqrt(5)` reproduces the old Lua-torch default in
# the new API.) The weight's standard deviation is therefore `1 / sqrt(3 fan_in)`: the pre-activation variance
# is about a third of the input's, a scale that keeps a shallow MLP trainable without tuning. Random, not
# constant, weights break the symmetry between hidden units.

# %%
FAN_IN, FAN_OUT = 400, 300


def init_statistics(fw):
    fw.manual_seed(0)
    layer = fw.nn.Linear(FAN_IN, FAN_OUT)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    gain = fw.nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    pre = np.random.default_rng(7).standard_normal((1000, FAN_IN)) @ w.T      # pre-activations of N(0, 1) inputs
    return (round(gain, 12), round(gain * math.sqrt(3 / FAN_IN), 12),
            bool(np.abs(w).max() <= 1 / math.sqrt(FAN_IN)), bool(np.abs(b).max() <= 1 / math.sqrt(FAN_IN)),
            bool(abs(w.std() * math.sqrt(3 * FAN_IN) - 1) < 0.02), bool(abs(w.mean()) < 0.1 / math.sqrt(FAN_IN)),
            bool(abs(3 * pre.var() - 1) < 0.05))


lec.compare("Linear(400, 300) init bounds and std", init_statistics, tol=1e-12)
lec.note(f"gain(leaky_relu, sqrt 5) = sqrt(1/3) = {math.sqrt(1 / 3):.6f}; "
         f"bound = 1/sqrt({FAN_IN}) = {1 / math.sqrt(FAN_IN):.6f}; "
         "weights within the bound, std = bound / sqrt(3), and N(0, 1) inputs give pre-activations of variance 1/3, "
         "on both frameworks (different random numbers, same law).")

# %% [markdown]
# ## 9. Interview questions
# Where an answer states a behaviour, `check=` runs it on both frameworks.

# %%
lec.section("Interview questions", "Answers that state a behaviour are checked on minitorch and on torch.")


def check_registration(fw):
    m = anatomy_class(fw)()
    names = [n for n, _ in m.named_parameters()]
    return names == ["scale", "blocks.0.weight", "blocks.0.bias"] and "plain" not in m.state_dict()


lec.qa("Which attributes of a Module does parameters() return?",
       "Only registered ones: nn.Parameter attributes of the module and of its registered children (recursively), "
       "each once. A plain tensor attribute is not a parameter: it is not trained, saved or converted by .double().",
       check=check_registration)


def check_modulelist(fw):
    m = anatomy_class(fw)()
    ids = {id(p) for p in m.parameters()}
    return id(m.listed[0].weight) not in ids and id(m.blocks[0].weight) in ids


lec.qa("Why use nn.ModuleList instead of a Python list of layers?",
       "A Python list hides the layers from the module: their parameters are not in parameters() (so the optimizer "
       "never updates them), not in state_dict, and .train()/.double() skip them. ModuleList registers them as "
       "children named 0, 1, ...", check=check_modulelist)


def check_buffers(fw):
    m = anatomy_class(fw)()
    sd = m.state_dict()
    return ("shift" in sd and "cache" not in sd and not sd["shift"].requires_grad
            and all(not isinstance(b, fw.nn.Parameter) for b in m.buffers()))


lec.qa("What is the difference between a parameter and a buffer? What does persistent=False do?",
       "Both are module state. Parameters are trained (returned by parameters()); buffers are not (BatchNorm's running "
       "mean, a step counter). Persistent buffers are in the state_dict; persistent=False ones are not saved.",
       check=check_buffers)


def check_eval_not_no_grad(fw):
    m = classifier_class(fw)(hidden=4).eval()
    out = m(fw.ones(3, 2))
    with fw.no_grad():
        off = m(fw.ones(3, 2))
    return out.requires_grad and not off.requires_grad and not any(x.training for x in m.modules())


lec.qa("Does model.eval() turn off gradient tracking?",
       "No. eval() only sets training=False on every submodule (changing Dropout/BatchNorm behaviour); the forward "
       "still builds a graph. Use torch.no_grad() / inference_mode() for that; at inference you want both.",
       check=check_eval_not_no_grad)


def check_dropout(fw):
    fw.manual_seed(1)
    drop = fw.nn.Dropout(0.25)
    x = fw.ones(20000, dtype=fw.float64)
    y = drop(x)
    kept = y[y != 0]
    scaled = bool(((kept - 1 / 0.75).abs() < 1e-15).all()) and abs(y.mean().item() - 1) < 0.03
    return scaled and drop.eval()(x) is x


lec.qa("What does Dropout do in training and in eval mode, and why does it scale by 1/(1-p)?",
       "In training it zeroes each element with probability p and multiplies the survivors by 1/(1-p), so each "
       "output's expected value equals its input (inverted dropout) and the next layer sees the same scale in "
       "training and at test time; the gradient uses the same mask. In eval mode it returns its input unchanged.",
       check=check_dropout)


def check_batchnorm_modes(fw):
    bn = fw.nn.BatchNorm1d(2).double()
    x = fw.tensor([[1.0, 0.0], [3.0, 4.0], [5.0, 8.0]], dtype=fw.float64)      # mean [3, 4]; var [8/3, 32/3]
    with fw.no_grad():
        y = bn(x)
        train_ok = bool(((y - (x - x.mean(0)) / (x.var(0, unbiased=False) + bn.eps).sqrt()).abs() < 1e-14).all())
        expected = fw.tensor([[0.3, 0.4], [1.3, 2.5]], dtype=fw.float64)
        running_ok = bool(((fw.stack([bn.running_mean, bn.running_var]) - expected).abs() < 1e-15).all())
        try:
            bn(x[:1])
            return False
        except ValueError:
            pass
        one = bn.eval()(x[:1])
        eval_ok = bool(((one - (x[:1] - bn.running_mean) / (bn.running_var + bn.eps).sqrt()).abs() < 1e-14).all())
    return train_ok and running_ok and eval_ok


lec.qa("Which statistics does BatchNorm use in training and in eval mode? Which variance goes into running_var?",
       "Training: the batch's mean and biased variance (divide by n) normalise the batch, and the running buffers "
       "move by momentum 0.1 towards the batch mean and the UNBIASED variance (divide by n - 1): for the batch "
       "[[1, 0], [3, 4], [5, 8]] running_mean becomes [0.3, 0.4] and running_var 0.9 + 0.1 [4, 16] = [1.3, 2.5]. "
       "A training batch of one sample raises ValueError. Eval: the running statistics, so any batch size works and "
       "each sample's output is independent of the others. Forgetting model.eval() at inference is a classic bug.",
       check=check_batchnorm_modes)


def check_backward_hook(fw):
    layer = fw.nn.Linear(3, 2).double()
    seen = []

    def zero_input_grad(module, grad_input, grad_output):
        seen.append((len(grad_input), tuple(grad_input[0].shape), tuple(grad_output[0].shape)))
        return (grad_input[0] * 0,)

    layer.register_full_backward_hook(zero_input_grad)
    x = fw.ones(4, 3, dtype=fw.float64, requires_grad=True)
    layer(x).sum().backward()
    weight_untouched = bool((layer.weight.grad == 4).all())      # grad_output^T x = ones(2, 4) @ ones(4, 3)
    return seen == [(1, (4, 3), (4, 2))] and bool((x.grad == 0).all()) and weight_untouched


lec.qa("In register_full_backward_hook, what are grad_input and grad_output, and what does returning a value do?",
       "grad_output holds dL/d(output) for each output of forward, grad_input dL/d(input) for each positional input "
       "(None where the input does not require grad): gradients with respect to the module's inputs and outputs, "
       "never its parameters. A returned tuple replaces grad_input, i.e. the gradient passed on to earlier layers; "
       "the module's own weight gradient (computed from grad_output) is unchanged. To change that, modify "
       "grad_output in a register_full_backward_pre_hook.", check=check_backward_hook)


def check_call_vs_forward(fw):
    m = classifier_class(fw)(hidden=4)
    calls = []
    m.register_forward_hook(lambda mod, inp, out: calls.append(1))
    x = fw.ones(2, 2)
    m(x)
    m.forward(x)
    return len(calls) == 1


lec.qa("Why call model(x) rather than model.forward(x)?",
       "__call__ runs the forward pre-hooks, then forward, then the forward hooks; calling forward directly skips "
       "the hooks (and so anything built on them).", check=check_call_vs_forward)


def check_logits_stable(fw):
    z = fw.tensor([60.0], dtype=fw.float64, requires_grad=True)
    y = fw.tensor([0.0], dtype=fw.float64)
    (g_logits,) = fw.autograd.grad(fw.nn.BCEWithLogitsLoss()(z, y), z)
    (g_probs,) = fw.autograd.grad(fw.nn.BCELoss()(fw.sigmoid(z), y), z)
    return g_logits.item() == 1.0 and g_probs.item() == 0.0


lec.qa("Why prefer BCEWithLogitsLoss over Sigmoid + BCELoss?",
       "It fuses the sigmoid into the loss as max(z,0) - z y + log(1 + exp(-|z|)), which never overflows and keeps "
       "the gradient sigmoid(z) - y. With Sigmoid + BCELoss a confident mistake (z = 60, y = 0) saturates the "
       "sigmoid to exactly 1: loss capped at 100 and gradient 0, so the model cannot learn from it.",
       check=check_logits_stable)


def check_clamp(fw):
    loss = fw.nn.BCELoss(reduction="none")(fw.tensor([0.0, 1.0]), fw.tensor([1.0, 0.0]))
    return bool((loss == 100).all())


def check_strict_loading(fw):
    model = classifier_class(fw)(hidden=16)
    renamed = {"mlp." + k: fw.tensor(v) for k, v in INIT.items()}
    try:
        model.load_state_dict(renamed)
        return False
    except RuntimeError as e:
        raised = "Missing key(s)" in str(e) and "Unexpected key(s)" in str(e)
    report = model.load_state_dict(renamed, strict=False)
    return raised and len(report.missing_keys) == len(INIT) and report.unexpected_keys == list(renamed)


lec.qa("What happens when you load a state_dict whose keys do not match the model's?",
       "With the default strict=True, load_state_dict raises RuntimeError listing the missing and unexpected keys "
       "(and size mismatches); with strict=False it loads what matches and returns the two lists. Keys are the "
       "attribute paths (body.0.weight), so renaming an attribute breaks old checkpoints.", check=check_strict_loading)


lec.qa("What does BCELoss return for p = 0 with y = 1?",
       "100, not inf: BCELoss clamps log(p) and log(1 - p) at -100 so that a single saturated prediction cannot "
       "make the loss infinite (its gradient is still useless there).", check=check_clamp)


def check_grad_formula(fw):
    z = fw.tensor(zd[:10], requires_grad=True)
    y = fw.tensor(yd[:10])
    (g,) = fw.autograd.grad(fw.nn.BCEWithLogitsLoss()(z, y), z)
    return bool(((g - (fw.sigmoid(z.detach()) - y) / 10).abs() < 1e-15).all())


lec.qa("What is the gradient of BCEWithLogitsLoss with respect to the logits?",
       "(sigmoid(z) - y) / N with the default reduction='mean' (N elements): predicted probability minus target.",
       check=check_grad_formula)


def check_mse_vanishes(fw):
    z = fw.tensor([8.0], dtype=fw.float64, requires_grad=True)
    y = fw.tensor([0.0], dtype=fw.float64)
    (g_mse,) = fw.autograd.grad(fw.nn.MSELoss()(fw.sigmoid(z), y), z)
    (g_bce,) = fw.autograd.grad(fw.nn.BCEWithLogitsLoss()(z, y), z)
    return g_mse.item() < 1e-3 < 0.99 < g_bce.item()


lec.qa("Why not train a classifier with MSE on sigmoid outputs?",
       "The MSE gradient w.r.t. the logit is 2 (p - y) p (1 - p): it vanishes when the sigmoid saturates, even for a "
       "confident wrong answer (z = 8, y = 0: about 7e-4, versus 0.9997 for BCE). BCE is also the negative "
       "log-likelihood of a Bernoulli model, and convex in z.", check=check_mse_vanishes)


def check_ce_takes_logits(fw):
    z = fw.tensor(np.random.default_rng(5).normal(0, 2, (6, 3)))
    y = fw.tensor([0, 1, 2, 0, 1, 2])
    ce = fw.nn.CrossEntropyLoss()
    same = abs(ce(z, y).item() - fw.nn.NLLLoss()(z.log_softmax(dim=1), y).item()) < 1e-12
    return same and abs(ce(z.softmax(dim=1), y).item() - ce(z, y).item()) > 1e-2 and y.dtype == fw.int64


lec.qa("What does CrossEntropyLoss expect as input and target?",
       "Raw logits of shape (N, C) and int64 class indices of shape (N,) (or class probabilities). It computes "
       "NLLLoss(log_softmax(logits)); feeding it softmax outputs applies softmax twice and gives a different, "
       "badly scaled loss.", check=check_ce_takes_logits)


def check_linear_collapse(fw):
    fw.manual_seed(0)
    a, b = fw.nn.Linear(2, 5).double(), fw.nn.Linear(5, 3).double()
    x = fw.tensor(np.random.default_rng(6).normal(size=(4, 2)))
    with fw.no_grad():
        w, c = b.weight @ a.weight, b.weight @ a.bias + b.bias
        return bool(((b(a(x)) - (x @ w.T + c)).abs() < 1e-12).all())


lec.qa("Why does an MLP need a non-linear activation between its Linear layers?",
       "Without it, Linear(W2, c2) after Linear(W1, c1) is the single linear map x W1^T W2^T + (W2 c1 + c2): depth "
       "adds nothing and the decision boundary stays a straight line (moons and circles would be unsolvable).",
       check=check_linear_collapse)


def check_symmetry(fw):
    m = fw.nn.Sequential(fw.nn.Linear(2, 4), fw.nn.Tanh(), fw.nn.Linear(4, 1)).double()
    for p in m.parameters():
        fw.nn.init.constant_(p, 0.3)
    params = list(m.parameters())
    velocity = [fw.zeros_like(p) for p in params]
    x, y = fw.tensor(DATA["moons"][0][0][:32]), fw.tensor(DATA["moons"][0][1][:32])
    for _ in range(5):
        m.zero_grad()
        fw.nn.BCEWithLogitsLoss()(m(x), y).backward()
        sgd_momentum_step(fw, params, velocity, lr=0.5)
    w = m[0].weight.detach()
    return bool(((w - w[:1]).abs().max() == 0).item()) and bool((w[0] != 0.3).any())


lec.qa("Why not initialise all weights to the same constant?",
       "Hidden units that start equal receive equal gradients and stay equal forever (symmetry): a layer of 4 units "
       "behaves like 1. After 5 SGD steps from a constant init all rows of the first weight matrix are still identical.",
       check=check_symmetry)


def check_default_init(fw):
    fw.manual_seed(0)
    layer = fw.nn.Linear(64, 10)
    bound = 1 / math.sqrt(64)
    return bool(layer.weight.abs().max().item() <= bound and layer.bias.abs().max().item() <= bound
                and layer.weight.abs().max().item() > 0.9 * bound)


lec.qa("How does nn.Linear initialise its weight and bias?",
       "Both from U(-1/sqrt(fan_in), 1/sqrt(fan_in)): kaiming_uniform_ with a = sqrt(5) for the weight (gain sqrt(1/3)), "
       "and the same bound for the bias. (Deep dive above.)", check=check_default_init)


def check_relu_grad(fw):
    x = fw.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    (g,) = fw.autograd.grad(fw.nn.ReLU()(x).sum(), x)
    return g.tolist() == [0.0, 0.0, 1.0]


def check_sigmoid_hidden(fw):
    x = fw.tensor([0.0, 10.0], requires_grad=True)
    (g_sig,) = fw.autograd.grad(fw.nn.Sigmoid()(x).sum(), x)
    (g_relu,) = fw.autograd.grad(fw.nn.ReLU()(x).sum(), x)
    return g_sig[0].item() == 0.25 and g_sig[1].item() < 1e-4 and g_relu[1].item() == 1.0


lec.qa("Why ReLU rather than Sigmoid in the hidden layers?",
       "sigmoid'(x) = s(1 - s) is at most 0.25 (at 0) and ~0 for |x| > 10, so backprop through n sigmoid layers "
       "shrinks gradients by at least 4^n (vanishing gradients); ReLU passes gradient 1 for every positive input and "
       "is cheaper. Sigmoid stays useful at the output, to turn one logit into a probability.",
       check=check_sigmoid_hidden)


lec.qa("What is the derivative of ReLU, and what is a dead ReLU?",
       "1 for x > 0 and 0 for x <= 0 (the convention at 0 is 0). A unit whose pre-activation is negative for every "
       "input gets zero gradient and never recovers (e.g. after a too-large step); LeakyReLU/GELU avoid the hard zero.",
       check=check_relu_grad)


def check_zero_grad(fw):
    m = fw.nn.Linear(2, 1)
    m(fw.ones(1, 2)).sum().backward()
    had = m.weight.grad is not None
    m.zero_grad()
    return had and m.weight.grad is None


lec.qa("What does model.zero_grad() (or optimizer.zero_grad()) do by default?",
       "It sets every parameter's .grad to None (set_to_none=True), which saves memory and a kernel; the next "
       "backward() allocates fresh gradients. With set_to_none=False it fills them with zeros instead.",
       check=check_zero_grad)


def check_freeze(fw):
    m = classifier_class(fw)(hidden=4).double()
    m.body.requires_grad_(False)
    fw.nn.BCEWithLogitsLoss()(m(fw.ones(3, 2, dtype=fw.float64)), fw.ones(3, 1, dtype=fw.float64)).backward()
    trainable = [n for n, p in m.named_parameters() if p.requires_grad]
    return (all(p.grad is None for p in m.body.parameters()) and m.head.weight.grad is not None
            and trainable == ["head.weight", "head.bias"])


lec.qa("How do you freeze part of a model?",
       "Call requires_grad_(False) on its submodule: backward gives its parameters no .grad, and optimizers skip "
       "parameters whose grad is None, so they stay fixed while the rest trains. Usually you also hand the optimizer "
       "only the trainable ones: [p for p in model.parameters() if p.requires_grad].", check=check_freeze)


def check_threshold(fw):
    z = fw.tensor(zd)
    return bool(((fw.sigmoid(z) > 0.5) == (z > 0)).all())


lec.qa("With a logits model, how do you turn outputs into class predictions?",
       "sigmoid(z) > 0.5 is the same as z > 0, so no sigmoid is needed to predict; apply it only when you need the "
       "probability. For C classes, argmax of the logits equals argmax of the softmax.", check=check_threshold)


def check_param_count(fw):
    m = classifier_class(fw)(hidden=16)
    return sum(p.numel() for p in m.parameters()) == (2 * 16 + 16) + (16 * 16 + 16) + (16 * 1 + 1)


lec.qa("How many parameters does the 2-16-16-1 MLP have?",
       "Each Linear(n_in, n_out) has n_in * n_out weights plus n_out biases: 48 + 272 + 17 = 337. "
       "sum(p.numel() for p in model.parameters()) counts them.", check=check_param_count)

# %%
lec.finish()
