"""Bias-corrected temperature scaling (Guo et al. 2017; Alexandari et al. 2020) in NumPy only:
one scalar divides a classifier's logits and one bias per class shifts them, both fitted on held-out
validation images, so that P(corrupted) >= 0.8 in `usqc clean` means about 80 % of such files are
corrupted. Shared by the CNNs (usqc.calibration) and the classical baseline, which must not import Keras.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize


def fit_calibration(logits: np.ndarray, labels: np.ndarray, class_biases: bool = True) -> tuple[float, np.ndarray]:
    """The temperature (bounded to [0.05, 20]) and per-class biases (the first class's 0, as softmax
    is shift-invariant; all 0 without `class_biases`, so the argmax stays the logits') minimising the
    negative log-likelihood of `labels` under softmax(logits / temperature + bias)."""
    logits = np.asarray(logits, dtype=np.float64)
    onehot = np.eye(logits.shape[1])[labels]
    free = logits.shape[1] if class_biases else 1  # log-temperature, then the biases of classes 1..

    def nll_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        scaled = logits / np.exp(x[0])
        z = scaled + np.r_[0.0, x[1:]] if class_biases else scaled
        residual = (softmax(z) - onehot) / len(labels)  # d NLL / d z
        gradient = np.r_[-(residual * scaled).sum(), residual.sum(axis=0)[1:]]
        return negative_log_likelihood(z, labels), gradient[:free]

    bounds = [(np.log(0.05), np.log(20.0))] + [(None, None)] * (free - 1)
    x = minimize(nll_and_gradient, np.zeros(free), jac=True, method="L-BFGS-B", bounds=bounds).x
    return float(np.exp(x[0])), np.r_[0.0, x[1:]] if class_biases else np.zeros(logits.shape[1])


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by their size."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.minimum((confidence * bins).astype(int), bins - 1)
    return float(sum(abs(correct[edges == b].mean() - confidence[edges == b].mean()) * (edges == b).mean()
                     for b in range(bins) if (edges == b).any()))  # fmt: skip


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def calibrated_logits(logits: np.ndarray, temperature: float, bias: np.ndarray) -> np.ndarray:
    """What TemperatureSoftmax feeds its softmax, in numpy."""
    return logits / temperature + bias
