"""The generator and the discriminator. The discriminator ends in a sigmoid: its outputs are probabilities."""
import torch
from torch import nn


class Generator(nn.Module):
    def __init__(self, latent: int = 64, out: int = 784) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, out), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self, inp: int = 784) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(inp, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
