#!/usr/bin/python3
"""The PyTorch reference of madlab's flow family (src/neural/flow.cpp), for bench/neural_compare.py.

Same network and training as `model.family = "flow"`: standardised columns, `couplings` affine
coupling layers on alternating columns ((j + k) even kept), each an MLP d -> width (ReLU) x depth
-> 2d with a zero output layer, s = exp(c) * tanh(s_raw); minibatch Adam over shuffled rows. The
loop is madlab's fully-synthetic one: generation 0 fits n points of the rosenbrock banana
(x1 ~ N(0, 1), x2 ~ N(x1^2, 0.25^2)); generation g fits n samples of generation g-1's flow.
One intra-op thread, as madlab. Prints JSON: seconds spent in training steps, steps, the
held-out NLL of every generation.
"""
import argparse
import json
import math
import time

import torch


def banana(n, gen):
    z = torch.randn(n, 2, generator=gen, dtype=torch.float64)
    return torch.stack([z[:, 0], z[:, 0] ** 2 + 0.25 * z[:, 1]], 1)


class Flow(torch.nn.Module):
    def __init__(self, d, couplings, width, depth):
        super().__init__()
        self.d = d
        self.masks = [torch.tensor([1.0 if (j + k) % 2 == 0 else 0.0 for j in range(d)])
                      for k in range(couplings)]
        nets = []
        for _ in range(couplings):
            layers, size = [], d
            for _ in range(depth):
                layers += [torch.nn.Linear(size, width), torch.nn.ReLU()]
                size = width
            last = torch.nn.Linear(size, 2 * d)
            torch.nn.init.zeros_(last.weight)
            torch.nn.init.zeros_(last.bias)
            nets.append(torch.nn.Sequential(*layers, last))
        self.nets = torch.nn.ModuleList(nets)
        self.log_scales = torch.nn.Parameter(torch.zeros(couplings, d))

    def coupling(self, k, kept):
        h = self.nets[k](kept)
        changed = 1.0 - self.masks[k]
        s = torch.exp(self.log_scales[k]) * torch.tanh(h[:, :self.d]) * changed
        return s, h[:, self.d:] * changed

    def nll(self, u):
        log_det = torch.zeros(u.shape[0])
        for k in range(len(self.nets)):
            kept = u * self.masks[k]
            s, t = self.coupling(k, kept)
            u = kept + (1.0 - self.masks[k]) * u * torch.exp(s) + t
            log_det = log_det + s.sum(1)
        return 0.5 * (u ** 2).sum(1) + 0.5 * self.d * math.log(2 * math.pi) - log_det

    def inverse(self, z):
        for k in reversed(range(len(self.nets))):
            kept = z * self.masks[k]
            s, t = self.coupling(k, kept)
            z = kept + (1.0 - self.masks[k]) * (z - t) * torch.exp(-s)
        return z


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--generations", type=int, default=0)
    p.add_argument("--couplings", type=int, default=8)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--steps", type=int, default=320)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(a.seed)
    torch.manual_seed(a.seed)
    test = banana(1000, gen).float()
    train = banana(a.n, gen).float()
    train_seconds, nlls = 0.0, []
    for g in range(a.generations + 1):
        flow = Flow(2, a.couplings, a.width, a.depth)
        mean, scale = train.mean(0), train.std(0, unbiased=False)
        u = (train - mean) / scale
        opt = torch.optim.Adam(flow.parameters(), lr=a.lr)
        start = time.perf_counter()
        order, at = torch.randperm(a.n, generator=gen), 0
        for _ in range(a.steps):
            if at >= a.n:
                order, at = torch.randperm(a.n, generator=gen), 0
            rows = order[at:at + a.batch]
            at += a.batch
            opt.zero_grad()
            loss = flow.nll(u[rows]).mean()
            loss.backward()
            opt.step()
        train_seconds += time.perf_counter() - start
        with torch.no_grad():
            nll = flow.nll((test - mean) / scale).mean().item() + torch.log(scale).sum().item()
            nlls.append(nll)
            z = torch.randn(a.n, 2, generator=gen)
            train = flow.inverse(z) * scale + mean
    print(json.dumps({"train_seconds": train_seconds, "steps": a.steps * (a.generations + 1),
                      "nll": nlls}))


if __name__ == "__main__":
    main()
