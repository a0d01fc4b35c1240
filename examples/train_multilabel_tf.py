"""A multi-label tagger trained with TensorFlow: a misuse wce-lint catches before the run starts."""
import tensorflow as tf

NUM_TAGS = 5
# "Penalise false positives" — written as a negative positive-class weight.
POS_WEIGHT = -2.0

model = tf.keras.Sequential([
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dense(NUM_TAGS),
])
optimizer = tf.keras.optimizers.Adam(1e-3)


@tf.function
def train_step(features, tags):
    with tf.GradientTape() as tape:
        logits = model(features, training=True)
        loss = tf.reduce_mean(
            tf.nn.weighted_cross_entropy_with_logits(labels=tags, logits=logits, pos_weight=POS_WEIGHT)
        )
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
