"""Tensors: creation, dtypes, indexing, broadcasting, views and storage.

What you will learn: how to create tensors and which dtype you get; torch's type-promotion rules; basic,
boolean and integer indexing (and which of them copy); broadcasting; the difference between `view` and
`reshape`; how a tensor is a strided window (sizes, strides, storage offset) onto a flat storage, and what
"contiguous" means; `permute` then `contiguous`; reductions along a dim; `cat` / `stack`; CUDA tensors.
Every experiment is written once as a function of `fw` and run with `fw = minitorch` and `fw = torch`.
Prerequisites: Python and a little NumPy.
"""
# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch

import minitorch
from lectures.runtime import lecture
from minitorch._ops.shape import view_strides

TEACHES = ("creation, dtypes and promotion, indexing, broadcasting, view vs reshape, storage/strides/contiguity, "
           "permute+contiguous, aggregation, cat/stack, CUDA tensors")
lec = lecture("01")
rng = np.random.default_rng(0)


def error_of(fn) -> dict:
    """``fn(fw)`` run on both frameworks: the exception each raised, as 'Type: message' (or 'no error')."""
    outcome = {}
    for fw in (minitorch, torch):
        try:
            fn(fw)
            outcome[fw.__name__] = "no error"
        except Exception as e:  # noqa: BLE001 - the point is to compare whatever each framework raises
            outcome[fw.__name__] = f"{type(e).__name__}: {e}"
    return outcome


def check_same_error(name: str, fn) -> None:
    """Both frameworks must raise, with the same exception type and message."""
    errors = error_of(fn)
    lec.check(name, errors["minitorch"] == errors["torch"] != "no error",
              f"torch: {errors['torch']}" + ("" if errors["minitorch"] == errors["torch"]
                                             else f"; minitorch: {errors['minitorch']}"))


# %% [markdown]
# ## 1. Creation
# `tensor(data)` always *copies* its data and infers the dtype (ints -> int64, floats -> the default float
# dtype, float32; bools -> bool). `from_numpy` and `as_tensor` *share* memory with the NumPy array when they
# can. Factory functions (`zeros`, `ones`, `full`, `arange`, `linspace`, `eye`, `*_like`) take a shape and a
# dtype. `arange` with integer arguments gives int64, with a float argument the default float dtype.

# %%
lec.section("1. Creation", "tensor() copies and infers a dtype; from_numpy shares memory; factories take a shape.")


def creation(fw):
    return (fw.tensor([[1, 2], [3, 4]]), fw.tensor([1, 2.0]).dtype, fw.tensor([True, False]).dtype,
            fw.zeros(2, 3), fw.ones(2, dtype=fw.int32), fw.full((2,), 7), fw.full((2,), 7).dtype,
            fw.arange(3).dtype, fw.arange(0, 1, 0.25), fw.linspace(0, 1, 5), fw.eye(2, 3),
            fw.zeros_like(fw.eye(2)).shape)


lec.compare("creation and inferred dtypes", creation)


def numpy_bridge(fw):
    a = np.zeros(3)
    copied, shared = fw.tensor(a), fw.from_numpy(a)
    a[0] = 9.0                                    # visible through from_numpy, not through tensor()
    t = fw.ones(2)
    t.numpy()[1] = 5.0                            # .numpy() of a CPU tensor shares memory too
    return copied, shared, shared.dtype, t


lec.compare("tensor() copies, from_numpy shares", numpy_bridge)

# %% [markdown]
# ## 2. Dtypes and type promotion
# A binary op picks its result dtype by *category* (bool < integer < floating < complex), then by size, and
# dimensioned tensors beat 0-dim tensors and Python scalars *within the same category*:
# * `int64 tensor + 2.5` -> float32 (a Python float brings the category "floating", at the default dtype);
# * `float32 tensor + float64 0-dim tensor` -> float32 (same category: the dimensioned operand wins);
# * `int32 tensor + float64 0-dim tensor` -> float64 (higher category: the 0-dim tensor's dtype is used);
# * `int8 + uint8` -> int16 (the smallest type holding both ranges);
# * `/` on integers is true division (float), `//` floors (toward minus infinity: -3 // 2 = -2);
# * integer arithmetic wraps: `uint8 0 - 1 = 255`.

