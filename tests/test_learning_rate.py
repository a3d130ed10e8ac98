import keras
import numpy as np
import pytest

from usqc.models import build
from usqc.training import fit, learning_rate_for


def test_constant_keeps_the_rate_and_cosine_anneals_it_to_zero_at_the_last_step():
    assert learning_rate_for("constant", 1e-3, 100) == 1e-3
    cosine = learning_rate_for("cosine", 1e-3, 100)
    assert [float(cosine(step)) for step in (0, 50, 100)] == pytest.approx([1e-3, 5e-4, 0.0], abs=1e-9)


def test_an_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="unknown learning-rate schedule 'linear'"):
        learning_rate_for("linear", 1e-3, 100)


@pytest.mark.parametrize(("schedule", "last_rate"), [("constant", 1e-3), ("cosine", 0.0)])
def test_a_training_ends_on_its_schedule_after_every_epoch(schedule, last_rate):
    """Three epochs of 2 steps: the cosine reaches 0 at the run's end, not at the first epoch's."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 4, 12)
    model = build("vgg16", 32, 4, "none")
    history = fit(model, images, labels, np.arange(12), np.array([], int), epochs=3, batch_size=6,
                  learning_rate=1e-3, seed=0, schedule=schedule)  # fmt: skip
    optimizer = model.optimizer
    assert len(history.history["loss"]) == 3 and int(optimizer.iterations) == 6
    rate = optimizer.learning_rate
    assert float(keras.ops.convert_to_numpy(rate)) == pytest.approx(last_rate, abs=1e-9)
