"""A small GAN project: the models, the losses and the training loop live in different modules."""
