#!/usr/bin/env python3
"""PyTorch peer of the GPU check's stacked steps (benchmarks/perf/gpu/stacked-steps.ts), in eager PyTorch.

T dense-300-100 networks stacked on a leading axis: weights and masks [T, fan_in, fan_out], batches [T, 60, 784],
layers as torch.bmm(h, W * M), no biases, ReLU between layers, smoothed targets (0.1). The loss sums each
network's mean cross-entropy, so every network gets the gradient it would get alone.
natural: CE(y, f(x)); fgsm / pgd: 0.5 CE(y, f(x)) + 0.5 CE(y, f(x_adv)), x_adv crafted against the current
masked weights with the networks' own predicted labels (FGSM eps 0.3; PGD-10 step 0.05 with a random start on
the device), then one Adam step (lr 1.2e-3, betas 0.9/0.999, eps 1e-7) of all T networks at once.

Timing per (step, T): warm-up steps, then rounds of R steps each ended by torch.cuda.synchronize(); the median
over rounds of round time / R / T is the time per network-step. Prints one JSON line.

Usage: python3 benchmarks/perf/gpu/torch_stacked_steps.py --trials 1,40,160 [--device cuda] [--quick]
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from torch_attacks import Attacks, training_step  # noqa: E402 (benchmarks/perf/torch_attacks.py, shared by the PyTorch peers)

BATCH, LAYERS = 60, [(784, 300), (300, 100), (100, 10)]


def forward(effective, x):
    h = x
    for i, w in enumerate(effective):
        h = torch.bmm(h, w)
        if i < len(effective) - 1:
            h = torch.relu(h)
    return h


def cross_entropy(logits, targets):
    """Sum over networks of each network's mean cross-entropy."""
    return -(targets * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean(dim=-1).sum()


ATTACKS = Attacks(forward, cross_entropy)


def stacked_state(trials, device, generator):
    weights = []
    for fan_in, fan_out in LAYERS:
        limit = (6 / (fan_in + fan_out)) ** 0.5
        w = (torch.rand(trials, fan_in, fan_out, generator=generator, device=device) * 2 - 1) * limit
        weights.append(w.requires_grad_(True))
    masks = [torch.ones_like(w) for w in weights]
    x = torch.rand(trials, BATCH, 784, generator=generator, device=device)
    x = torch.where(torch.rand(x.shape, generator=generator, device=device) < 0.6, torch.zeros_like(x), x)
    labels = torch.randint(0, 10, (trials, BATCH), generator=generator, device=device)
    targets = torch.full((trials, BATCH, 10), 0.01, device=device).scatter_(2, labels[..., None], 0.91)
    optimiser = torch.optim.Adam(weights, lr=1.2e-3, betas=(0.9, 0.999), eps=1e-7)
    return weights, masks, x, targets, optimiser


def make_step(kind, weights, masks, x, targets, optimiser, generator):
    def step():
        training_step(ATTACKS, kind, weights, masks, x, targets, optimiser, generator)
    return step


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_step(step, device, warmup, rounds, min_units, target_ms):
    for _ in range(warmup):
        step()
    synchronize(device)
    start = time.perf_counter()
    step()
    synchronize(device)
    probe = (time.perf_counter() - start) * 1000
    units = max(min_units, min(100, int(target_ms / max(probe, 1e-3)) + 1))
    per_unit = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(units):
            step()
        synchronize(device)
        per_unit.append((time.perf_counter() - start) * 1000 / units)
    per_unit.sort()
    mid = len(per_unit) // 2
    return per_unit[mid] if len(per_unit) % 2 else (per_unit[mid - 1] + per_unit[mid]) / 2, units


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", default="1,40,160", help="stack sizes T, comma-separated")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="one round of two steps per (step, T)")
    args = parser.parse_args()

    device = torch.device(args.device)
    warmup, rounds, min_units, target_ms = (1, 1, 2, 0) if args.quick else (3, 3, 3, 300)
    results = []
    for trials in [int(t) for t in args.trials.split(",")]:
        generator = torch.Generator(device=device).manual_seed(1000 + trials)
        weights, masks, x, targets, optimiser = stacked_state(trials, device, generator)
        for kind in ("natural", "fgsm", "pgd"):
            step = make_step(kind, weights, masks, x, targets, optimiser, generator)
            ms, units = time_step(step, device, warmup, rounds, min_units, target_ms)
            results.append({"kind": kind, "trials": trials, "stackedMs": ms, "perNetworkUs": ms * 1000 / trials, "units": units})
        del weights, masks, x, targets, optimiser
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(json.dumps({"version": torch.__version__, "device": name, "steps": results}))


if __name__ == "__main__":
    main()