# %%
lec.section("2. Dtypes and promotion", "category first (bool < int < float), dimensioned tensors beat 0-dim "
            "tensors and scalars within a category; / is true division.")


def promotion(fw):
    i64, i32 = fw.tensor([1, 2]), fw.tensor([1, 2], dtype=fw.int32)
    f32 = fw.tensor([1.0, 2.0])
    f64_0d = fw.tensor(1.0, dtype=fw.float64)
    return ((i64 + 2.5).dtype, (f32 + f64_0d).dtype, (i32 + f64_0d).dtype, (i64 + i32).dtype,
            (fw.tensor([1], dtype=fw.int8) + fw.tensor([1], dtype=fw.uint8)).dtype,
            (fw.ones(2, dtype=fw.float16) + 1).dtype, (fw.tensor([1], dtype=fw.int8) + True).dtype,
            fw.result_type(i64, 1.0), fw.promote_types(fw.int32, fw.float16),
            fw.tensor([3]) / 2, fw.tensor([-3]) // 2, fw.tensor([0], dtype=fw.uint8) - 1,
            fw.tensor([1.7, -1.7]).to(fw.int64), fw.get_default_dtype())


lec.compare("type promotion", promotion)

# %% [markdown]
# ## 3. Indexing
# * **Basic** indexing (ints, slices with positive steps, `None`, `...`) returns a *view*: same storage, no copy.
#   Writing through it writes the original. Negative steps are not allowed (torch strides are >= 0): use `flip`.
# * **Boolean** indexing `x[mask]` returns a 1-D *copy* of the selected elements; `x[mask] = v` writes in place.
# * **Integer** (advanced) indexing `x[[0, 2], [1, 3]]` pairs the index lists element-wise (a *copy*), whereas
#   `x[[0, 2]][:, [1, 3]]` selects rows then columns (the outer product of the selections).

# %%
lec.section("3. Indexing", "basic indexing gives views; boolean and integer indexing give copies.")


def basic_indexing(fw):
    x = fw.arange(12).reshape(3, 4)
    row, col, block = x[1], x[:, 2], x[1:, ::2]
    row[0] = 100                                    # writes through the view into x
    return x, col, block, x[..., None, 1].shape, block.stride(), block.storage_offset()


lec.compare("basic indexing (views)", basic_indexing)


def mask_and_integer_indexing(fw):
    x = fw.arange(12).reshape(3, 4)
    evens = x[x % 2 == 0]
    evens[0] = -100                                 # a copy: x is unchanged
    picked, outer = x[[0, 2], [1, 3]], x[[0, 2]][:, [1, 3]]
    y = x.clone()
    y[y > 5] = -1                                   # masked assignment writes in place
    return evens, x, picked, outer, y, x.index_select(1, fw.tensor([0, 3])), fw.tensor([[0, 1], [2, 0]]).nonzero()


lec.compare("boolean and integer indexing (copies)", mask_and_integer_indexing)
lec.compare("indexing gradient (scatters back)",
            lambda fw, x: (x[1:, ::2] * 2, x[x > 0], x[[0, 2], [1, 3]]),
            inputs=[rng.standard_normal((3, 4))], grad=True)

check_same_error("negative slice step raises the same ValueError", lambda fw: fw.arange(5)[::-1])

# %% [markdown]
# ## 4. Broadcasting
# Align shapes on the right; each pair of sizes must be equal or one of them 1 (a missing dim counts as 1); the
# result takes the larger size. `(3, 1) + (4,)` -> `(3, 1) + (1, 4)` -> `(3, 4)`. No data is copied: a
# broadcast (or `expand`ed) dim has **stride 0**, so every index along it reads the same element. In backward
# the gradient is *summed* over the broadcast dims to get back to the input's shape.

# %%
lec.section("4. Broadcasting", "shapes align on the right; size-1 dims stretch with stride 0; gradients are "
            "summed back over the stretched dims.")
a_col, b_row = np.arange(3.0).reshape(3, 1) * 10, np.arange(4.0)
lec.compare("broadcast (3,1) + (4,) -> (3,4)", lambda fw, a, b: a + b, inputs=[a_col, b_row], grad=True)
lec.compare("expand has stride 0",
            lambda fw: (fw.zeros(3, 1).expand(3, 4).stride(), fw.zeros(4).expand(2, 3, 4).stride(),
                        fw.zeros(3, 1).expand(3, 4).untyped_storage().nbytes()))

