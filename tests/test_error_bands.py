"""Test errors by intensity band: each copy lands in its band, and the error shares add up."""

import numpy as np
import pandas as pd

from usqc.error_bands import band_table, near_threshold

THRESHOLDS = {"scale_up": 0.5, "blur": 2.0, "noise": 0.1}


def copies_and_original() -> pd.DataFrame:
    # scale_up at 0.6x, 0.9x (both labelled original), 1.04x, 1.4x the threshold; blur at 1x; a clean original
    return pd.DataFrame(
        {
            "applied": ["scale_up", "scale_up", "scale_up", "scale_up", "blur", "none"],
            "intensity": [0.3, 0.45, 0.52, 0.7, 2.0, 0.0],
            "label": ["original", "original", "scale_up", "scale_up", "blur", "original"],
        }
    )


def test_bands_count_each_copy_once_and_score_it():
    test = copies_and_original()
    # wrong on the 0.9x crop (called scale_up) and on the blur at its threshold (called original)
    predicted = np.array(["original", "scale_up", "scale_up", "scale_up", "original", "original"])
    table = band_table(test, {"m": predicted}, THRESHOLDS).set_index(["corruption", "band"])
    assert table["images"].sum() == len(test)
    assert table.loc[("scale_up", "[0.8, 1)"), "m accuracy"] == 0.0
    assert table.loc[("scale_up", "[0, 0.8)"), "m accuracy"] == 1.0
    assert table.loc[("blur", "[1, 1.15)"), "m share of errors"] == 0.5
    assert table["m share of errors"].sum() == 1.0
    assert ("noise", "[0, 0.8)") not in table.index  # a band without images is left out


def test_near_threshold_flags_only_copies_within_the_band():
    assert near_threshold(copies_and_original(), THRESHOLDS).tolist() == [False, True, True, False, True, False]


def test_a_corruption_without_threshold_is_one_row_and_never_near():
    test = copies_and_original()
    thresholds = {**THRESHOLDS, "scale_up": None}  # the sweep never failed: every crop is original
    table = band_table(test, {"m": test["label"].to_numpy()}, thresholds).set_index(["corruption", "band"])
    assert table.loc[("scale_up", "no threshold"), "images"] == 4
    assert not near_threshold(test, thresholds)[:4].any()
