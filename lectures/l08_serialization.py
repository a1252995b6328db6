"""Serialization: state_dict, save/load, resuming training, inference mode, checkpoints across frameworks.

What you will learn: what a `state_dict` holds (parameters and persistent buffers, by dotted name; the
optimizer's and scheduler's state); `save` / `load` of weights and of a full training checkpoint (model,
optimizer, scheduler, epoch) so that a resumed run is bit-identical to an uninterrupted one; inference with
`eval()` and `no_grad` / `inference_mode`; moving a checkpoint from torch to minitorch and back (even in the
middle of training) with identical predictions; safetensors; why loading a checkpoint must never run code
(a malicious pickle, refused); atomic writes; and, in the deep dive, the inside of torch's zip checkpoint.

Prerequisites: lecture 04 (optimizers and schedulers) and lecture 05 (nn.Module).
"""
# %%
import io
import json
import os
import pickletools
import zipfile

import matplotlib.pyplot as plt
import numpy as np
import torch

import minitorch
from lectures.runtime import lecture

TEACHES = ("state_dict anatomy (parameters vs buffers), save/load, resuming mid-training bit-identically, inference "
           "mode, torch <-> minitorch checkpoints, safetensors, malicious pickles, atomic writes, torch's zip layout")
lec = lecture("08")
FRAMEWORKS = (minitorch, torch)
CKPT = lec.out_dir / "checkpoints"                 # every file of this lecture goes here (never the source tree)
CKPT.mkdir(parents=True, exist_ok=True)
TOL = 1e-10                                        # float64 throughout

# %% [markdown]
# ## 1. The model and the anatomy of a state_dict
# A small float64 regression MLP whose first layer standardizes its input with statistics kept as **buffers**:
# tensors that belong to the model's state (saved, moved with `.to()`) but are not trained, so they are not
# parameters and the optimizer never sees them. A buffer registered with `persistent=False` is part of the
# module but is left out of the `state_dict`. `state_dict()` returns an `OrderedDict` from dotted names
# (`<child index or name>.<attribute>`) to tensors, detached but sharing memory with the live parameters.

# %%
rng = np.random.default_rng(0)
N, BATCH = 256, 32
X_NP = rng.uniform(-2, 2, (N, 2)) * [1.0, 3.0] + [0.5, -1.0]
Y_NP = np.sin(2 * X_NP[:, :1]) + 0.1 * (X_NP[:, 1:] + 1) ** 2
MEAN, STD = X_NP.mean(0), X_NP.std(0)


def make_model(fw):
    """Standardize -> Linear(2, 16) -> ReLU -> Linear(16, 1), in float64."""
    class Standardize(fw.nn.Module):
        """(x - mean) / (std + eps): mean and std are saved buffers, eps a non-persistent one."""

        def __init__(self):
            super().__init__()
            self.register_buffer("mean", fw.zeros(2, dtype=fw.float64))
            self.register_buffer("std", fw.ones(2, dtype=fw.float64))
            self.register_buffer("eps", fw.tensor(1e-6, dtype=fw.float64), persistent=False)

        def forward(self, x):
            return (x - self.mean) / (self.std + self.eps)

    return fw.nn.Sequential(Standardize(), fw.nn.Linear(2, 16, dtype=fw.float64), fw.nn.ReLU(),
                            fw.nn.Linear(16, 1, dtype=fw.float64))


SHAPES = {"0.mean": (2,), "0.std": (2,), "1.weight": (16, 2), "1.bias": (16,), "3.weight": (1, 16), "3.bias": (1,)}
INIT = {k: rng.uniform(-0.7, 0.7, s) for k, s in SHAPES.items()} | {"0.mean": MEAN, "0.std": STD}


def initialised(fw):
    """The model with the same NumPy-drawn weights on both frameworks (their random generators differ)."""
    model = make_model(fw)
    model.load_state_dict({k: fw.tensor(v) for k, v in INIT.items()})
    return model


def anatomy(fw):
    model = initialised(fw)
    sd = model.state_dict()
    return ([(k, v.dtype, list(v.shape), v.requires_grad) for k, v in sd.items()], type(sd).__name__,
            [k for k, _ in model.named_parameters()], [k for k, _ in model.named_buffers()])


lec.section("The anatomy of a state_dict",
            "Keys, dtypes, shapes and requires_grad of every entry, the state_dict's type, and the names of the "
            "parameters and of the buffers, compared between the frameworks.")
(entries, kind, param_names, buffer_names), _ = lec.compare("state_dict keys, dtypes, shapes", anatomy)
lec.note("state_dict: " + ", ".join(f"{k} {list(s)}" for k, _, s, _ in entries) + f" ({kind}).")
lec.check("parameters + persistent buffers == state_dict keys; the non-persistent buffer is left out",
          sorted(param_names + [b for b in buffer_names if b != "0.eps"]) == sorted(k for k, *_ in entries)
          and "0.eps" in buffer_names and "0.eps" not in [k for k, *_ in entries],
          f"parameters {param_names}, buffers {buffer_names}")


