"""The TensorFlow backend's input pipeline: tf.data over the uint8 array (usqc.model_input's batches)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from usqc.model_input import as_model_input


def image_dataset(
    images: np.ndarray,
    labels: np.ndarray | None,
    indices: np.ndarray,
    batch_size: int,
    shuffle_seed: int | None = None,
) -> tf.data.Dataset:
    """Batches of (images, labels) (or images alone) for rows `indices` of `images`.

    With `shuffle_seed` the order is reshuffled every epoch, reproducibly.
    """
    size = images.shape[1:]
    ds = tf.data.Dataset.from_tensor_slices(np.asarray(indices, dtype=np.int64))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(indices), seed=shuffle_seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)

    def gather(rows):
        batch = tf.numpy_function(lambda r: as_model_input(images[r]), [rows], tf.float32)
        batch = tf.ensure_shape(batch, (None, *size, 3))
        if labels is None:
            return batch
        return batch, tf.gather(tf.constant(labels, dtype=tf.int32), rows)

    return ds.map(gather).prefetch(tf.data.AUTOTUNE)
