"""Corpus B: a deterministic tree of realistic ML training code (Keras, tf.nn, PyTorch, optax/JAX), with and
without cross-entropy misuses, generated from the templates below.

Each project looks like a small research repository: ``models/``, ``losses/``, ``train/``, ``data/``,
``utils/``. Files are 60–400 lines: a module docstring, the imports of their framework, a few building blocks
(model builders, training steps, loss modules, input pipelines) and the helpers such files carry (metrics,
schedules, config dataclasses, logging). About a quarter of the loss sites are misuses of the kinds the rule
catalog describes; data and utility modules mostly contain no trigger word at all, as in real trees.

``python benchmarks/corpus_b.py DEST [--files N]`` writes the tree; the same N always gives the same bytes.
"""

from __future__ import annotations

import argparse
import random
import shutil
import textwrap
from pathlib import Path

SEED = 20240611
PARTS = ("models", "losses", "train", "data", "utils")

# -- imports per framework -------------------------------------------------------------------------
IMPORTS = {
    "keras": [
        "import numpy as np\nimport tensorflow as tf\nfrom tensorflow import keras\nfrom tensorflow.keras import layers\n",
        "import numpy as np\nimport tensorflow as tf\nfrom tensorflow.keras import layers, losses, Model\n",
        "import keras\nimport numpy as np\nfrom keras import layers\n",
    ],
    "tf": [
        "import numpy as np\nimport tensorflow as tf\n",
        "import tensorflow as tf\nimport tensorflow.compat.v1 as tf1\nimport numpy as np\n",
    ],
    "torch": [
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nfrom torch.utils.data import DataLoader, Dataset\n",
        "import numpy as np\nimport torch\nfrom torch import nn\nfrom torch.nn import functional as F\n",
    ],
    "jax": [
        "import jax\nimport jax.numpy as jnp\nimport optax\nimport flax.linen as nn\n",
        "import functools\n\nimport jax\nimport jax.numpy as jnp\nimport numpy as np\nimport optax\n",
    ],
    "plain": [
        "import json\nimport logging\nimport os\nfrom dataclasses import dataclass, field\nfrom pathlib import Path\n",
        "import csv\nimport math\nimport random\nfrom collections import defaultdict\nfrom typing import Iterator\n",
    ],
}

# -- loss-bearing blocks: (template, misuse?) ------------------------------------------------------
KERAS_BLOCKS = [
    ('''
def build_{name}_classifier(input_dim: int = {dim}, num_classes: int = {classes}):
    """A small MLP head used by the {name} experiments."""
    inputs = keras.Input(shape=(input_dim,))
    x = layers.Dense({units}, activation="relu")(inputs)
    x = layers.Dropout({dropout})(x)
    x = layers.Dense({units2}, activation="relu")(x)
    outputs = layers.Dense(num_classes)(x)
    model = keras.Model(inputs, outputs, name="{name}_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate={lr}),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model
''', False),
    ('''
def build_{name}_tagger(vocab_size: int = {vocab}, num_tags: int = {classes}):
    model = keras.Sequential([
        layers.Embedding(vocab_size, {units}),
        layers.GlobalAveragePooling1D(),
        layers.Dense({units2}, activation="relu"),
        layers.Dense(num_tags, activation="sigmoid"),
    ])
    # The head already applies a sigmoid, yet the loss is told it receives logits.
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    return model
''', True),
    ('''
def build_{name}_detector(input_dim: int = {dim}):
    model = keras.Sequential([
        layers.Dense({units}, activation="relu", input_shape=(input_dim,)),
        layers.BatchNormalization(),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.SGD({lr}), loss="binary_crossentropy", metrics=["AUC"])
    return model
''', False),
    ('''
def build_{name}_scorer(input_dim: int = {dim}):
    model = keras.Sequential([
        layers.Dense({units}, activation="relu", input_shape=(input_dim,)),
        layers.Dense(1),
    ])
    # A linear output scored as if it were a probability.
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy())
    return model
''', True),
    ('''
class {cname}Head(keras.Model):
    def __init__(self, num_classes: int = {classes}, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense({units}, activation="gelu")
        self.norm = layers.LayerNormalization()
        self.out = layers.Dense(num_classes)
        self.loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing={smoothing})

    def call(self, inputs, training=False):
        return self.out(self.norm(self.hidden(inputs)))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = self.loss_fn(y, logits)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {{"loss": loss}}
''', False),
    ('''
def fit_{name}(model, x_train, y_train, epochs: int = {epochs}):
    focal = keras.losses.BinaryFocalCrossentropy(gamma={gamma}, from_logits=True)
    model.compile(optimizer="adam", loss=focal)
    callbacks = [keras.callbacks.EarlyStopping(patience={patience}, restore_best_weights=True)]
    return model.fit(x_train, y_train, epochs=epochs, batch_size={batch}, validation_split=0.1, callbacks=callbacks)
''', False),
]

