"""Training and inference helpers shared by the classifier stages, on any supported Keras backend
(usqc.backend); CPU-deterministic by default."""

from __future__ import annotations

import keras
import numpy as np

from usqc import backend, streams
from usqc.backend import Distribution
from usqc.model_input import ImageBatches, as_model_input, batches_of, epoch_batches, predict_rows
from usqc.models import recalibrate_batchnorm
from usqc.params import LEARNING_RATE_SCHEDULES

RECALIBRATION_IMAGES = 1024


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
    schedule: str = "constant",
    augment: bool = False,
    patience: int = 0,
    callbacks: list | None = None,
    distribution: Distribution | None = None,
) -> keras.callbacks.History:
    """Adam + sparse cross-entropy on `train_rows`, then BatchNorm recalibration. With `patience`,
    early stopping on the validation loss of `val_rows` (else no validation pass: the stages score
    the final model on `val_rows` themselves, after recalibration).

    schedule: how the learning rate moves from `learning_rate` (learning_rate_for).

    augment: random mirroring, rotation (±18°), shift and zoom (±10 %) of training images. Label-
    preserving for standard planes (a fetus may face either way, the probe sit a little aside);
    not for the corruption classes, whose labels are about geometry and texture.
    distribution: where `model` was built (usqc.backend.distribution_for); one device if None.
    """
    distribution = distribution or Distribution(1, ())
    trainer = model
    if augment:  # in the trained graph, not in the saved model (random layers are identities in inference)
        trainer = keras.Sequential([plane_augmentation(seed), model], name=f"{model.name}_augmented")
    batches = epoch_batches(train_rows, batch_size, epochs, seed, distribution.replicas)
    steps_per_epoch = len(batches) // epochs
    rate = learning_rate_for(schedule, learning_rate, steps_per_epoch * epochs)
    trainer.compile(keras.optimizers.Adam(rate), "sparse_categorical_crossentropy", metrics=["accuracy"])

    def this_process_part(row_batches: list[np.ndarray]):
        part = ImageBatches(images, labels, row_batches, distribution.process_index, distribution.process_count)
        return backend.fit_input(part)

    train = this_process_part(batches)
    val, callbacks = None, list(callbacks or [])
    if patience and len(val_rows):
        val = this_process_part(batches_of(np.asarray(val_rows), batch_size, distribution.replicas))
        callbacks.append(keras.callbacks.EarlyStopping("val_loss", patience=patience, restore_best_weights=True))
    # One sequence over all epochs (steps_per_epoch cuts it): Keras starts reading the next epoch
    # before the epoch hooks run, so an order reset in on_epoch_end could race it.
    history = trainer.fit(train, validation_data=val, epochs=epochs, steps_per_epoch=steps_per_epoch,
                          shuffle=False, callbacks=callbacks, verbose=2)  # fmt: skip
    recalibrate(model, images, train_rows, batch_size, seed)
    return history


def learning_rate_for(schedule: str, peak: float, steps: int) -> float | keras.optimizers.schedules.CosineDecay:
    """Adam's learning rate: `peak` at every step (constant), or annealed from `peak` to 0 along a
    half cosine over the run's `steps` (cosine: a fixed epoch budget ends on small, careful steps)."""
    if schedule == "constant":
        return peak
    if schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(peak, decay_steps=max(steps, 1))
    raise ValueError(f"unknown learning-rate schedule {schedule!r}; one of {LEARNING_RATE_SCHEDULES}")


def recalibrate(model: keras.Model, images: np.ndarray, train_rows: np.ndarray, batch_size: int, seed: int) -> None:
    """BatchNorm statistics re-estimated on a seeded sample of the training rows, in one compiled graph."""
    rows = recalibration_rows(train_rows, seed)
    batches = (as_model_input(images[batch]) for batch in batches_of(rows, batch_size))
    recalibrate_batchnorm(model, batches, backend.training_forward(model))


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
