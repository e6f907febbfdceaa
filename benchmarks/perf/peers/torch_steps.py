#!/usr/bin/env python3
"""PyTorch peer of benchmarks/perf/peers/workload.ts: the same three training steps of dense-300-100 at batch 60.

natural: CE(y, f(x)); fgsm / pgd: 0.5 CE(y, f(x)) + 0.5 CE(y, f(x_adv)), x_adv crafted against the current
masked weights with the model's own predicted labels (FGSM eps 0.3; PGD-10, step 0.05, random start), then one
Adam step (lr 1.2e-3, betas 0.9/0.999, eps 1e-7). Masked dense layers x @ (W * M), no biases, ReLU between
layers, smoothed targets (0.1). One intra-op thread. Prints JSON: per step, the sorted times in milliseconds.

Usage: /usr/bin/python3 benchmarks/perf/peers/torch_steps.py [--seconds S] [--min-iterations N] [--steps natural,fgsm,pgd]
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from torch_attacks import Attacks, training_step  # noqa: E402 (benchmarks/perf/torch_attacks.py, shared by the PyTorch peers)

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

BATCH, LAYERS = 60, [(784, 300), (300, 100), (100, 10)]


def forward(effective, x):
    h = x
    for i, w in enumerate(effective):
        h = h @ w
        if i < len(effective) - 1:
            h = torch.relu(h)
    return h


def cross_entropy(logits, targets):
    return -(targets * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()


ATTACKS = Attacks(forward, cross_entropy)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="time budget per step kind")
    parser.add_argument("--min-iterations", type=int, default=20)
    parser.add_argument("--steps", default="natural,fgsm,pgd")
    args = parser.parse_args()

    generator = torch.Generator().manual_seed(1)
    weights = []
    for fan_in, fan_out in LAYERS:
        limit = (6 / (fan_in + fan_out)) ** 0.5
        weights.append(((torch.rand(fan_in, fan_out, generator=generator) * 2 - 1) * limit).requires_grad_(True))
    masks = [(torch.rand(w.shape, generator=generator) < 0.8).float() for w in weights]
    x = torch.rand(BATCH, 784, generator=generator)
    labels = torch.randint(0, 10, (BATCH,), generator=generator)
    targets = torch.full((BATCH, 10), 0.01).scatter_(1, labels[:, None], 0.91)
    optimiser = torch.optim.Adam(weights, lr=1.2e-3, betas=(0.9, 0.999), eps=1e-7)

    def step(kind):
        training_step(ATTACKS, kind, weights, masks, x, targets, optimiser, generator)

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
    print(json.dumps({"peer": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(),
                      "steps": results}))


if __name__ == "__main__":
    main()