TF_BLOCKS = [
    ('''
@tf.function
def {name}_train_step(model, optimizer, features, labels):
    with tf.GradientTape() as tape:
        logits = model(features, training=True)
        per_example = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
        loss = tf.reduce_mean(per_example)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss
''', False),
    ('''
def {name}_weighted_loss(labels, logits):
    """Positives are rare ({rate}% of examples): weight them up."""
    pos_weight = tf.constant({pos_weight})
    return tf.reduce_mean(
        tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=pos_weight)
    )
''', False),
    ('''
def {name}_imbalanced_loss(labels, logits):
    # The sign slipped in while porting from a config file.
    return tf.reduce_mean(
        tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=-{pos_weight})
    )
''', True),
    ('''
def {name}_multilabel_loss(labels, scores):
    probabilities = tf.sigmoid(scores)
    loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=probabilities)
    return tf.reduce_mean(loss)
''', True),
    ('''
def {name}_softmax_loss(onehot_labels, logits, axis=-1):
    loss = tf.nn.softmax_cross_entropy_with_logits(labels=onehot_labels, logits=logits, axis=axis)
    return tf.reduce_mean(loss)


def {name}_sparse_loss(class_ids, logits):
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=class_ids, logits=logits))
''', False),
    ('''
def {name}_stable_loss(labels, logits):
    logits = tf.clip_by_value(logits, -{clip}, {clip})
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))
''', True),
    ('''
def {name}_manual_bce(labels, logits):
    p = tf.sigmoid(logits)
    return -tf.reduce_mean(labels * tf.math.log(p) + (1.0 - labels) * tf.math.log(1.0 - p))
''', True),
]

TORCH_BLOCKS = [
    ('''
class {cname}Net(nn.Module):
    def __init__(self, in_features: int = {dim}, hidden: int = {units}, num_classes: int = {classes}):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.ReLU(),
            nn.Dropout({dropout}),
            nn.Linear(hidden, {units2}),
            nn.ReLU(),
        )
        self.head = nn.Linear({units2}, num_classes)

    def forward(self, x):
        return self.head(self.encoder(x))
''', False),
    ('''
def make_{name}_criterion(device="cpu"):
    pos_weight = torch.tensor([{pos_weight}], device=device)
    return nn.BCEWithLogitsLoss(pos_weight=pos_weight)
''', False),
    ('''
def make_{name}_criterion(device="cpu"):
    # Meant to up-weight the positives; `weight` rescales every element alike.
    return nn.BCEWithLogitsLoss(weight=torch.tensor({pos_weight}))
''', True),
    ('''
def make_{name}_loss():
    return nn.BCEWithLogitsLoss(pos_weight=torch.tensor([-{pos_weight}, 1.0]))
''', True),
    ('''
def {name}_train_epoch(model, loader, optimizer, device="cpu"):
    model.train()
    criterion = nn.CrossEntropyLoss(label_smoothing={smoothing})
    total, seen = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        logits = model(inputs)
        loss = criterion(logits, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), {clip})
        optimizer.step()
        total += loss.item() * inputs.size(0)
        seen += inputs.size(0)
    return total / max(seen, 1)
''', False),
    ('''
def {name}_loss(logits, targets):
    probs = torch.sigmoid(logits)
    return F.binary_cross_entropy_with_logits(probs, targets)
''', True),
    ('''
def {name}_bce(logits, targets, weights=None):
    return F.binary_cross_entropy_with_logits(logits, targets.float(), weight=weights, reduction="mean")


def {name}_eval(model, loader):
    model.eval()
    losses = []
    with torch.no_grad():
        for inputs, targets in loader:
            losses.append(F.cross_entropy(model(inputs), targets).item())
    return sum(losses) / max(len(losses), 1)
''', False),
]