check_same_error("incompatible shapes raise the same RuntimeError", lambda fw: fw.zeros(3) + fw.zeros(4))


def draw_broadcast(a: np.ndarray, b: np.ndarray):
    """A grid diagram of a + b: real elements solid, broadcast (stride-0) copies hatched and pale."""
    out = a + b
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), gridspec_kw={"width_ratios": [4, 4, 4]})
    panels = [(a, f"a: shape {a.shape}", lambda i, j: j == 0, "tab:blue"),
              (np.broadcast_to(b, out.shape), f"b: shape {b.shape}", lambda i, j: i == 0, "tab:orange"),
              (out, f"a + b: shape {out.shape}", lambda i, j: True, "tab:green")]
    for ax, (arr, title, real, color) in zip(axes, panels):
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                mine = real(i, j)
                ax.add_patch(plt.Rectangle((j, -i - 1), 1, 1, facecolor=color, alpha=0.85 if mine else 0.18,
                                           edgecolor="black", hatch=None if mine else "//", lw=1))
                value = arr[i, min(j, arr.shape[1] - 1)]
                ax.text(j + 0.5, -i - 0.5, f"{value:g}", ha="center", va="center", fontsize=11,
                        color="white" if mine else "dimgray")
        ax.set_xlim(-0.1, out.shape[1] + 0.1)
        ax.set_ylim(-out.shape[0] - 0.1, 0.1)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(title)
    axes[0].text(4.3, -1.5, "+", fontsize=22, ha="center", va="center")
    axes[1].text(4.3, -1.5, "=", fontsize=22, ha="center", va="center")
    fig.suptitle("(3,1) + (4,) -> (3,4): hatched cells are not stored; they re-read a stride-0 dim")
    return fig


lec.figure(draw_broadcast(a_col, b_row), "broadcast", "broadcasting (3,1) + (4,) -> (3,4)")

# %% [markdown]
# ## 5. `view` vs `reshape`
# `view(shape)` never copies: it only computes new strides over the same storage, and raises a RuntimeError
# when the new shape cannot be expressed with strides (e.g. flattening a transposed matrix, whose rows are not
# adjacent in memory). `reshape(shape)` returns a view when one exists and a copy otherwise. So
# `x.reshape(...)` on a contiguous `x` shares memory; on `x.t()` it copies.

# %%
lec.section("5. view vs reshape", "view never copies and raises when strides cannot express the shape; "
            "reshape views when it can, copies when it must.")


def view_and_reshape(fw):
    x = fw.arange(12.0).reshape(3, 4)
    v, r = x.view(2, 6), x.reshape(6, 2)
    t = x.t()                                        # shape (4, 3), strides (1, 4): not contiguous
    rt = t.reshape(12)                               # must copy
    tv = t.view(2, 2, 3)                             # splitting a dim is fine even when not contiguous
    same = lambda a: a.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    return (same(v), same(r), same(t), same(rt), same(tv), t.is_contiguous(), tv.stride(), rt, v.stride())


lec.compare("view/reshape: who shares storage", view_and_reshape)

view_errors = {}
for fw in (minitorch, torch):
    try:
        fw.arange(12.0).reshape(3, 4).t().view(12)
        view_errors[fw.__name__] = "no error"
    except RuntimeError as e:
        view_errors[fw.__name__] = f"RuntimeError: {e}"
lec.check("x.t().view(12) raises the same RuntimeError", view_errors["minitorch"] == view_errors["torch"]
          and view_errors["torch"] != "no error", view_errors["torch"])

# %% [markdown]
# ## 6. Storage, strides, offsets, contiguity
# A tensor is (storage, storage_offset, sizes, strides). Element `[i, j, ...]` lives at storage index
# `offset + i*stride[0] + j*stride[1] + ...`. `data_ptr()` is the address of the tensor's first element:
# `untyped_storage().data_ptr() + storage_offset() * element_size()`. A tensor is *contiguous* when its strides
# are the row-major ones for its shape (`stride[-1] = 1`, `stride[d] = stride[d+1] * size[d+1]`, size-1 dims
# ignored). Slices share the storage of their base, so a small slice keeps a big storage alive (`clone()` it).

