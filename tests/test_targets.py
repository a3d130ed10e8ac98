"""The acceptance-target table: each bound read the right way, seed runs counted, and the README's copy
kept equal to what the committed metrics say."""

import json

import pytest

from tests.conftest import REPO
from usqc import cli, seed_noise, targets

ROWS = {"vgg16 test accuracy", "xception HC18 false alarms", "realism: real-eval heads called BPD"}


def rows_by_metric(run, seeds=None):
    return {row["target"].metric: row for row in targets.check(run, seeds or {})}


def test_each_bound_is_read_its_way_and_a_value_at_the_bound_meets_it():
    rows = rows_by_metric({"vgg16 test accuracy": 0.93, "xception HC18 false alarms": 0.1001,
                           "realism: real-eval heads called BPD": 0.79995})  # fmt: skip
    assert set(rows) == ROWS  # what the run does not report is left out, not counted as unmet
    assert rows["vgg16 test accuracy"]["met"]  # >= 0.93, at the bound
    assert not rows["xception HC18 false alarms"]["met"]  # <= 0.10, just over
    assert rows["realism: real-eval heads called BPD"]["met"]  # 0.8 at the table's 4 digits
    assert not rows_by_metric({"vgg16 test accuracy": 0.9299})["vgg16 test accuracy"]["met"]
    assert rows_by_metric({"xception HC18 false alarms": 0.0})["xception HC18 false alarms"]["met"]


def test_seed_runs_are_counted_against_the_bound_and_a_metric_without_seeds_says_so():
    seeds = seed_noise.summary({
        2020: {"vgg16 test accuracy": 0.95}, 2021: {"vgg16 test accuracy": 0.90}, 2022: {"vgg16 test accuracy": 0.93},
    })  # fmt: skip
    rows = rows_by_metric({"vgg16 test accuracy": 0.95, "xception HC18 false alarms": 0.2}, seeds)
    assert (rows["vgg16 test accuracy"]["seeds_met"], rows["vgg16 test accuracy"]["seeds"]) == (2, 3)
    assert rows["xception HC18 false alarms"]["seeds_met"] is None
    text = targets.markdown(list(rows.values()))
    assert "| vgg16 test accuracy ≥ 0.93 | 12 | 0.950 | yes | 2 of 3 | 0.900 – 0.950 |" in text
    assert "| xception HC18 false alarms ≤ 0.1 | 12 | 0.200 | **no** | – | – |" in text


def test_every_target_names_a_metric_the_pipeline_or_the_realism_benchmark_reports():
    known = {name for name, _, _ in seed_noise.HEADLINE} | {name for name, _ in targets.REALISM_METRICS}
    assert {t.metric for t in targets.TARGETS} <= known


def test_the_readme_table_is_the_one_the_committed_metrics_give(monkeypatch):
    monkeypatch.chdir(REPO)
    read = seed_noise.workspace_reader
    run = {**seed_noise.headline(read), **targets.realism_values(read)}
    rows = targets.check(run, read("results/seed_noise.json")["metrics"])
    assert len(rows) == len(targets.TARGETS)  # the committed run reports every target
    assert targets.readme_block((REPO / "README.md").read_text()) == targets.markdown(rows), (
        "README.md's targets table is stale: run `usqc targets --readme README.md` after dvc repro"
    )


def test_usqc_targets_rewrites_only_the_block_and_refuses_a_file_without_markers(tmp_path, monkeypatch, capsys):
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "train_vgg16.json").write_text(json.dumps({"test": {"accuracy": 0.94}}))
    noise = {"metrics": {"vgg16 test accuracy": {"values": {"1": 0.9, "2": 0.94}}}}
    (tmp_path / "noise.json").write_text(json.dumps(noise))
    readme = tmp_path / "README.md"
    readme.write_text(f"# above\n\n{targets.BEGIN}\nold table\n{targets.END}\n\nbelow\n")
    monkeypatch.chdir(tmp_path)
    cli.main(["targets", "--noise", "noise.json", "--readme", "README.md"])
    text = readme.read_text()
    row = "| vgg16 test accuracy ≥ 0.93 | 12 | 0.940 | yes | 1 of 2 | 0.900 – 0.940 |"
    assert text.startswith("# above\n\n") and text.endswith(f"{targets.END}\n\nbelow\n")
    assert row in text and "old table" not in text
    cli.main(["targets", "--noise", "noise.json"])
    assert row in capsys.readouterr().out

    plain = tmp_path / "plain.md"
    plain.write_text("no markers\n")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["targets", "--noise", "noise.json", "--readme", "plain.md"])
    assert exit_.value.code != 0 and plain.read_text() == "no markers\n"
    assert "add the two marker lines" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["targets", "--noise", "noise.json", "--readme", "missing.md"])
    assert exit_.value.code != 0 and not (tmp_path / "missing.md").exists()
    assert "cannot read missing.md" in capsys.readouterr().err
