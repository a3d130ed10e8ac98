"""Training and inference helpers shared by the classifier stages (CPU-deterministic by default)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from usqc import streams
from usqc.models import recalibrate_batchnorm
from usqc.tfdata import image_dataset, predict_rows

RECALIBRATION_IMAGES = 1024


def seed_weights(seed: int) -> None:
    """Seeds Python, NumPy and TF (weight initialisation, dropout) from stream (seed, "weights")."""
    keras.utils.set_random_seed(streams.integer(seed, "weights"))


def make_deterministic(seed: int) -> None:
    """Same seed, same CPU, same weights: seeds the weights and asks TF for deterministic ops."""
    seed_weights(seed)
    tf.config.experimental.enable_op_determinism()


def plane_augmentation(seed: int) -> keras.Sequential:
    """Random geometric jitter on 0-255 images; empty borders are filled black like the background."""
    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal", seed=streams.integer(seed, "augment", 0)),
            keras.layers.RandomRotation(0.05, fill_mode="constant", seed=streams.integer(seed, "augment", 1)),
            keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=streams.integer(seed, "augment", 2)),
            keras.layers.RandomZoom(0.1, fill_mode="constant", seed=streams.integer(seed, "augment", 3)),
        ],
        name="plane_augmentation",
    )


def strategy_for(distribute: str, precision: str, seed: int) -> tf.distribute.Strategy:
    """The training strategy and the global dtype policy for `train_*.distribute` and `.precision`.

    distribute: auto = MirroredStrategy over every GPU if there is one, else one device; off = one
    device; all = MirroredStrategy over every device (the GPUs, else the CPU's logical devices:
    how CI runs this path without a GPU). One node only: see the README's "On a GPU box".
    precision: auto = mixed_float16 on GPUs, float32 elsewhere; or a Keras dtype policy name.
    Ops are deterministic except on GPUs, where speed comes first (and results differ from the CPU).
    """
    gpus = tf.config.list_logical_devices("GPU")
    policy = precision if precision != "auto" else "mixed_float16" if gpus else "float32"
    keras.mixed_precision.set_global_policy(policy)
    if gpus:
        seed_weights(seed)
    else:
        make_deterministic(seed)
    if distribute == "all" or (distribute == "auto" and gpus):
        return tf.distribute.MirroredStrategy([d.name for d in gpus or tf.config.list_logical_devices("CPU")])
    return tf.distribute.get_strategy()


def fit(
    model: keras.Model,
    images: np.ndarray,
    labels: np.ndarray,
    train_rows: np.ndarray,
    val_rows: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    augment: bool = False,
    patience: int = 0,
    callbacks: list | None = None,
) -> keras.callbacks.History:
    """Adam + sparse cross-entropy on `train_rows`, then BatchNorm recalibration. With `patience`,
    early stopping on the validation loss of `val_rows` (else no validation pass: the stages score
    the final model on `val_rows` themselves, after recalibration).

    augment: random mirroring, rotation (±18°), shift and zoom (±10 %) of training images. Label-
    preserving for standard planes (a fetus may face either way, the probe sit a little aside);
    not for the corruption classes, whose labels are about geometry and texture.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    train = image_dataset(images, labels, train_rows, batch_size, shuffle_seed=streams.integer(seed, "shuffle"))
    if augment:
        jitter = plane_augmentation(seed)
        train = train.map(lambda x, y: (jitter(x, training=True), y))
    val, callbacks = None, list(callbacks or [])
    if patience and len(val_rows):
        val = image_dataset(images, labels, val_rows, batch_size)
        callbacks.append(keras.callbacks.EarlyStopping("val_loss", patience=patience, restore_best_weights=True))
    history = model.fit(train, validation_data=val, epochs=epochs, callbacks=callbacks, verbose=2)
    recalibrate(model, images, train_rows, batch_size, seed)
    return history


def recalibrate(model: keras.Model, images: np.ndarray, train_rows: np.ndarray, batch_size: int, seed: int) -> None:
    """BatchNorm statistics re-estimated on a seeded sample of the training rows, in one compiled graph."""
    batches = image_dataset(images, None, recalibration_rows(train_rows, seed), batch_size)
    recalibrate_batchnorm(model, batches, tf.function(lambda x: model(x, training=True), reduce_retracing=True))


def recalibration_rows(train_rows: np.ndarray, seed: int) -> np.ndarray:
    """A seeded sample of the training rows for the BatchNorm re-estimation: 1,024 images estimate
    the statistics well at a fraction of an epoch's cost."""
    rows = np.asarray(train_rows)
    if len(rows) <= RECALIBRATION_IMAGES:
        return rows
    return np.sort(streams.generator(seed, "recalibration").choice(rows, RECALIBRATION_IMAGES, replace=False))


def predict(model: keras.Model, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Class probabilities (n, classes) for uint8 gray images (n, s, s)."""
    if len(images) == 0:
        return np.zeros((0, model.output_shape[-1]), dtype=np.float32)
    return predict_rows(model, images, np.arange(len(images)), batch_size)