# %%
lec.section("6. Storage, strides, offsets, contiguity",
            "a tensor is a strided window (offset, sizes, strides) onto a flat storage.")


def storage_layout(fw):
    x = fw.arange(24.0).reshape(2, 3, 4)
    views = {"x": x, "x[1]": x[1], "x[:, 1:, ::2]": x[:, 1:, ::2], "x.transpose(0,2)": x.transpose(0, 2),
             "x[..., 3]": x[..., 3]}
    base = x.untyped_storage().data_ptr()
    rows = []
    for name, v in views.items():
        rows.append((name, tuple(v.shape), v.stride(), v.storage_offset(), v.data_ptr() - base,
                     v.untyped_storage().data_ptr() == base, v.is_contiguous(),
                     v.data_ptr() == base + v.storage_offset() * v.element_size()))
    small = fw.zeros(100, 100)[:, 0]
    return rows, small.untyped_storage().nbytes(), small.clone().untyped_storage().nbytes()


mt_rows, pt_rows = lec.compare("stride/storage_offset/data_ptr of views", storage_layout)
lec.note("name, shape, stride(), storage_offset(), data_ptr() - storage start (bytes), shares storage, "
         "is_contiguous()  (torch's values; minitorch's are identical):\n" + "\n".join(
             f"  {r[0]:<18} {str(r[1]):<11} {str(r[2]):<12} {r[3]:>3} {r[4]:>5} {r[5]!s:<5} {r[6]}"
             for r in pt_rows[0]))


def draw_offsets():
    """Each element of a view labelled with the storage index it reads."""
    x = torch.arange(12).reshape(3, 4)
    views = {"x  (3,4) strides (4,1)": x, "x.t()  (4,3) strides (1,4)": x.t(),
             "x[:, 1::2]  offset 1, strides (4,2)": x[:, 1::2],
             "x[:, :1].expand(3,4)  strides (4,0)": x[:, :1].expand(3, 4)}
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.4))
    for ax, (title, v) in zip(axes, views.items()):
        vals = v.numpy()                         # arange: the value *is* the storage index
        ax.imshow(vals, cmap="viridis", vmin=0, vmax=11)
        for (i, j), s in np.ndenumerate(vals):
            ax.text(j, i, str(s), ha="center", va="center", color="white" if s < 7 else "black")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("storage index of each element: offset + i*stride[0] + j*stride[1]")
    return fig


lec.figure(draw_offsets(), "strides", "which storage element each view position reads")

# %% [markdown]
# ## 7. `permute` then `contiguous`
# `permute` only reorders sizes and strides (no copy), so the result is usually not contiguous. `contiguous()`
# copies into a fresh row-major storage when needed and returns the tensor itself when it already is contiguous.
# Many kernels (and `view`) need contiguous input; a common idiom is `x.permute(...).contiguous().view(...)`.

# %%
lec.section("7. permute then contiguous", "permute reorders strides; contiguous() copies into row-major order.")


def permute_contiguous(fw):
    x = fw.arange(24.0).reshape(2, 3, 4)
    p = x.permute(2, 0, 1)
    c = p.contiguous()
    return (p.shape, p.stride(), p.is_contiguous(), c.stride(), c.is_contiguous(),
            c.untyped_storage().data_ptr() == x.untyped_storage().data_ptr(), c.contiguous() is c,
            c.view(4, 6), bool((p == c).all()))


lec.compare("permute then contiguous", permute_contiguous)
lec.compare("permute+contiguous+view gradient",
            lambda fw, x: x.permute(2, 0, 1).contiguous().view(4, 6) * fw.arange(24.0, dtype=x.dtype).view(4, 6),
            inputs=[rng.standard_normal((2, 3, 4))], grad=True)

# %% [markdown]
# ## 8. Aggregation
# Reductions take `dim` (an int or a tuple) and `keepdim`. `max(dim=...)` returns a `(values, indices)` named
# tuple; `max()` without a dim returns one value. Summing an integer or bool tensor gives int64; `mean` of an
# integer tensor is an error (ask for a float dtype). The gradient of `sum` spreads ones, of `mean` spreads
# `1/n`, of `max(dim)` goes to the arg-max entry only.