JAX_BLOCKS = [
    ('''
def {name}_loss_fn(params, apply_fn, batch):
    logits = apply_fn({{"params": params}}, batch["image"])
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, batch["label"]).mean()
    return loss, logits
''', False),
    ('''
def {name}_binary_loss(params, apply_fn, batch):
    logits = apply_fn(params, batch["x"])
    return optax.sigmoid_binary_cross_entropy(logits, batch["y"]).mean()
''', False),
    ('''
def {name}_binary_loss(params, apply_fn, batch):
    scores = jax.nn.sigmoid(apply_fn(params, batch["x"]))
    return optax.sigmoid_binary_cross_entropy(scores, batch["y"]).mean()
''', True),
    ('''
@jax.jit
def {name}_train_step(state, batch):
    def loss_fn(params):
        logits = state.apply_fn({{"params": params}}, batch["x"])
        one_hot = jax.nn.one_hot(batch["y"], {classes})
        return optax.softmax_cross_entropy(logits, one_hot).mean()

    loss, grads = jax.value_and_grad(loss_fn)(state.params)
    return state.apply_gradients(grads=grads), loss
''', False),
    ('''
def {name}_focal(logits, labels):
    return optax.sigmoid_focal_loss(logits, labels, alpha={alpha}, gamma={gamma}).mean()
''', False),
    ('''
def {name}_log_likelihood(logits, labels):
    return jnp.mean(labels * jnp.log(jax.nn.sigmoid(logits)))
''', True),
]

