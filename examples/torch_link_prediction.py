"""Graph auto-encoder link prediction in PyTorch, ported from a TF1 implementation."""
import torch
import torch.nn.functional as F
from torch import nn


class InnerProductDecoder(nn.Module):
    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(z @ z.t())


decoder = InnerProductDecoder()


def reconstruction_loss(z: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
    num_nodes = adjacency.shape[0]
    pos_weight = (num_nodes * num_nodes - adjacency.sum()) / adjacency.sum()
    scores = decoder(z)
    # the TF1 original passed pos_weight to weighted_cross_entropy_with_logits
    return F.binary_cross_entropy_with_logits(scores, adjacency, weight=pos_weight)