# %%
lec.section("8. Aggregation", "sum/mean/max with dim and keepdim; max(dim) returns values and indices.")
agg_input = rng.standard_normal((3, 4)).astype(np.float32)
lec.compare("sum/mean/max with dim (float32)",
            lambda fw, x: (x.sum(), x.sum(dim=0), x.mean(dim=1, keepdim=True), x.max(dim=1).values,
                           x.max(dim=1).indices, x.argmax(), x.amax(dim=(0, 1)), x.std(dim=0)),
            inputs=[agg_input], grad=True)
lec.compare("integer and bool reductions",
            lambda fw: (fw.tensor([1, 2], dtype=fw.int32).sum(), fw.tensor([1, 2], dtype=fw.int32).sum().dtype,
                        fw.tensor([True, False, True]).sum(),
                        fw.arange(24).reshape(2, 3, 4).sum(dim=(0, 2), keepdim=True)))
check_same_error("mean() of an int64 tensor raises the same RuntimeError", lambda fw: fw.tensor([1, 2]).mean())

# %% [markdown]
# ## 9. `cat` and `stack`
# `cat(tensors, dim)` joins along an *existing* dim (the other sizes must match); `stack(tensors, dim)` adds a
# *new* dim (all shapes must be equal). Both copy. Their gradients split the incoming gradient back into pieces.

# %%
lec.section("9. cat and stack", "cat joins along an existing dim; stack adds a new one.")
lec.compare("cat / stack (+ gradient)",
            lambda fw, a, b: (fw.cat([a, b], dim=0), fw.cat([a, b], dim=-1), fw.stack([a, b]), fw.stack([a, b], dim=2),
                              fw.hstack([a[0], b[1]]), [c.shape for c in fw.cat([a, b]).chunk(3)]),
            inputs=[rng.standard_normal((2, 3)), rng.standard_normal((2, 3))], grad=True)
check_same_error("cat of mismatched shapes raises the same RuntimeError",
                 lambda fw: fw.cat([fw.zeros(2, 3), fw.zeros(2, 4)]))
check_same_error("stack of unequal shapes raises the same RuntimeError",
                 lambda fw: fw.stack([fw.zeros(2, 3), fw.zeros(2, 4)]))

# %% [markdown]
# ## 10. CUDA tensors (torch side)
# A tensor lives on a device. `x.to("cuda")` / `x.cuda()` copy it to the GPU; ops between tensors must be on
# one device; `.cpu()` (and `.item()`, `.numpy()` after `.cpu()`) bring results back, which synchronises with
# the GPU. minitorch has no GPU backend: its tensors are always on the CPU, so below the *same function* runs
# torch on CUDA when a GPU is present and on the CPU otherwise, and the results are compared.

# %%
lec.section("10. CUDA tensors", "torch runs on the GPU when one is present; minitorch is CPU only.")
HAS_CUDA = torch.cuda.is_available()
lec.note(f"torch.cuda.is_available() = {HAS_CUDA}: " + (
    f"the torch side runs on {torch.cuda.get_device_name(0)}." if HAS_CUDA else
    "no GPU here, so the torch side runs on the CPU. On a GPU machine the same code would create the torch "
    "tensors with device='cuda', run the matmul and reductions as CUDA kernels (asynchronously: the CPU "
    "queues kernels and only waits at .cpu()/.item()), and copy the result back for the comparison."))


def device_experiment(fw, a, b):
    device = "cuda" if fw is torch and HAS_CUDA else "cpu"
    a, b = a.to(device), b.to(device)
    y = (a @ b).relu().sum(dim=1)
    return y.cpu(), y.device.type == device, a.is_cuda == (device == "cuda")


lec.compare(f"matmul+relu+sum, torch on {'cuda' if HAS_CUDA else 'cpu'}", device_experiment,
            inputs=[rng.standard_normal((64, 32)).astype(np.float32), rng.standard_normal((32, 16)).astype(np.float32)],
            grad=True, tol=1e-4)   # float32 matmul of length 32: GPU (TF32 off) and CPU sum in different orders

mt_cuda = error_of(lambda fw: fw.zeros(2).to("cuda"))["minitorch"]
lec.check("minitorch refuses device='cuda' with a clear RuntimeError", mt_cuda.startswith("RuntimeError"), mt_cuda)

