"""Model input from uint8 image arrays (memory-mapped or not), on any Keras backend: no float copy
of the set. Batches are gathered from the array by index, so only one batch at a time exists as
float32; grayscale becomes three identical channels here."""

from __future__ import annotations

import keras
import numpy as np

from usqc import streams


def as_model_input(gray: np.ndarray) -> np.ndarray:
    """(..., s, s) uint8 gray -> (..., s, s, 3) float32 0-255."""
    return np.repeat(np.asarray(gray, dtype=np.float32)[..., None], 3, axis=-1)


def predict_rows(model, images: np.ndarray, rows: np.ndarray, batch_size: int):
    """`model.predict_on_batch` over consecutive batches of `rows` (`rows` must not be empty): what
    `model.predict` computes, without building an input pipeline per call (0.6 s of each 180-image
    call on 2 cores). An array, or a list of arrays for a model with several outputs. A model built
    under a multi-replica TensorFlow strategy goes through `model.predict` (predict_on_batch would
    give every replica the whole batch and return each row once per replica)."""
    strategy = getattr(model, "distribute_strategy", None)
    if strategy is not None and strategy.num_replicas_in_sync > 1:
        return model.predict(ImageBatches(images, None, batches_of(rows, batch_size)), verbose=0)
    parts = [
        model.predict_on_batch(as_model_input(images[rows[start : start + batch_size]]))
        for start in range(0, len(rows), batch_size)
    ]
    if isinstance(parts[0], list | tuple):
        return [np.concatenate(output) for output in zip(*parts, strict=True)]
    return np.concatenate(parts)


def batches_of(rows: np.ndarray, batch_size: int, multiple: int = 1) -> list[np.ndarray]:
    """Consecutive batches of `batch_size` rows. multiple > 1 (data-parallel replicas): each batch is
    trimmed to a multiple of it, so that it splits evenly (the short last one loses a few rows, or
    is dropped if none is left)."""
    batches = [rows[start : start + batch_size] for start in range(0, len(rows), batch_size)]
    batches = [batch[: len(batch) // multiple * multiple] for batch in batches]
    return [batch for batch in batches if len(batch)]


def epoch_batches(rows: np.ndarray, batch_size: int, epochs: int, seed: int, multiple: int = 1) -> list[np.ndarray]:
    """Every training batch of `epochs` epochs, in order: each epoch a seeded permutation of `rows`
    (stream (seed, "shuffle", epoch)) cut into `batches_of` them. Pure numpy, so the same batches
    on every backend; with `multiple`, the trimmed rows are other ones each epoch."""
    batches = []
    for epoch in range(epochs):
        order = streams.generator(seed, "shuffle", epoch).permutation(np.asarray(rows))
        batches += batches_of(order, batch_size, multiple)
    return batches


class ImageBatches(keras.utils.PyDataset):
    """A Keras-native input pipeline: batch i is (images[batches[i]] as model input, labels), or the
    images alone without labels. Under JAX multi-process each process reads its own contiguous part
    of every global batch (`part` of `parts`), as keras.distribution assembles them."""

    def __init__(self, images: np.ndarray, labels: np.ndarray | None, batches: list[np.ndarray],
                 part: int = 0, parts: int = 1):  # fmt: skip
        super().__init__()
        self.images, self.labels, self.batches = images, labels, batches
        self.part, self.parts = part, parts

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int):
        rows = np.array_split(self.batches[index], self.parts)[self.part]
        x = as_model_input(self.images[rows])
        return x if self.labels is None else (x, np.asarray(self.labels)[rows].astype(np.int32))
