"""The training loop: wce-lint follows `D(real)` into models.py and into the helpers of losses.py."""
import torch

from .losses import adversarial_loss, saturating_generator_loss
from .models import Discriminator, Generator


def train_step(real: torch.Tensor, g_opt: torch.optim.Optimizer, d_opt: torch.optim.Optimizer) -> None:
    G, D = Generator(), Discriminator()
    fake = G(torch.randn(real.shape[0], 64))

    d_loss = adversarial_loss(D(real), real=True) + adversarial_loss(D(fake.detach()), real=False)
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()

    g_loss = saturating_generator_loss(D(fake))
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
