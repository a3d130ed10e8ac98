"""Training and inference helpers shared by the classifier stages (CPU-deterministic by default)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from usqc.models import recalibrate_batchnorm
from usqc.tfdata import image_dataset

RECALIBRATION_IMAGES = 1024


def make_deterministic(seed: int) -> None:
    """Same seed, same CPU, same weights: seeds Python, NumPy and TF; asks TF for deterministic ops."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def plane_augmentation(seed: int) -> keras.Sequential:
    """Random geometric jitter on 0-255 images; empty borders are filled black like the background."""
    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal", seed=seed),
            keras.layers.RandomRotation(0.05, fill_mode="constant", seed=seed + 1),
            keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed + 2),
            keras.layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 3),
        ],
        name="plane_augmentation",
    )


def strategy_for(distribute: str, seed: int) -> tf.distribute.Strategy:
    """GPUs present and distribute=auto: mixed precision and MirroredStrategy over all of them.
    Otherwise the default (CPU or one device) strategy with deterministic ops."""
    if distribute == "auto" and tf.config.list_physical_devices("GPU"):
        keras.utils.set_random_seed(seed)
        keras.mixed_precision.set_global_policy("mixed_float16")
        return tf.distribute.MirroredStrategy()
    make_deterministic(seed)
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
    """Adam + sparse cross-entropy on `train_rows`, validated on `val_rows`, then BatchNorm recalibration.

    augment: random mirroring, rotation (±18°), shift and zoom (±10 %) of training images. Label-
    preserving for standard planes (a fetus may face either way, the probe sit a little aside);
    not for the corruption classes, whose labels are about geometry and texture.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    train = image_dataset(images, labels, train_rows, batch_size, shuffle_seed=seed)
    if augment:
        jitter = plane_augmentation(seed)
        train = train.map(lambda x, y: (jitter(x, training=True), y))
    val = image_dataset(images, labels, val_rows, batch_size) if len(val_rows) else None
    callbacks = list(callbacks or [])
    if patience and val is not None:
        callbacks.append(keras.callbacks.EarlyStopping("val_loss", patience=patience, restore_best_weights=True))
    history = model.fit(train, validation_data=val, epochs=epochs, callbacks=callbacks, verbose=2)
    recalibrate_batchnorm(model, image_dataset(images, None, recalibration_rows(train_rows, seed), batch_size))
    return history


def recalibration_rows(train_rows: np.ndarray, seed: int) -> np.ndarray:
    """A seeded sample of the training rows for the BatchNorm re-estimation: it runs eagerly, batch by
    batch, so the whole set would cost a third of an epoch; 1,024 images estimate the statistics well."""
    rows = np.asarray(train_rows)
    if len(rows) <= RECALIBRATION_IMAGES:
        return rows
    return np.sort(np.random.default_rng([seed, 0xB4]).choice(rows, RECALIBRATION_IMAGES, replace=False))


def predict(model: keras.Model, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Class probabilities (n, classes) for uint8 gray images (n, s, s)."""
    if len(images) == 0:
        return np.zeros((0, model.output_shape[-1]), dtype=np.float32)
    data = image_dataset(images, None, np.arange(len(images)), batch_size)
    return model.predict(data, verbose=0)
