"""Loss helpers shared by the training code."""
import torch
import torch.nn.functional as F


def adversarial_loss(scores: torch.Tensor, real: bool) -> torch.Tensor:
    targets = torch.ones_like(scores) if real else torch.zeros_like(scores)
    return F.binary_cross_entropy_with_logits(scores, targets)  # expects raw scores


def saturating_generator_loss(probabilities: torch.Tensor) -> torch.Tensor:
    return -torch.log(probabilities).mean()  # the log of a probability