# %% [markdown]
# ## Deep dive: from an index to a memory offset, by hand
# A strided view maps index `(i0, i1, ..., ik)` to storage position `offset + sum(i_d * stride_d)`. Below, plain
# NumPy computes that map for a permuted, sliced, stepped view of `arange(24).reshape(2,3,4)` (strides and
# offset derived by hand from the base's strides), gathers from the flat storage, and checks the result against
# both frameworks' `stride()`, `storage_offset()`, values and `as_strided`. Then it reads the rule that decides
# whether `view` can succeed (ATen's `computeStride`, as minitorch implements it) and predicts each framework's answer.

# %%
lec.section("Deep dive: strided indexing and when view() works",
            "index -> offset + sum(i*stride), computed in NumPy and checked on both frameworks; view's stride rule.")


def contiguous_strides(shape):
    strides, acc = [], 1
    for size in reversed(shape):
        strides.append(acc)
        acc *= size
    return tuple(reversed(strides))


storage = np.arange(24.0)                          # the flat storage of arange(24).reshape(2, 3, 4)
base_strides = contiguous_strides((2, 3, 4))       # (12, 4, 1)
# v = x.permute(2, 0, 1)[1:, :, ::2]: permute reorders strides, slicing start 1 adds 1*stride to the offset,
# step 2 doubles the stride.
perm = [base_strides[2], base_strides[0], base_strides[1]]            # (1, 12, 4)
hand_shape, hand_strides = (3, 2, 2), (perm[0], perm[1], perm[2] * 2)  # (1, 12, 8)
hand_offset = 1 * perm[0]                                              # 1
index = np.indices(hand_shape)                                         # (3, 3, 2, 2): every index tuple
offsets = hand_offset + np.tensordot(np.array(hand_strides), index, axes=1)
by_hand = storage[offsets]
lec.note(f"by hand: shape {hand_shape}, strides {hand_strides}, offset {hand_offset}; offsets of the view:\n"
         f"{offsets.reshape(3, 4)}")


def strided_view(fw):
    x = fw.arange(24.0).reshape(2, 3, 4)
    v = x.permute(2, 0, 1)[1:, :, ::2]
    rebuilt = fw.as_strided(x, hand_shape, hand_strides, hand_offset)
    flat = x.view(-1)
    gathered = flat[fw.from_numpy(offsets.reshape(-1))].view(hand_shape)   # the same gather, in fw
    return (v.stride() == hand_strides, v.storage_offset() == hand_offset, bool((v == fw.from_numpy(by_hand)).all()),
            bool((rebuilt == v).all()), bool((gathered == v).all()), v)


mt_strided, pt_strided = lec.compare("index -> offset by hand vs fw", strided_view)
lec.check("hand-computed strides/offset/values match both frameworks", all(mt_strided[:5]) and all(pt_strided[:5]),
          "stride(), storage_offset(), values, as_strided and the gather all agree with the hand computation")


# the rule itself, as minitorch implements it (a port of ATen's computeStride): read it, then test its predictions
lec.note("minitorch/_ops/shape.py:\n" + inspect.getsource(view_strides))


VIEW_CASES = [  # (name, make the tensor from x = arange(24).reshape(2,3,4), new shape)
    ("x -> (6,4)", lambda x: x, (6, 4)),
    ("x -> (24,)", lambda x: x, (24,)),
    ("x.transpose(1,2) -> (2,12)", lambda x: x.transpose(1, 2), (2, 12)),
    ("x.transpose(1,2) -> (2,2,2,3)", lambda x: x.transpose(1, 2), (2, 2, 2, 3)),
    ("x.permute(1,0,2) -> (3,8)", lambda x: x.permute(1, 0, 2), (3, 8)),
    ("x.permute(1,0,2) -> (6,4)", lambda x: x.permute(1, 0, 2), (6, 4)),
    ("x[:, :, :2] -> (12,)", lambda x: x[:, :, :2], (12,)),
    ("x[:, :, :2] -> (2,3,2,1)", lambda x: x[:, :, :2], (2, 3, 2, 1)),
    ("x[:, :2] -> (2,8)", lambda x: x[:, :2], (2, 8)),
    ("x[:1].expand(4,3,4) -> (12,4)", lambda x: x[:1].expand(4, 3, 4), (12, 4)),
    ("x[:1].expand(4,3,4) -> (48,)", lambda x: x[:1].expand(4, 3, 4), (48,)),
]


