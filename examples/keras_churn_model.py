"""Churn prediction with Keras: the model ends in a sigmoid *and* the loss is told to expect logits."""
import numpy as np
from tensorflow import keras

features = np.random.rand(1024, 20).astype("float32")
churned = np.random.randint(0, 2, size=(1024, 1)).astype("float32")

model = keras.Sequential([
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(
    optimizer="adam",
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=["AUC"],
)
model.fit(features, churned, epochs=5, class_weight=[1.0, 4.0])
