"""A hand-written focal loss for a detector head, in TensorFlow."""
import tensorflow as tf


def focal_loss(labels, logits, alpha=0.25, gamma=-2.0):
    probs = tf.sigmoid(logits)
    p_t = labels * probs + (1 - labels) * (1 - probs)
    alpha_t = labels * alpha + (1 - labels) * (1 - alpha)
    cross_entropy = -(labels * tf.math.log(probs) + (1 - labels) * tf.math.log(1 - probs))
    return tf.reduce_mean(alpha_t * (1 - p_t) ** gamma * cross_entropy)