def try_view(t, shape):
    try:
        return tuple(t.view(shape).stride())
    except RuntimeError:
        return None


lines = []
for name, make, new_shape in VIEW_CASES:
    outcomes = {}
    for fw in (minitorch, torch):
        t = make(fw.arange(24.0).reshape(2, 3, 4))
        rule = view_strides(tuple(t.shape), t.stride(), new_shape)
        outcomes[fw.__name__] = (None if rule is None else tuple(rule), try_view(t, new_shape))
    predicted, mt_actual = outcomes["minitorch"]
    _, pt_actual = outcomes["torch"]
    lines.append(f"  {name:<32} predicted {predicted!s:<16} minitorch {mt_actual!s:<16} torch {pt_actual}")
    lec.check(f"view rule predicts {name}", predicted == mt_actual == pt_actual,
              "error" if predicted is None else f"strides {predicted}")
lec.note("view(): strides predicted by the rule vs each framework (None = RuntimeError):\n" + "\n".join(lines))

# %% [markdown]
# Performance: a reduction over the last dim of a contiguous matrix walks memory sequentially; the same
# reduction on a transposed view walks with a large stride (cache-unfriendly), and `.contiguous()` pays one
# copy to make later passes fast. The table's time columns show both frameworks on the same data.

# %%
n = 512 if lec.quick else 3000
big = rng.standard_normal((n, n)).astype(np.float32)
lec.compare(f"row sums, contiguous ({n}x{n})", lambda fw, x: x.sum(dim=1), inputs=[big], tol=1e-4)
lec.compare(f"row sums, transposed view ({n}x{n})", lambda fw, x: x.t().sum(dim=1), inputs=[big], tol=1e-4)
lec.compare(f"transposed .contiguous() copy ({n}x{n})", lambda fw, x: x.t().contiguous(), inputs=[big])

# %% [markdown]
# ## Interview questions

# %%
lec.section("Interview questions", "answers that state a behaviour are checked on both frameworks.")


def raises(fn, kind=RuntimeError):
    try:
        fn()
    except kind:
        return True
    return False


def view_raises_reshape_copies(fw) -> bool:
    x = fw.ones(3, 4)
    flat = x.reshape(-1)
    copied = x.t().reshape(-1)
    return (raises(lambda: x.t().view(-1)) and flat.data_ptr() == x.data_ptr()
            and copied.untyped_storage().data_ptr() != x.untyped_storage().data_ptr())


lec.qa("What is the difference between view() and reshape()?",
       "view() never copies: it returns a tensor with new strides over the same storage and raises a RuntimeError "
       "when the shape cannot be expressed with strides (e.g. x.t().view(-1)). reshape() returns such a view when "
       "possible and silently copies otherwise.",
       check=lambda fw: view_raises_reshape_copies(fw))
lec.qa("What does is_contiguous() mean, and is a transposed matrix contiguous?",
       "Its strides are the row-major strides of its shape (last dim stride 1, each earlier stride = next stride * "
       "next size). A transpose swaps the strides, so x.t() is not contiguous (unless a dim has size 1).",
       check=lambda fw: not fw.ones(3, 4).t().is_contiguous() and fw.ones(4, 1).t().is_contiguous())
def slice_writes_through_mask_does_not(fw) -> bool:
    x = fw.zeros(2, 3)
    x[:, 1].fill_(5.0)             # a view: writes into x
    x[x >= 0].fill_(-1.0)          # a copy: x is unchanged
    return x[0, 1].item() == 5.0 and x.min().item() == 0.0


lec.qa("Does slicing copy? Does boolean indexing copy?",
       "Slicing (basic indexing) returns a view: writes through it change the original. Boolean and integer "
       "indexing return copies.",
       check=lambda fw: slice_writes_through_mask_does_not(fw))
lec.qa("torch.tensor(ndarray) vs torch.from_numpy(ndarray)?",
       "tensor() always copies; from_numpy() shares the array's memory (and dtype), so writes to the array show "
       "up in the tensor.",
       check=lambda fw: (lambda a: (fw.tensor(a), fw.from_numpy(a), a.fill(3.0)))(np.zeros(2))[1].sum().item() == 6.0)