# -- blocks without any loss (present in every kind of file) ---------------------------------------
GENERIC_BLOCKS = [
    '''
def {name}_learning_rate(step: int, base: float = {lr}, warmup: int = {warmup}, total: int = {total}) -> float:
    """Linear warm-up, then cosine decay to zero."""
    if step < warmup:
        return base * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.5 * base * (1.0 + math.cos(math.pi * progress))
''',
    '''
class {cname}Meter:
    """Keeps running averages of named scalars between two log lines."""

    def __init__(self):
        self.totals = {{}}
        self.counts = {{}}

    def update(self, name: str, value: float, count: int = 1) -> None:
        self.totals[name] = self.totals.get(name, 0.0) + value * count
        self.counts[name] = self.counts.get(name, 0) + count

    def averages(self) -> dict:
        return {{name: self.totals[name] / max(self.counts[name], 1) for name in self.totals}}

    def reset(self) -> None:
        self.totals.clear()
        self.counts.clear()
''',
    '''
@dataclass
class {cname}Config:
    batch_size: int = {batch}
    epochs: int = {epochs}
    learning_rate: float = {lr}
    hidden_units: int = {units}
    dropout: float = {dropout}
    seed: int = {seed}
    data_dir: str = "data/{name}"
    checkpoints: str = "checkpoints/{name}"
    tags: list = field(default_factory=list)

    def describe(self) -> str:
        return ", ".join(f"{{key}}={{value}}" for key, value in sorted(vars(self).items()))
''',
    '''
def {name}_accuracy(predictions, targets) -> float:
    correct = sum(int(p == t) for p, t in zip(predictions, targets))
    return correct / max(len(targets), 1)


def {name}_precision_recall(predictions, targets, positive=1):
    tp = sum(1 for p, t in zip(predictions, targets) if p == positive and t == positive)
    fp = sum(1 for p, t in zip(predictions, targets) if p == positive and t != positive)
    fn = sum(1 for p, t in zip(predictions, targets) if p != positive and t == positive)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall
''',
    '''
def load_{name}_records(path):
    records = []
    with open(path, encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = line.split("\\t")
            if len(fields) < {fields}:
                logging.warning("%s:%d: expected {fields} fields, got %d", path, number, len(fields))
                continue
            records.append({{"id": fields[0], "text": fields[1], "label": int(fields[-1])}})
    return records


def split_{name}(records, ratio: float = 0.{ratio}, seed: int = {seed}):
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    cut = int(len(shuffled) * ratio)
    return shuffled[:cut], shuffled[cut:]
''',
    '''
def save_{name}_checkpoint(state: dict, directory: str, step: int, keep: int = {keep}) -> str:
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, f"ckpt-{{step:08d}}.json")
    with open(target, "w", encoding="utf-8") as stream:
        json.dump(state, stream)
    existing = sorted(name for name in os.listdir(directory) if name.startswith("ckpt-"))
    for stale in existing[:-keep]:
        os.remove(os.path.join(directory, stale))
    return target
''',
    '''
def {name}_vocabulary(texts, min_count: int = {min_count}, max_size: int = {vocab}):
    counts = defaultdict(int)
    for text in texts:
        for token in text.lower().split():
            counts[token] += 1
    ranked = sorted((token for token, count in counts.items() if count >= min_count), key=lambda t: (-counts[t], t))
    vocabulary = {{"<pad>": 0, "<unk>": 1}}
    for token in ranked[: max_size - len(vocabulary)]:
        vocabulary[token] = len(vocabulary)
    return vocabulary


def encode_{name}(text, vocabulary, length: int = {length}):
    ids = [vocabulary.get(token, 1) for token in text.lower().split()][:length]
    return ids + [0] * (length - len(ids))
''',
    '''
def {name}_log(step: int, metrics: dict, every: int = {every}) -> None:
    if step % every:
        return
    rendered = " ".join(f"{{key}}={{value:.4f}}" for key, value in sorted(metrics.items()))
    logging.info("step %d %s", step, rendered)


def {name}_early_stop(history, patience: int = {patience}, min_delta: float = 1e-4) -> bool:
    if len(history) <= patience:
        return False
    best = min(history[:-patience])
    return all(value > best - min_delta for value in history[-patience:])
''',
]

BLOCKS = {"keras": KERAS_BLOCKS, "tf": TF_BLOCKS, "torch": TORCH_BLOCKS, "jax": JAX_BLOCKS}
WORDS = (
    "vision", "text", "audio", "click", "fraud", "churn", "toxicity", "spam", "retina", "lesion", "sentiment",
    "intent", "ranking", "tabular", "genre", "species", "defect", "anomaly", "segment", "ctr", "triage",
)


def _values(rng: random.Random, name: str) -> dict[str, object]:
    return {
        "name": name,
        "cname": "".join(part.capitalize() for part in name.split("_")),
        "dim": rng.choice((16, 32, 64, 128, 256, 784)),
        "classes": rng.choice((2, 3, 5, 10, 20, 100)),
        "units": rng.choice((32, 64, 128, 256, 512)),
        "units2": rng.choice((16, 32, 64, 128)),
        "dropout": rng.choice((0.1, 0.2, 0.3, 0.5)),
        "lr": rng.choice((1e-3, 3e-4, 1e-4, 0.01)),
        "vocab": rng.choice((5000, 10000, 20000, 30000)),
        "smoothing": rng.choice((0.0, 0.05, 0.1)),
        "epochs": rng.choice((5, 10, 20, 50)),
        "gamma": rng.choice((1.0, 2.0, 3.0)),
        "alpha": rng.choice((0.25, 0.5, 0.75)),
        "patience": rng.choice((2, 3, 5, 10)),
        "batch": rng.choice((16, 32, 64, 128, 256)),
        "rate": rng.choice((1, 2, 5, 10)),
        "pos_weight": rng.choice((2.0, 3.5, 5.0, 10.0, 20.0)),
        "clip": rng.choice((5.0, 10.0, 15.0, 20.0)),
        "warmup": rng.choice((100, 500, 1000)),
        "total": rng.choice((10000, 50000, 100000)),
        "seed": rng.randrange(10_000),
        "fields": rng.choice((3, 4, 5)),
        "ratio": rng.choice((8, 9)),
        "keep": rng.choice((3, 5)),
        "min_count": rng.choice((1, 2, 5)),
        "length": rng.choice((64, 128, 256)),
        "every": rng.choice((10, 50, 100)),
    }


