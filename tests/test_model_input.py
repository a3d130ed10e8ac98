"""The Keras-native input pipeline: seeded numpy batch orders (the same on every backend) and the
batches a model sees."""

import numpy as np

from usqc.model_input import ImageBatches, batches_of, epoch_batches


def test_batches_are_three_channel_floats_of_the_given_rows_with_their_labels():
    images = np.arange(5 * 4 * 4, dtype=np.uint8).reshape(5, 4, 4)
    labels = np.array([0, 1, 2, 3, 0])
    batches = ImageBatches(images, labels, [np.array([4, 2, 0]), np.array([1])])
    assert len(batches) == 2
    x, y = batches[0]
    assert x.shape == (3, 4, 4, 3) and x.dtype == np.float32 and y.tolist() == [0, 2, 0]
    for channel in range(3):
        np.testing.assert_array_equal(x[0, ..., channel], images[4].astype(np.float32))
    assert ImageBatches(images, None, [np.array([1])])[0].shape == (1, 4, 4, 3)  # images alone


def test_each_epoch_is_a_new_seeded_permutation_of_the_rows():
    rows = np.arange(10, 20)
    batches = epoch_batches(rows, batch_size=4, epochs=3, seed=1)
    assert [len(b) for b in batches] == [4, 4, 2] * 3
    epochs = [np.concatenate(batches[3 * k : 3 * k + 3]) for k in range(3)]
    assert all(sorted(e.tolist()) == rows.tolist() for e in epochs)
    assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[1], epochs[2])
    same = epoch_batches(rows, batch_size=4, epochs=3, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(batches, same, strict=True))
    other = np.concatenate(epoch_batches(rows, batch_size=4, epochs=1, seed=2))
    assert not np.array_equal(other, epochs[0])


def test_replicas_get_batches_that_split_evenly_and_lose_only_the_short_tail():
    batches = batches_of(np.arange(11), batch_size=4, multiple=2)
    assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches_of(np.arange(9), batch_size=4, multiple=4)[-1].tolist() == [4, 5, 6, 7]  # [8] dropped
    trimmed = epoch_batches(np.arange(10), batch_size=4, epochs=2, seed=0, multiple=4)
    assert [len(b) for b in trimmed] == [4, 4, 4, 4]
    assert {int(r) for b in trimmed[:2] for r in b} != {int(r) for b in trimmed[2:] for r in b}  # other rows left out


def test_processes_read_their_own_contiguous_parts_of_each_global_batch():
    images = np.arange(6 * 2 * 2, dtype=np.uint8).reshape(6, 2, 2)
    labels = np.arange(6)
    batches = [np.array([5, 3, 1, 0]), np.array([2, 4])]
    parts = [ImageBatches(images, labels, batches, part=p, parts=2) for p in range(2)]
    for index, rows in enumerate(batches):
        assert np.concatenate([part[index][1] for part in parts]).tolist() == rows.tolist()


def test_fit_input_yields_the_pydataset_batches_in_order_without_tf_data_autotuning():
    # Autotuning's thread made every training wait up to a minute after its last epoch.
    from usqc import backend

    images = np.arange(6 * 4 * 4, dtype=np.uint8).reshape(6, 4, 4)
    labels = np.array([0, 1, 2, 3, 0, 1])
    batches = ImageBatches(images, labels, [np.array([5, 1]), np.array([0, 3]), np.array([2])])
    pipeline = backend.fit_input(batches)
    if backend.name() != "tensorflow":
        assert pipeline is batches
        return
    assert pipeline.options().autotune.enabled is False
    read = [(x.numpy(), y.numpy()) for x, y in pipeline]
    assert len(read) == len(batches)
    for (x, y), (want_x, want_y) in zip(read, (batches[i] for i in range(len(batches))), strict=True):
        np.testing.assert_array_equal(x, want_x)
        np.testing.assert_array_equal(y, want_y)
