#!/usr/bin/python3
"""The PyTorch reference of madlab's vae family (src/neural/vae.cpp), for bench/neural_compare.py.

Same network and training as `model.family = "vae"` with likelihood = "bernoulli" and
architecture = "mlp": encoder 784 -> width (ReLU) x depth -> 2 * latent (the mean and the
log-variance of q(z|x)), decoder latent -> width (ReLU) x depth -> 784 logits, every linear layer
with PyTorch's default initialisation (uniform in +-1/sqrt(fan_in), what madlab draws); loss the
mean over the batch of the summed binary cross-entropy of the logits plus the KL divergence to
N(0, I), one reparameterised draw per row; minibatch Adam over rows reshuffled every epoch (the
last batch of an epoch is the remainder). Data: the MNIST test images of the idx file, pixels
scaled by 1/255 (as madlab's idx reader), 20% held out by a split that depends on no seed (as
source.test_fraction = 0.2 with split_seed 0), generation 0 fits n distinct images of the rest;
the loop is fully synthetic: generation g fits n samples of generation g-1, a sample being the
decoder's pixel probabilities sigmoid(decoder(z)) at z ~ N(0, I). One intra-op thread, as
madlab. Prints JSON: seconds spent in training steps, steps, the loss of the first step and the
mean loss of the last epoch (madlab's fit_loss) of every generation, and the held-out negative
ELBO (madlab's neg_elbo: one draw per row from a fixed stream) of every generation.
"""
import argparse
import gzip
import json
import math
import time

import numpy
import torch

MNIST = "/work/shared/data/images/mnist/t10k-images-idx3-ubyte.gz"


def read_idx_images(path):
    """The images of an idx3 file (gzip or not) as an n x (rows * cols) float32 tensor in [0, 1]."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[:4] != b"\x00\x00\x08\x03":
        raise SystemExit(f"{path}: not an idx3 file of unsigned bytes")
    n, rows, cols = (int(v) for v in numpy.frombuffer(raw, dtype=">i4", count=3, offset=4))
    pixels = numpy.frombuffer(raw, dtype=numpy.uint8, count=n * rows * cols, offset=16)
    # madlab divides in double precision, then its tensors are float32.
    return torch.from_numpy(pixels.reshape(n, rows * cols).astype(numpy.float64) / 255.0).float()


def mlp(size, width, depth, out):
    layers = []
    for _ in range(depth):
        layers += [torch.nn.Linear(size, width), torch.nn.ReLU()]
        size = width
    return torch.nn.Sequential(*layers, torch.nn.Linear(size, out))


class Vae(torch.nn.Module):
    def __init__(self, d, latent, width, depth):
        super().__init__()
        self.latent = latent
        self.encoder = mlp(d, width, depth, 2 * latent)
        self.decoder = mlp(latent, width, depth, d)

    def negative_elbo(self, x, eps):
        h = self.encoder(x)
        mu, log_var = h[:, :self.latent], h[:, self.latent:]
        logits = self.decoder(mu + torch.exp(0.5 * log_var) * eps)
        reconstruction = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, x, reduction="none").sum(1)
        kl = 0.5 * (mu ** 2 + log_var.exp() - 1.0 - log_var).sum(1)
        return reconstruction + kl

    def sample(self, n, gen):
        z = torch.randn(n, self.latent, generator=gen)
        return torch.sigmoid(self.decoder(z))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=MNIST)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--n-test", type=int, default=200)
    p.add_argument("--generations", type=int, default=0)
    p.add_argument("--latent", type=int, default=16)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--steps", type=int, default=320)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(1)
    images = read_idx_images(a.data)
    split = torch.randperm(images.shape[0], generator=torch.Generator().manual_seed(0))
    n_test = max(1, math.ceil(0.2 * images.shape[0]))
    test_pool, train_pool = images[split[:n_test]], images[split[n_test:]]
    gen = torch.Generator().manual_seed(a.seed)
    torch.manual_seed(a.seed)
    test = test_pool[torch.randperm(test_pool.shape[0], generator=gen)[:a.n_test]]
    train = train_pool[torch.randperm(train_pool.shape[0], generator=gen)[:a.n]]
    score_gen = torch.Generator().manual_seed(0x5eed)  # a fixed stream, as madlab's neg_elbo
    score_eps = torch.randn(test.shape[0], a.latent, generator=score_gen)
    per_epoch = math.ceil(a.n / a.batch)
    train_seconds, first_losses, fit_losses, neg_elbos = 0.0, [], [], []
    for g in range(a.generations + 1):
        vae = Vae(train.shape[1], a.latent, a.width, a.depth)
        opt = torch.optim.Adam(vae.parameters(), lr=a.lr)
        losses = []
        start = time.perf_counter()
        order, at = torch.randperm(a.n, generator=gen), 0
        for _ in range(a.steps):
            if at >= a.n:
                order, at = torch.randperm(a.n, generator=gen), 0
            rows = order[at:at + a.batch]
            at += a.batch
            opt.zero_grad()
            batch = train[rows]
            eps = torch.randn(batch.shape[0], a.latent, generator=gen)
            loss = vae.negative_elbo(batch, eps).mean()
            losses.append(loss.item())  # madlab reads every step's loss (its finiteness check)
            loss.backward()
            opt.step()
        train_seconds += time.perf_counter() - start
        first_losses.append(losses[0] if losses else 0.0)
        last = losses[-per_epoch:]
        fit_losses.append(sum(last) / len(last) if last else 0.0)
        with torch.no_grad():
            neg_elbos.append(vae.negative_elbo(test, score_eps).double().mean().item())
            train = vae.sample(a.n, gen)
    print(json.dumps({"train_seconds": train_seconds, "steps": a.steps * (a.generations + 1),
                      "first_loss": first_losses, "fit_loss": fit_losses,
                      "neg_elbo": neg_elbos}))


if __name__ == "__main__":
    main()