def _module(rng: random.Random, framework: str, part: str, project: str, index: int) -> str:
    name = f"{project}_{part}_{index}"
    imports = rng.choice(IMPORTS[framework])
    if framework != "plain" and rng.random() < 0.6:
        imports += "import json\nimport logging\nimport math\nimport os\nimport random\n"
        imports += "from collections import defaultdict\nfrom dataclasses import dataclass, field\n"
    if framework == "plain":
        imports += "import math\nimport os\nimport json\nimport logging\nimport random\n"
        imports += "from collections import defaultdict\nfrom dataclasses import dataclass, field\n"
    docstring = f'"""{part.capitalize()} code for the {project} project ({framework}).\n\nGenerated for benchmarking.\n"""\n\n'
    chunks = []
    if framework != "plain":
        pool = BLOCKS[framework]
        # Loss modules and training loops hold several loss sites; models fewer; data/utils rarely any.
        count = {"losses": (2, 5), "train": (1, 4), "models": (1, 3), "data": (0, 1), "utils": (0, 2)}[part]
        for number in range(rng.randint(*count)):
            template, _misuse = rng.choice(pool)
            chunks.append(template.format(**_values(rng, f"{name}_{number}")))
    for number in range(rng.randint(1, 6)):
        chunks.append(rng.choice(GENERIC_BLOCKS).format(**_values(rng, f"{name}_g{number}")))
    rng.shuffle(chunks)
    if framework != "plain" and rng.random() < 0.3:
        chunks.append(
            textwrap.dedent(
                f'''

                if __name__ == "__main__":
                    logging.basicConfig(level=logging.INFO)
                    logging.info("running {name} self-check")
                '''
            )
        )
    return docstring + imports + "\n" + "\n".join(chunks).rstrip() + "\n"


def build(dest: Path, files: int = 1600) -> list[Path]:
    """Write ``files`` modules under ``dest`` (emptied first); the same ``files`` gives the same bytes."""
    rng = random.Random(SEED)
    if dest.exists():
        shutil.rmtree(dest)
    written: list[Path] = []
    project_count = max(1, files // 32)
    frameworks = ("keras", "tf", "torch", "jax")
    index = 0
    for project_number in range(project_count):
        project = f"{rng.choice(WORDS)}{project_number}"
        framework = frameworks[project_number % len(frameworks)]
        share = files // project_count + (1 if project_number < files % project_count else 0)
        for file_number in range(share):
            part = PARTS[file_number % len(PARTS)]
            kind = "plain" if part in ("data", "utils") and rng.random() < 0.5 else framework
            source = _module(rng, kind, part, project, file_number)
            compile(source, f"{project}/{part}", "exec")  # every template must stay valid Python
            target = dest / project / part / f"{part}_{file_number:03d}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source, encoding="utf-8")
            written.append(target)
            index += 1
    for folder in {path.parent for path in written}:
        (folder / "__init__.py").touch()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--files", type=int, default=1600)
    arguments = parser.parse_args()
    written = build(arguments.dest, arguments.files)
    print(f"wrote {len(written)} modules under {arguments.dest}")


if __name__ == "__main__":
    main()