lec.qa("What dtype does int64_tensor + 2.5 have? And int32_tensor + float64 0-dim tensor?",
       "float32 (the default float dtype: a Python float raises the category to floating). float64: a 0-dim tensor "
       "of a higher category than the dimensioned operand supplies the dtype.",
       check=lambda fw: (fw.tensor([1]) + 2.5).dtype == fw.float32
       and (fw.tensor([1], dtype=fw.int32) + fw.tensor(1.0, dtype=fw.float64)).dtype == fw.float64)
lec.qa("What does expand() cost in memory?",
       "Nothing: the expanded dims get stride 0 (every index reads the same element). In-place writes to an "
       "expanded tensor are refused because several elements share one memory location.",
       check=lambda fw: fw.zeros(3, 1).expand(3, 1000).stride() == (1, 0)
       and raises(lambda: fw.zeros(3, 1).expand(3, 4).add_(1)))
lec.qa("Why can a tiny slice of a huge tensor keep a lot of memory alive, and how do you fix it?",
       "The slice is a view onto the huge storage, which lives as long as the slice does. clone() (or "
       "contiguous() on a non-contiguous slice) copies just the needed elements into a new, small storage.",
       check=lambda fw: fw.zeros(100, 100)[:, 0].untyped_storage().nbytes() == 40000
       and fw.zeros(100, 100)[:, 0].clone().untyped_storage().nbytes() == 400)
lec.qa("What dtype is the sum of an int32 or bool tensor? What about mean() of an int tensor?",
       "sum() of integer or bool tensors accumulates in int64. mean() of an integer tensor raises a RuntimeError: "
       "pass dtype=float or convert first.",
       check=lambda fw: fw.tensor([1, 2], dtype=fw.int32).sum().dtype == fw.int64
       and fw.tensor([True, True]).sum().item() == 2 and raises(lambda: fw.tensor([1, 2]).mean()))
lec.qa("What does x.max(dim=1) return, and where does its gradient go?",
       "A named tuple (values, indices). The gradient flows only to the arg-max element of each row.",
       check=lambda fw: (lambda x: (x.max(dim=1).values.sum().backward(), x.grad.tolist() == [[0, 1], [1, 0]])[1])(
           fw.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)))
lec.qa("cat vs stack: what shapes do you get from two (2, 3) tensors?",
       "cat along dim 0 gives (4, 3) (joins an existing dim); stack gives (2, 2, 3) (adds a new dim). stack needs "
       "equal shapes; cat needs equal sizes except in the joined dim.",
       check=lambda fw: tuple(fw.cat([fw.ones(2, 3)] * 2).shape) == (4, 3)
       and tuple(fw.stack([fw.ones(2, 3)] * 2).shape) == (2, 2, 3)
       and raises(lambda: fw.stack([fw.ones(2, 3), fw.ones(3, 3)])))
lec.qa("Can a torch tensor have a negative stride, e.g. x[::-1]?",
       "No: strides are non-negative and a negative slice step raises ValueError. Use x.flip(0), which copies.",
       check=lambda fw: raises(lambda: fw.arange(5)[::-1], ValueError) and fw.arange(5).flip(0)[0].item() == 4)
lec.qa("What does contiguous() return for a tensor that is already contiguous?",
       "The tensor itself (no copy); otherwise a row-major copy in a new storage.",
       check=lambda fw: (lambda x: x.contiguous() is x
                         and x.t().contiguous().data_ptr() != x.data_ptr())(fw.ones(2, 3)))
lec.qa("How does broadcasting affect the gradient of a broadcast input?",
       "The gradient is summed over the broadcast dims, so it has the input's shape: for a (3,1) + (1,4) sum, "
       "each element of the (3,1) input gets a gradient of 4.",
       check=lambda fw: (lambda a: ((a + fw.ones(1, 4)).sum().backward(), a.grad.tolist() == [[4.0]] * 3)[1])(
           fw.zeros(3, 1, requires_grad=True)))
lec.qa("What is data_ptr() of a slice relative to its storage?",
       "storage.data_ptr() + storage_offset() * element_size(): the slice starts inside its base's storage.",
       check=lambda fw: (lambda x: x[1:, 2:].data_ptr() - x.untyped_storage().data_ptr()
                         == x[1:, 2:].storage_offset() * x.element_size() == 6 * 8)(fw.zeros(3, 4, dtype=fw.float64)))

lec.finish()