def shares_memory(fw):
    model = initialised(fw)
    sd = model.state_dict()
    same_ptr = sd["1.weight"].data_ptr() == model[1].weight.data_ptr()
    sd["1.bias"][0] = 42.0                         # writes through to the model's parameter
    return same_ptr, model[1].bias[0].item(), sd["1.weight"].requires_grad, model[1].weight.requires_grad


aliasing = lec.compare("state_dict tensors alias the parameters", shares_memory)
lec.check("state_dict values are detached views of the live parameters (a write shows in the model)",
          all(r == (True, 42.0, False, True) for r in aliasing),
          "use {k: v.clone() for k, v in sd.items()} for a snapshot that later training does not change")

# %% [markdown]
# ## 2. save and load
# `save(obj, path)` writes tensors inside nested dicts / lists / tuples of numbers and strings; `load(path)`
# reads them back. The usual pattern saves the `state_dict` (not the model object) and loads it into a freshly
# built model with `load_state_dict`, which copies the values into the existing parameters. minitorch writes
# its own safe format by default (a JSON header plus raw bytes) and torch's zip format with `format="torch"`;
# `minitorch.load` reads both.

# %%
X_TEST = np.random.default_rng(1).uniform(-2, 2, (8, 2)) * [1.0, 3.0]


def predict(fw, model, x=X_TEST):
    model.eval()
    with fw.no_grad():
        return model(fw.tensor(x))


def save_and_reload(fw):
    model = initialised(fw)
    path = CKPT / f"weights_{fw.__name__}.pt"
    fw.save(model.state_dict(), path)
    fresh = make_model(fw)                         # different (random) weights until load_state_dict
    before = predict(fw, fresh)
    result = fresh.load_state_dict(fw.load(path))
    after = predict(fw, fresh)
    changed = bool((after - before).abs().max() > 0)
    return predict(fw, model), after, changed, list(result.missing_keys), list(result.unexpected_keys)


lec.section("save and load a state_dict",
            "Each framework saves its model's state_dict, loads it into a freshly built model and predicts: the "
            "reloaded model must give the original's predictions exactly, on both frameworks.")
(orig, reloaded, changed, missing, unexpected), _ = lec.compare("save -> load -> predict", save_and_reload, tol=TOL)
lec.check("the reloaded minitorch model predicts exactly like the original",
          np.array_equal(orig.numpy(), reloaded.numpy()) and changed and not missing and not unexpected,
          f"files: {', '.join(f'{p.name} ({p.stat().st_size} bytes)' for p in sorted(CKPT.glob('weights_*.pt')))}")

# %% [markdown]
# ## 3. Saving and resuming mid-training
# A run interrupted half way (epoch 3 of 6 in quick mode) must continue exactly as if it had never stopped. That
# takes everything whose value changes during training: the model's weights, the optimizer's state (Adam's step
# count and moments), the scheduler's state (its epoch counter and current lr) and the epoch number itself, plus
# the random state of anything random (here the data order is drawn from `default_rng(epoch)`, so the epoch
# number is enough; in general save `torch.get_rng_state()` too). Resuming with only the model's weights
# restarts Adam's moments at zero and the lr schedule at its beginning: a different run.

# %%
EPOCHS = 6 if lec.quick else 40
HALF = EPOCHS // 2


def training(fw, model):
    opt = fw.optim.Adam(model.parameters(), lr=0.05)
    sched = fw.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return opt, sched


