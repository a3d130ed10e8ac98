"""Per-epoch training curves through DVCLive on any Keras backend (dvclive.keras imports TensorFlow)."""

from __future__ import annotations

import keras
from dvclive import Live
from dvclive.utils import standardize_metric_name


class LiveMetrics(keras.callbacks.Callback):
    """Logs every epoch's metrics (train/<name>, eval/<name>) as dvclive.keras.DVCLiveCallback does."""

    def __init__(self, live: Live):
        super().__init__()
        self.live = live

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for metric, value in (logs or {}).items():
            self.live.log_metric(standardize_metric_name(metric, "dvclive.keras"), value)
        self.live.next_step()

    def on_train_end(self, logs: dict | None = None) -> None:
        self.live.end()
