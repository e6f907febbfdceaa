"""The attacks and the training step of rsn's PyTorch peers, written once for one network (peers/torch_steps.py) and for T stacked
networks (gpu/torch_stacked_steps.py), each script passing its forward pass and cross-entropy.

FGSM (eps 0.3) and PGD-10 (step 0.05, random start), both against the networks' own predicted labels and the
cross-entropy of the logits, as rsn's attacks (core/attacks).
"""
import torch

EPS, PGD_STEP, PGD_ITERS = 0.3, 0.05, 10


class Attacks:
    def __init__(self, forward, cross_entropy, classes=10):
        self.forward = forward
        self.cross_entropy = cross_entropy
        self.classes = classes

    def input_gradient(self, effective, x, targets):
        x = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(self.cross_entropy(self.forward(effective, x), targets), x)
        return g

    def predicted_targets(self, effective, x):
        with torch.no_grad():
            return torch.nn.functional.one_hot(self.forward(effective, x).argmax(-1), self.classes).float()

    def fgsm(self, effective, x):
        g = self.input_gradient(effective, x, self.predicted_targets(effective, x))
        return torch.clamp(x + EPS * torch.sign(g), 0, 1)

    def pgd(self, effective, x, generator):
        targets = self.predicted_targets(effective, x)
        eta = torch.empty_like(x).uniform_(-EPS, EPS, generator=generator)
        current = torch.clamp(x + eta, 0, 1)
        for _ in range(PGD_ITERS):
            g = self.input_gradient(effective, current, targets)
            stepped = torch.clamp(current + PGD_STEP * torch.sign(g), 0, 1)
            current = torch.clamp(x + torch.clamp(stepped - x, -EPS, EPS), 0, 1)
        return current


def training_step(attacks, kind, weights, masks, x, targets, optimiser, generator):
    """One step of the peers' workload: CE(y, f(x)), or 0.5 CE(y, f(x)) + 0.5 CE(y, f(x_adv)) with x_adv crafted
    against the current masked weights, then one optimiser step."""
    x_adv = None
    if kind != "natural":
        effective = [(w * m).detach() for w, m in zip(weights, masks)]
        x_adv = attacks.fgsm(effective, x) if kind == "fgsm" else attacks.pgd(effective, x, generator)
    optimiser.zero_grad(set_to_none=True)
    effective = [w * m for w, m in zip(weights, masks)]
    loss = attacks.cross_entropy(attacks.forward(effective, x), targets)
    if x_adv is not None:
        loss = 0.5 * loss + 0.5 * attacks.cross_entropy(attacks.forward(effective, x_adv), targets)
    loss.backward()
    optimiser.step()