def train(fw, model, opt, sched, epochs, losses):
    """Mini-batch training over the given epochs; the batch order of each epoch comes from default_rng(epoch)."""
    x, y = fw.tensor(X_NP), fw.tensor(Y_NP)
    model.train()
    for epoch in epochs:
        order = np.random.default_rng(epoch).permutation(N)
        for start in range(0, N, BATCH):
            idx = fw.tensor(order[start:start + BATCH])
            opt.zero_grad()
            loss = ((model(x[idx]) - y[idx]) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        sched.step()


def checkpoint(model, opt, sched, epoch):
    return {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "epoch": epoch}


def resume(fw, ckpt, model_only=False):
    """A fresh model, optimizer and scheduler restored from a checkpoint dict."""
    model = make_model(fw)
    opt, sched = training(fw, model)
    model.load_state_dict(ckpt["model"])
    if not model_only:
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
    return model, opt, sched


def final_weights(model):
    return [t.clone() for t in model.state_dict().values()]


def interrupted_training(fw):
    """EPOCHS epochs straight, and HALF epochs + checkpoint + "crash" + resume (in full, and with the model only).

    Returns (weights, losses) of the straight run, then (weights, losses, last lr) of the full resume and of
    the weights-only resume."""
    model = initialised(fw)
    opt, sched = training(fw, model)
    straight = []
    train(fw, model, opt, sched, range(EPOCHS), straight)
    uninterrupted = final_weights(model)

    model = initialised(fw)
    opt, sched = training(fw, model)
    first = []
    train(fw, model, opt, sched, range(HALF), first)
    path = CKPT / f"resume_{fw.__name__}.pt"
    fw.save(checkpoint(model, opt, sched, HALF), path)
    del model, opt, sched                          # the process "crashes" here

    ckpt = fw.load(path)
    resumed = {}
    for model_only in (False, True):
        model, opt, sched = resume(fw, ckpt, model_only)
        losses = list(first)
        train(fw, model, opt, sched, range(ckpt["epoch"], EPOCHS), losses)
        resumed[model_only] = (final_weights(model), losses, sched.get_last_lr()[0])
    return (uninterrupted, straight), resumed[False], resumed[True]


lec.section("Saving and resuming mid-training",
            f"Adam + StepLR for {EPOCHS} epochs straight, versus {HALF} epochs, a checkpoint (model, optimizer, "
            "scheduler, epoch) written with save, everything deleted, and a fresh model/optimizer/scheduler resumed "
            "from the loaded checkpoint. The row compares all three runs between the frameworks.")
resume_runs = dict(zip(("minitorch", "torch"), lec.compare("train / checkpoint / resume", interrupted_training,
                                                           tol=TOL)))
for name, ((straight_w, straight_l), (full_w, full_l, full_lr), (only_w, only_l, only_lr)) in resume_runs.items():
    exact = max(float((a - b).abs().max()) for a, b in zip(straight_w, full_w))
    off = max(float((a - b).abs().max()) for a, b in zip(straight_w, only_w))
    lec.check(f"{name}: the resumed run is bit-identical to the uninterrupted one",
              exact == 0.0 and full_l == straight_l, f"max |weight diff| = {exact:.1e}, final lr {full_lr:g}")
    lec.check(f"{name}: resuming with the weights only is a different run", off > 1e-4 and only_lr != full_lr,
              f"max |weight diff| = {off:.2e}; its lr restarted, ending at {only_lr:g} instead of {full_lr:g}")
saved = minitorch.load(CKPT / "resume_minitorch.pt")
lec.note(f"resume_minitorch.pt ({(CKPT / 'resume_minitorch.pt').stat().st_size} bytes) holds "
         + ", ".join(f"{k} ({type(v).__name__})" for k, v in saved.items())
         + f"; optimizer state of parameter 0: {sorted(saved['optimizer']['state'][0])}; "
         f"scheduler: {saved['scheduler']}")

fig, ax = plt.subplots(figsize=(7, 3.8))
for (name, ((_, straight_l), (_, full_l, _), (_, only_l, _))), style in zip(resume_runs.items(), ("-", "--")):
    width = 2.0 if style == "-" else 0.8
    ax.plot(straight_l, style, color="tab:blue", lw=width, label=f"uninterrupted ({name})")
    ax.plot(full_l, style, color="tab:green", lw=width / 2, label=f"resumed from checkpoint ({name})")
    ax.plot(only_l, style, color="tab:red", lw=width / 2, label=f"resumed, weights only ({name})")
ax.axvline(HALF * N // BATCH, color="gray", ls=":", label="checkpoint / crash")
ax.set(yscale="log", xlabel="step", ylabel="mini-batch loss", title="Resuming mid-training")
ax.set_ylim(top=ax.get_ylim()[1] * 10)             # room for the legend above the curves
ax.legend(fontsize=7, ncol=2, loc="upper right")
lec.figure(fig, "resume", "loss per step: the fully resumed run lies exactly on the uninterrupted one; resuming "
           "with the weights only (fresh Adam moments, schedule restarted at the larger lr) departs at the checkpoint: "
           "a different run, whatever its loss")

# %% [markdown]
# ## 4. Inference mode
# Serving a model needs two different switches. `model.eval()` changes what layers *compute* (Dropout stops
# dropping, BatchNorm uses its running statistics) by setting `training = False` on every submodule; it does
# not stop autograd. `torch.no_grad()` stops recording the graph (no `grad_fn`, no saved activations: less
# memory, faster). `torch.inference_mode()` is a stricter `no_grad`: torch also marks its outputs as *inference
# tensors* that can never enter autograd later, which lets it skip version counters too. minitorch's
# `inference_mode` behaves as `no_grad` and reports `is_inference_mode_enabled()`, but does not mark inference
# tensors (its `Tensor.is_inference()` is always False).

# %%
def inference(fw):
    model = initialised(fw)
    x = fw.tensor(X_TEST)
    model.eval()
    flags = [m.training for m in model.modules()]
    graph = model(x)                               # eval() alone still records the graph
    with fw.no_grad():
        quiet = model(x)
    with fw.inference_mode():
        enabled = fw.is_inference_mode_enabled()
        served = model(x)
    return (flags, graph.requires_grad, graph.grad_fn is not None, quiet.requires_grad, quiet.grad_fn is None,
            served.requires_grad, enabled, fw.is_inference_mode_enabled(), graph.detach(), quiet, served)


lec.section("Inference mode: eval() and no_grad / inference_mode",
            "eval() sets training = False on every submodule but keeps autograd on; no_grad and inference_mode "
            "turn the graph off. Flags and predictions compared between the frameworks.")
(flags, graph_rg, has_fn, quiet_rg, no_fn, served_rg, enabled, after, g, q, s), _ = lec.compare(
    "eval + no_grad / inference_mode", inference, tol=TOL)
lec.check("eval() alone still builds the graph; no_grad and inference_mode do not",
          not any(flags) and graph_rg and has_fn and not quiet_rg and no_fn and not served_rg and enabled and not after,
          f"training flags of the modules after eval(): {flags}")
lec.check("the three ways of predicting give the same numbers",
          np.array_equal(g.numpy(), q.numpy()) and np.array_equal(q.numpy(), s.numpy()))

# %% [markdown]
# ## 5. Moving checkpoints between torch and minitorch
# Each reads the other's files: `minitorch.load` reads `torch.save`'s zip format (tensors and containers only,
# without importing torch), and `minitorch.save(obj, f, format="torch")` writes a file that
# `torch.load(f, weights_only=True)` accepts. The state_dict keys and layouts are identical, so the weights move
# unchanged. We go further than weights: a torch *training* checkpoint (model, Adam state, StepLR state, epoch)
# written half way is resumed in minitorch and finishes exactly where torch's uninterrupted run does, and the
# other way round.

# %%
torch_model = initialised(torch)
train(torch, torch_model, *training(torch, torch_model), range(2), [])
torch.save(torch_model.state_dict(), CKPT / "from_torch.pt")
expected = predict(torch, torch_model).numpy()


def load_torch_file(fw):
    """Loads the file written by torch.save with fw.load and predicts with it."""
    model = make_model(fw)
    model.load_state_dict(fw.load(CKPT / "from_torch.pt"))
    return predict(fw, model)


lec.section("torch -> minitorch -> torch",
            "A trained torch model saved with torch.save is loaded by minitorch.load; minitorch writes it back with "
            "format='torch' and torch.load(weights_only=True) reads it. Predictions must be identical at each hop; "
            "then training checkpoints are resumed across the frameworks.")
mt_pred, _ = lec.compare("torch.save -> fw.load -> predict", load_torch_file, tol=TOL)
mt_model = make_model(minitorch)
mt_model.load_state_dict(minitorch.load(CKPT / "from_torch.pt"))
minitorch.save(mt_model.state_dict(), CKPT / "from_minitorch.pt", format="torch")
back = make_model(torch)
back.load_state_dict(torch.load(CKPT / "from_minitorch.pt", weights_only=True))
for label, model, pred in (("torch -> minitorch", mt_model, mt_pred.numpy()),
                          ("torch -> minitorch -> torch", back, predict(torch, back).numpy())):
    same = all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(model.state_dict().values(),
                                                                     torch_model.state_dict().values()))
    worst = np.abs(pred - expected).max()
    lec.check(f"{label}: weights bit-identical, predictions equal to the torch model's (to {TOL:g})",
              same and worst <= TOL, f"max |prediction diff| = {worst:.1e}")


def cross_resume(src, dst):
    """Trains HALF epochs on src, checkpoints in torch's format, resumes on dst and finishes: final weights."""
    model = initialised(src)
    opt, sched = training(src, model)
    train(src, model, opt, sched, range(HALF), [])
    path = CKPT / f"cross_from_{src.__name__}.pt"
    src.save(checkpoint(model, opt, sched, HALF), path, **({"format": "torch"} if src is minitorch else {}))
    ckpt = dst.load(path, **({"weights_only": True} if dst is torch else {}))
    model, opt, sched = resume(dst, ckpt)
    train(dst, model, opt, sched, range(ckpt["epoch"], EPOCHS), [])
    return final_weights(model)


for src, dst in ((torch, minitorch), (minitorch, torch)):
    crossed = cross_resume(src, dst)
    diff = max(float(np.abs(a.numpy() - b.numpy()).max()) for a, b in zip(crossed, resume_runs[src.__name__][0][0]))
    lec.check(f"a {src.__name__} training checkpoint resumed on {dst.__name__} ends where {src.__name__}'s "
              "uninterrupted run does", diff < TOL, f"max |weight diff| = {diff:.1e}")

# %% [markdown]
# ## 6. safetensors
# The safetensors format (Hugging Face) is deliberately trivial: an 8-byte little-endian header length, a JSON
# header `{name: {"dtype": "F64", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}`, then
# the raw little-endian bytes. No code, nothing to unpickle, and a loader can memory-map the data. A dozen lines
# of NumPy read and write it; we use them to carry weights between minitorch and torch (neither needs the
# `safetensors` package for this).

# %%
NP_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
             "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    """A from-scratch safetensors reader: ({name: NumPy array}, metadata)."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
    arrays = {k: np.frombuffer(data[h["data_offsets"][0]:h["data_offsets"][1]], dtype=NP_DTYPES[h["dtype"]])
              .reshape(h["shape"]) for k, h in header.items() if k != "__metadata__"}
    return arrays, header.get("__metadata__", {})


def write_safetensors(arrays, path, metadata):
    """A from-scratch safetensors writer (the header is padded with spaces to a multiple of 8 bytes)."""
    names = {v: k for k, v in NP_DTYPES.items()}
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for k, a in arrays.items():
        raw = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
        header[k] = {"dtype": names[a.dtype.type], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"".join(blobs))


lec.section("safetensors",
            "minitorch.serialization.save_safetensors writes the minitorch model; a NumPy reader hands the arrays to "
            "torch. A NumPy writer saves torch's model; minitorch.serialization.load_safetensors reads it.")
minitorch.serialization.save_safetensors(mt_model.state_dict(), CKPT / "minitorch.safetensors",
                                         metadata={"format": "pt", "epochs": "2"})
arrays, metadata = read_safetensors(CKPT / "minitorch.safetensors")
st_torch = make_model(torch)
st_torch.load_state_dict({k: torch.from_numpy(a.copy()) for k, a in arrays.items()})
write_safetensors({k: v.numpy() for k, v in torch_model.state_dict().items()}, CKPT / "torch.safetensors",
                  {"format": "pt"})
st_mt = make_model(minitorch)
st_mt.load_state_dict(minitorch.serialization.load_safetensors(CKPT / "torch.safetensors"))
lec.check("minitorch safetensors -> NumPy reader -> torch: identical predictions",
          np.array_equal(predict(torch, st_torch).numpy(), expected), f"header metadata {metadata}")
lec.check(f"torch weights -> NumPy safetensors writer -> minitorch: same predictions (to {TOL:g})",
          np.abs(predict(minitorch, st_mt).numpy() - expected).max() <= TOL)
raw = (CKPT / "minitorch.safetensors").read_bytes()
lec.note(f"minitorch.safetensors starts with the header length {int.from_bytes(raw[:8], 'little')} (8 bytes), then "
         + raw[8:8 + 150].decode() + " ...")

# %% [markdown]
# ## 7. Why loading must never run code
# `torch.save` writes a *pickle*, and a pickle is a small program for a stack machine: its `GLOBAL` opcode
# imports any callable by name and `REDUCE` calls it. Plain `pickle.load` of a file from the internet is
# therefore remote code execution. Below, a five-opcode pickle that would call `os.system("touch <marker>")` is
# packed like a torch checkpoint. We only *disassemble* it (pickletools never executes anything);
# `minitorch.load` resolves just the few globals that tensors and containers need and refuses everything else,
# as does `torch.load` with `weights_only=True` (the default since torch 2.6). The marker file proves that
# nothing ran.

# %%
MARKER = CKPT / "pwned"
MARKER.unlink(missing_ok=True)
command = f"touch {MARKER}".encode()
EVIL_PICKLE = (b"\x80\x02" + b"cos\nsystem\n"                           # PROTO 2; GLOBAL os.system
               + b"X" + len(command).to_bytes(4, "little") + command    # BINUNICODE: the shell command
               + b"\x85R.")                                             # TUPLE1, REDUCE (the call), STOP
EVIL = CKPT / "evil.pt"
with zipfile.ZipFile(EVIL, "w") as z:
    z.writestr("evil/data.pkl", EVIL_PICKLE)
    z.writestr("evil/byteorder", "little")
    z.writestr("evil/version", "3\n")
listing = io.StringIO()
pickletools.dis(EVIL_PICKLE, out=listing)


def refusal(fw, path=EVIL):
    """(exception type, first line of its message) when fw.load refuses the file, else None."""
    try:
        fw.load(path)
    except Exception as e:                         # torch: UnpicklingError; minitorch: CheckpointError
        return type(e).__name__, str(e).splitlines()[0][:200]
    return None


lec.section("A malicious checkpoint is refused",
            "The pickle inside evil.pt, disassembled (nothing is executed to print this):\n" + listing.getvalue())
verdicts = {fw.__name__: refusal(fw) for fw in FRAMEWORKS}
for name, verdict in verdicts.items():
    lec.check(f"{name}.load refuses the os.system pickle", verdict is not None, str(verdict))
lec.check("nothing ran: the marker file does not exist", not MARKER.exists(), str(MARKER))
lec.check("minitorch's error names the file and the forbidden global",
          verdicts["minitorch"] is not None and "evil.pt" in verdicts["minitorch"][1]
          and "os.system" in verdicts["minitorch"][1])

# %% [markdown]
# ## 8. Atomic writes
# `torch.save(obj, "ckpt.pt")` opens the target for writing first: if pickling fails or the process dies half
# way, the previous checkpoint is already gone. minitorch's `save` writes to a temporary file in the same folder,
# flushes and fsyncs it, then `os.replace`s it over the target; a rename within one file system is atomic, so the
# target is always either the old file or the complete new one. Shown three ways: a failing `torch.save`, a
# failing `minitorch.save`, and a crash half way through a write, inside minitorch's atomic writer and inside a
# naive `open(path, "wb")`.

# %%
def survives_failed_save(fw, path):
    """Saves a good checkpoint, then fails to overwrite it (a lambda cannot be saved): does the old one load?"""
    fw.save({"w": fw.ones(3)}, path)
    try:
        fw.save({"w": fw.zeros(3), "oops": lambda: None}, path)
    except Exception:
        pass
    try:
        return bool((fw.load(path)["w"] == 1).all())
    except Exception:
        return False


lec.section("Atomic writes", "A failed or interrupted save must leave the previous checkpoint loadable.")
survives = {fw.__name__: survives_failed_save(fw, CKPT / f"atomic_{fw.__name__}.pt") for fw in FRAMEWORKS}
lec.check("a failed minitorch.save leaves the previous checkpoint loadable", survives["minitorch"])
lec.check("a failed torch.save destroys the previous checkpoint (torch.save is not atomic)", not survives["torch"])

GOOD = CKPT / "crash_atomic.pt"
minitorch.save({"w": minitorch.ones(1000)}, GOOD)
good_bytes = GOOD.read_bytes()


def crash_half_way(out):
    """A writer that dies half way through, as a killed process would."""
    out.write(good_bytes[: len(good_bytes) // 2])
    raise KeyboardInterrupt("simulated crash mid-save")


try:
    minitorch.serialization._atomic.atomic_write(GOOD, crash_half_way)
except KeyboardInterrupt:
    pass
leftovers = [p.name for p in CKPT.iterdir() if p.name.endswith(".tmp")]
lec.check("crash inside the atomic writer: the old file is intact and no temporary file is left",
          GOOD.read_bytes() == good_bytes and not leftovers, f"temporary files left: {leftovers}")
NAIVE = CKPT / "crash_naive.pt"
NAIVE.write_bytes(good_bytes)
try:
    with open(NAIVE, "wb") as f:
        crash_half_way(f)
except KeyboardInterrupt:
    pass
try:
    minitorch.load(NAIVE)
    error = "loaded!"
except RuntimeError as e:                          # CheckpointError is a RuntimeError
    error = str(e)
lec.check("crash inside a naive open(path, 'wb'): the file is truncated and minitorch.load says so, naming it",
          NAIVE.name in error and "truncated" in error, error)

# %% [markdown]
# ## 9. Deep dive: inside torch's checkpoint file
# A `torch.save` file is an uncompressed zip archive (`ZIP_STORED`) whose members sit under one folder:
#
# * `data.pkl`: the pickled object. Each tensor is a call `torch._utils._rebuild_tensor_v2(storage, offset, size,
#   stride, requires_grad, hooks)`, where `storage` is a *persistent id* `('storage', torch.FloatStorage, key,
#   'cpu', numel)` that the loader resolves to the member `data/<key>`;
# * `data/<key>`: the raw bytes of one storage, in the byte order written in `byteorder`;
# * `version`, `.format_version`, `.storage_alignment`, `.data/serialization_id`: bookkeeping. Every member's
#   bytes start at a multiple of 64 in the file, so a loader can memory-map the storages (`mmap=True`).
#
# Tensors are saved by *storage*: tensors sharing memory are saved once and still share it after loading, and
# saving a small slice of a big tensor saves the whole storage (`clone()` it first). minitorch's own format
# stores each tensor contiguously and separately instead.

# %%
def zip_members(path):
    """(name, size, compression, offset of the member's bytes in the file) for each member of a zip file."""
    raw = path.read_bytes()
    rows = []
    for info in zipfile.ZipFile(path).infolist():
        o = info.header_offset                     # local header: 30 bytes, then the name and an extra field
        start = o + 30 + int.from_bytes(raw[o + 26:o + 28], "little") + int.from_bytes(raw[o + 28:o + 30], "little")
        rows.append((info.filename, info.file_size, info.compress_type, start))
    return rows


lec.section("Deep dive: the torch zip checkpoint, member by member",
            "The members of from_torch.pt (written by torch.save) and of from_minitorch.pt (minitorch, "
            "format='torch'), the storages' bytes checked against the tensors, and the pickle's instructions.")
torch_rows = zip_members(CKPT / "from_torch.pt")
mt_rows = zip_members(CKPT / "from_minitorch.pt")
for label, rows in (("torch.save", torch_rows), ("minitorch.save(format='torch')", mt_rows)):
    lec.note(f"{label}: " + "; ".join(f"{n} ({size} B, {'stored' if c == zipfile.ZIP_STORED else c}, data at byte {s})"
                                      for n, size, c, s in rows))
lec.check("torch's archive is uncompressed and every member's bytes are 64-byte aligned",
          all(c == zipfile.ZIP_STORED and s % 64 == 0 for _, _, c, s in torch_rows))

archive = zipfile.ZipFile(CKPT / "from_torch.pt")
prefix = archive.namelist()[0].split("/")[0]
text = io.StringIO()
pickletools.dis(archive.read(f"{prefix}/data.pkl"), out=text)
globals_used = sorted({line.split("GLOBAL")[1].strip().strip("'") for line in text.getvalue().splitlines()
                       if "GLOBAL" in line})
lec.note("Globals named in data.pkl: " + ", ".join(globals_used) + ". Its first instructions:\n"
         + "\n".join(text.getvalue().splitlines()[:26]))
lec.check("the pickle only names OrderedDict, _rebuild_tensor_v2 and a storage type",
          set(globals_used) == {"collections OrderedDict", "torch._utils _rebuild_tensor_v2", "torch DoubleStorage"},
          str(globals_used))
sd = torch_model.state_dict()
lec.check("data/<key> holds each tensor's raw little-endian bytes (one storage per tensor here)",
          all(archive.read(f"{prefix}/data/{i}") == v.numpy().astype("<f8").tobytes()
              for i, v in enumerate(sd.values())),
          f"{sum('/data/' in n for n in archive.namelist())} storages for {len(sd)} tensors")
minitorch.save(minitorch.load(CKPT / "from_torch.pt"), CKPT / "native.mt")
native = (CKPT / "native.mt").read_bytes()
lec.note(f"minitorch's native format, for comparison: magic {native[:8]!r}, header length "
         f"{int.from_bytes(native[8:16], 'little')}, the JSON header ({native[16:16 + 150].decode()} ...), then the "
         "raw bytes of each tensor. Loading it parses JSON and copies bytes: there is nothing to execute.")
# %% [markdown]
# ## 10. Interview questions
# Where an answer states a behaviour, `check=` runs it on both frameworks (files go to the checkpoints folder).

# %%
lec.section("Interview questions", "Answers that state a behaviour are checked on minitorch and on torch.")


def qa_path(fw, name):
    return CKPT / f"qa_{name}_{fw.__name__}.pt"


lec.qa("What does model.state_dict() contain, and in what order?",
       "An OrderedDict from dotted names to tensors: each module's parameters, then its persistent buffers, module by "
       "module in registration order. Non-persistent buffers, hooks, the class and the code are not in it.",
       check=lambda fw: list(initialised(fw).state_dict()) == list(SHAPES))


def check_alias(fw):
    model = initialised(fw)
    live, snapshot = model.state_dict(), {k: v.clone() for k, v in model.state_dict().items()}
    with fw.no_grad():
        model[1].weight.mul_(2)
    now = model[1].weight
    return bool((live["1.weight"] == now).all()) and not bool((snapshot["1.weight"] == now).all())


lec.qa("Is a state_dict a snapshot?",
       "No: its tensors are detached but share memory with the parameters, so later training changes them. Keep a "
       "snapshot (e.g. the best model so far) with {k: v.clone() for k, v in sd.items()} or save it to disk.",
       check=check_alias)


def check_whole_model(fw):
    model = fw.nn.Sequential(fw.nn.Linear(2, 2))
    try:
        fw.save(model, qa_path(fw, "whole_model"))    # minitorch refuses to save a Module
        fw.load(qa_path(fw, "whole_model"))            # torch saves it, but weights-only loading refuses it
    except Exception:
        return True
    return False


lec.qa("Why save model.state_dict() rather than the model object?",
       "torch.save(model) pickles a reference to the model's class, so loading needs the same code at the same import "
       "path and must execute the pickle: torch.load's default weights_only=True refuses it (minitorch.save refuses to "
       "write it). A state_dict is plain tensors: portable across code versions and frameworks, and safe to load.",
       check=check_whole_model)


def check_strict(fw):
    model = initialised(fw)
    sd = model.state_dict()
    del sd["3.bias"]
    sd["head.weight"] = fw.zeros(1)
    result = model.load_state_dict(sd, strict=False)
    try:
        model.load_state_dict(sd)
        return False
    except RuntimeError as e:
        strict_error = "Missing key(s)" in str(e) and "Unexpected key(s)" in str(e)
    return result.missing_keys == ["3.bias"] and result.unexpected_keys == ["head.weight"] and strict_error


lec.qa("What does load_state_dict(strict=False) do?",
       "It loads the keys that match and returns a named tuple (missing_keys, unexpected_keys) instead of raising; "
       "with the default strict=True any missing or unexpected key is a RuntimeError. Typical use: a new head on a "
       "pretrained backbone.", check=check_strict)


def check_size_mismatch(fw):
    model = initialised(fw)
    sd = model.state_dict()
    sd["1.weight"] = fw.zeros(16, 3, dtype=fw.float64)
    try:
        model.load_state_dict(sd, strict=False)
    except RuntimeError as e:
        return "size mismatch for 1.weight" in str(e)
    return False


lec.qa("Does strict=False also skip tensors of the wrong shape?",
       "No: a key that exists with a different shape is always an error ('size mismatch for 1.weight: copying a param "
       "with shape ... from checkpoint'). Drop such keys from the dict first.", check=check_size_mismatch)


def check_copy_into(fw):
    model = initialised(fw)
    weight = model[1].weight
    sd = {k: v.clone() for k, v in initialised(fw).state_dict().items()}
    sd["1.weight"] = sd["1.weight"] + 1
    model.load_state_dict(sd)
    sd["1.weight"].zero_()                          # the dict is not referenced by the model afterwards
    return model[1].weight is weight and bool((weight == fw.tensor(INIT["1.weight"]) + 1).all())


lec.qa("Does load_state_dict replace the parameters?",
       "No: it copies the values into the existing Parameter objects (under no_grad). The optimizer built over them "
       "stays valid, and changing the loaded dict afterwards does not touch the model.", check=check_copy_into)


def check_optimizer_resume(fw):
    g = fw.tensor([1.0, -2.0, 0.5], dtype=fw.float64)

    def run(p, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            (p * g).sum().backward()
            opt.step()
    p = fw.zeros(3, dtype=fw.float64, requires_grad=True)
    opt = fw.optim.Adam([p], lr=0.1)
    run(p, opt, 3)
    fw.save({"p": p.detach(), "opt": opt.state_dict()}, qa_path(fw, "adam"))
    run(p, opt, 1)
    ckpt = fw.load(qa_path(fw, "adam"))
    results = []
    for restore in (True, False):
        q = ckpt["p"].clone().requires_grad_(True)
        opt2 = fw.optim.Adam([q], lr=0.1)
        if restore:
            opt2.load_state_dict(ckpt["opt"])
        run(q, opt2, 1)
        results.append(bool((q == p).all()))
    return results == [True, False] and sorted(ckpt["opt"]["state"]) == [0]


lec.qa("What must a checkpoint hold to resume training exactly?",
       "Model weights, optimizer state (Adam's step and moments, momentum buffers), scheduler state, the epoch/step "
       "counter, and the RNG states (plus the data sampler's position). With Adam's state restored the next step is "
       "identical; with a fresh Adam it is not.", check=check_optimizer_resume)


def check_dtypes(fw):
    x = fw.arange(4.0, requires_grad=True)
    obj = {"half": fw.ones(2, dtype=fw.float16), "long": fw.arange(3), "mask": fw.ones(2, dtype=fw.bool), "leaf": x,
           "meta": {"epoch": 7, "name": "run-1", "betas": (0.9, 0.999)}}
    fw.save(obj, qa_path(fw, "dtypes"))
    back = fw.load(qa_path(fw, "dtypes"))
    return ([back[k].dtype for k in ("half", "long", "mask", "leaf")] == [fw.float16, fw.int64, fw.bool, fw.float32]
            and back["leaf"].requires_grad and back["meta"] == {"epoch": 7, "name": "run-1", "betas": (0.9, 0.999)})


lec.qa("What survives a save/load round trip?",
       "Tensors with their dtype, shape, values and requires_grad flag, and the containers and plain values around "
       "them (dicts, lists, tuples, ints, floats, strings, None).", check=check_dtypes)


def check_slice(fw):
    big = fw.zeros(100_000)
    fw.save(big, qa_path(fw, "big"))
    fw.save(big[:10].clone(), qa_path(fw, "slice"))
    return qa_path(fw, "slice").stat().st_size * 50 < qa_path(fw, "big").stat().st_size


lec.qa("You save x[:10] of a 100k-element tensor. How big is the file?",
       "With torch.save, as big as the whole tensor: tensors are saved with their entire storage (which preserves "
       "sharing between views). Save x[:10].clone() to write 10 elements (minitorch's own format always writes just "
       "the view's elements).", check=check_slice)


def check_atomic_pattern(fw):
    path = qa_path(fw, "pattern")
    fw.save({"w": fw.ones(2)}, path)
    tmp = path.with_suffix(".partial")
    try:
        fw.save({"w": fw.zeros(2), "bad": lambda: None}, tmp)     # unsavable: the save fails
        os.replace(tmp, path)
    except Exception:
        tmp.unlink(missing_ok=True)
    return bool((fw.load(path)["w"] == 1).all())


lec.qa("Is torch.save atomic? How do you make checkpointing crash-safe?",
       "No: it truncates the target first, so a crash or a pickling error mid-save destroys the previous checkpoint. "
       "Write to a temporary file in the same directory, flush/fsync, then os.replace it over the target (what "
       "minitorch.save does); the rename is atomic.", check=check_atomic_pattern)
lec.qa("Can loading a checkpoint run code?",
       "With pickle, yes: GLOBAL + REDUCE call any importable function. torch.load(weights_only=True) (the default "
       "since 2.6) and minitorch.load only allow tensor and container types and refuse the rest; safetensors cannot "
       "express code at all. Never use weights_only=False on files you did not write.",
       check=lambda fw: refusal(fw) is not None and not MARKER.exists())


def check_truncated(fw):
    path = qa_path(fw, "truncated")
    fw.save({"w": fw.ones(100)}, path, **({"format": "torch"} if fw is minitorch else {}))
    path.write_bytes(path.read_bytes()[:300])
    try:
        fw.load(path)
    except RuntimeError:
        return True
    return False


lec.qa("What happens when you load a truncated checkpoint?",
       "A RuntimeError (minitorch's CheckpointError subclasses it and names the file): the zip's central directory is "
       "at the end of the file, so a cut-off torch checkpoint cannot even be opened.", check=check_truncated)


def check_modes(fw):
    model = initialised(fw)
    x = fw.tensor(X_TEST)
    with fw.no_grad():
        a, in_no_grad = model(x), fw.is_inference_mode_enabled()
    with fw.inference_mode():
        b, in_inference = model(x), fw.is_inference_mode_enabled()
    return not a.requires_grad and not b.requires_grad and not in_no_grad and in_inference and model.training


lec.qa("model.eval(), no_grad, inference_mode: which do you need to serve a model?",
       "eval() and one of the other two. eval() switches layer behaviour (Dropout, BatchNorm) but still records the "
       "graph; no_grad/inference_mode stop recording. Neither of those changes model.training.", check=check_modes)
lec.qa("What is in a safetensors file and why is it popular for sharing weights?",
       "An 8-byte header length, a JSON header (dtype, shape, byte range per tensor, string metadata) and raw bytes. "
       "It cannot carry code, can be memory-mapped and read lazily tensor by tensor, and any language can parse it.",
       check=lambda fw: read_safetensors(CKPT / "minitorch.safetensors")[0].keys() == set(SHAPES))

lec.finish()
