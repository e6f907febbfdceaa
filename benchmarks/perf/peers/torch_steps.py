#!/usr/bin/env python3
"""PyTorch peer of benchmarks/perf/peers/workload.ts: the same three training steps of a model at batch 60.

natural: CE(y, f(x)); fgsm / pgd: 0.5 CE(y, f(x)) + 0.5 CE(y, f(x_adv)), x_adv crafted against the current
masked weights with the model's own predicted labels (FGSM eps 0.3; PGD-10, step 0.05, random start), then one
Adam step (lr 1.2e-3, betas 0.9/0.999, eps 1e-7). Kernels masked (80% ones), biases not; smoothed targets (0.1).
Models: dense-300-100 (x @ (W * M), no biases, ReLU between layers) and lenet5 (conv 6@5x5 'same', 2x2 max-pool,
conv 16@5x5 'valid', 2x2 max-pool, dense 120, 84, 10, ReLU, biases: torch.nn.functional's conv2d and max_pool2d,
which run on oneDNN where PyTorch was built with it). One intra-op thread. Prints JSON: per step, the sorted
times in milliseconds.

Usage: /usr/bin/python3 benchmarks/perf/peers/torch_steps.py [--model dense-300-100|lenet5] [--seconds S]
       [--min-iterations N] [--steps natural,fgsm,pgd]
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from torch_attacks import Attacks, training_step  # noqa: E402 (benchmarks/perf/torch_attacks.py, shared by the PyTorch peers)

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

BATCH = 60


def dense_forward(effective, x):
    h = x
    for i, w in enumerate(effective):
        h = h @ w
        if i < len(effective) - 1:
            h = torch.relu(h)
    return h


def lenet5_forward(effective, x):
    c1, b1, c2, b2, d1, db1, d2, db2, out, out_b = effective
    h = x.reshape(-1, 1, 28, 28)
    h = F.max_pool2d(torch.relu(F.conv2d(h, c1, b1, padding=2)), 2)
    h = F.max_pool2d(torch.relu(F.conv2d(h, c2, b2)), 2)
    h = torch.relu(h.flatten(1) @ d1 + db1)
    h = torch.relu(h @ d2 + db2)
    return h @ out + out_b


# Per model: its forward pass and its parameters as (shape, Glorot fans, or None for a bias). Filters are
# [out, in, kh, kw] (PyTorch's layout), dense kernels [in, out].
MODELS = {
    "dense-300-100": (dense_forward, [((784, 300), (784, 300)), ((300, 100), (300, 100)), ((100, 10), (100, 10))]),
    "lenet5": (lenet5_forward, [
        ((6, 1, 5, 5), (25, 150)), ((6,), None), ((16, 6, 5, 5), (150, 400)), ((16,), None),
        ((400, 120), (400, 120)), ((120,), None), ((120, 84), (120, 84)), ((84,), None), ((84, 10), (84, 10)), ((10,), None),
    ]),
}


def cross_entropy(logits, targets):
    return -(targets * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="dense-300-100", choices=sorted(MODELS))
    parser.add_argument("--seconds", type=float, default=3.0, help="time budget per step kind")
    parser.add_argument("--min-iterations", type=int, default=20)
    parser.add_argument("--steps", default="natural,fgsm,pgd")
    args = parser.parse_args()
    forward, parameters = MODELS[args.model]
    attacks = Attacks(forward, cross_entropy)

    generator = torch.Generator().manual_seed(1)
    weights, masks = [], []
    for shape, fans in parameters:
        if fans is None:
            weights.append(torch.zeros(shape).requires_grad_(True))
            masks.append(torch.ones(shape))
            continue
        limit = (6 / (fans[0] + fans[1])) ** 0.5
        weights.append(((torch.rand(shape, generator=generator) * 2 - 1) * limit).requires_grad_(True))
        masks.append((torch.rand(shape, generator=generator) < 0.8).float())
    x = torch.rand(BATCH, 784, generator=generator)
    labels = torch.randint(0, 10, (BATCH,), generator=generator)
    targets = torch.full((BATCH, 10), 0.01).scatter_(1, labels[:, None], 0.91)
    optimiser = torch.optim.Adam(weights, lr=1.2e-3, betas=(0.9, 0.999), eps=1e-7)

    def step(kind):
        training_step(attacks, kind, weights, masks, x, targets, optimiser, generator)

    results = {}
    for kind in args.steps.split(","):
        for _ in range(10):
            step(kind)
        times = []
        deadline = time.perf_counter() + args.seconds
        while len(times) < args.min_iterations or time.perf_counter() < deadline:
            start = time.perf_counter()
            step(kind)
            times.append((time.perf_counter() - start) * 1000)
        results[kind] = sorted(times)
    print(json.dumps({"peer": "pytorch", "model": args.model, "version": torch.__version__, "threads": torch.get_num_threads(),
                      "steps": results}))


if __name__ == "__main__":
    main()
