"""``import minitorch as torch`` runs the usual PyTorch ``nn.Module`` + ``optim`` examples unchanged.

Each example below is ordinary PyTorch code written against a module named ``torch`` (the tutorials' quickstart
classifier, the polynomial fit with ``nn.Sequential`` and a custom ``nn.Module``, a network with dropout and batch
norm that is checkpointed and reloaded). It runs once with real torch and once with minitorch in its place; the
only addition is one ``prepare(model)`` line: on torch it records the initial weights, on minitorch it loads them
(``model.load_state_dict``), so that both start from the same weights. The losses and
the final weights must match.
"""
from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch as real_torch

import minitorch

def quickstart_classifier(torch, prepare):
    """The PyTorch quickstart: Flatten + Linear/ReLU stack, CrossEntropyLoss, SGD, train and test loops."""
    nn = torch.nn

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(8 * 8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10))

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    rng = np.random.default_rng(0)
    X = torch.tensor(rng.standard_normal((64, 1, 8, 8)), dtype=torch.float64)
    y = torch.tensor(rng.integers(0, 10, 64))
    model = NeuralNetwork().double()
    prepare(model)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-1, momentum=0.9)
    losses = []
    for epoch in range(3):
        model.train()
        for batch in range(4):
            xb, yb = X[batch * 16:(batch + 1) * 16], y[batch * 16:(batch + 1) * 16]
            pred = model(xb)
            loss = loss_fn(pred, yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
        model.eval()
        correct = 0
        with torch.no_grad():
            pred = model(X)
            losses.append(loss_fn(pred, y).item())
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        losses.append(correct / len(X))
    return model, losses


def polynomial_fit(torch, prepare):
    """"Learning PyTorch with examples": fit sin(x) with a third-order polynomial, nn.Sequential + RMSprop."""
    x = torch.linspace(-math.pi, math.pi, 200, dtype=torch.float64)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).double()
    prepare(model)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for t in range(200):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model, losses


def custom_module(torch, prepare):
    """A custom ``nn.Module`` with scalar ``nn.Parameter``s and a ``string`` method, trained with SGD."""

    class Polynomial3(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn((), dtype=torch.float64))
            self.b = torch.nn.Parameter(torch.randn((), dtype=torch.float64))
            self.c = torch.nn.Parameter(torch.randn((), dtype=torch.float64))
            self.d = torch.nn.Parameter(torch.randn((), dtype=torch.float64))

        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    x = torch.linspace(-math.pi, math.pi, 200, dtype=torch.float64)
    y = torch.sin(x)
    model = Polynomial3()
    prepare(model)
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    losses = []
    for t in range(300):
        loss = criterion(model(x), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model, losses


def checkpointed_regularised_net(torch, prepare):
    """BatchNorm + Dropout + Adam + StepLR, a checkpoint saved and reloaded mid-run, eval under no_grad."""
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(10, 16, bias=False)   # the batch norm's shift replaces it
            self.bn = nn.BatchNorm1d(16)
            self.drop = nn.Dropout(p=0.0)     # p=0 keeps the two frameworks' random streams out of the result
            self.fc2 = nn.Linear(16, 1)

        def forward(self, x):
            return self.fc2(self.drop(torch.relu(self.bn(self.fc1(x)))))

    rng = np.random.default_rng(1)
    X = torch.tensor(rng.standard_normal((32, 10)))
    y = torch.tensor(rng.standard_normal((32, 1)))
    model = Net().double()
    prepare(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
    losses = []
    for epoch in range(20):
        if epoch == 10:
            buffer = io.BytesIO()
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(), "epoch": epoch}, buffer)
            buffer.seek(0)
            checkpoint = torch.load(buffer)
            model = Net().double()
            model.load_state_dict(checkpoint["model"])
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
            optimizer.load_state_dict(checkpoint["optimizer"])
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
            scheduler.load_state_dict(checkpoint["scheduler"])
        model.train()
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        losses.append(nn.functional.mse_loss(model(X), y).item())
    losses.append(scheduler.get_last_lr()[0])
    return model, losses


EXAMPLES = [quickstart_classifier, polynomial_fit, custom_module, checkpointed_regularised_net]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.__name__ for e in EXAMPLES])
def test_example_matches_torch(example):
    start = {}
    real_torch.manual_seed(0)
    torch_model, torch_losses = example(real_torch, lambda model: start.update(
        {k: minitorch.tensor(v.numpy().copy()) for k, v in model.state_dict().items()}))
    mini_model, mini_losses = example(minitorch, lambda model: model.load_state_dict(start))
    assert len(mini_losses) == len(torch_losses) > 0
    np.testing.assert_allclose(mini_losses, torch_losses, rtol=1e-9, atol=1e-12)
    mini_state, torch_state = mini_model.state_dict(), torch_model.state_dict()
    assert list(mini_state) == list(torch_state)
    for key in torch_state:
        np.testing.assert_allclose(mini_state[key].numpy(), torch_state[key].numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=key)
