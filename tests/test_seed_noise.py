"""The seed-noise summary reads each run's committed metrics and reports mean ± sd per headline metric."""

import json
import subprocess

import pytest

from tests.conftest import REPO
from usqc import seed_noise


def run_metrics(vgg16: float, threshold: float, real: bool = True) -> dict[str, dict]:
    files = {
        "metrics/train_vgg16.json": {"test": {"accuracy": vgg16}},
        "metrics/threshold_sweep.json": {"thresholds": {"blur": {"floor": threshold}}},
    }
    if real:
        files["metrics/real_eval.json"] = {"hc18": {"vgg16": {"false_alarms": {"value": 0.1, "n": 20}}}}
    return files


def test_summary_gives_mean_and_sample_sd_per_metric_and_skips_what_a_run_lacks():
    runs = {
        2020: seed_noise.headline(run_metrics(0.80, 2.0).get),
        2021: seed_noise.headline(run_metrics(0.90, 2.0).get),
        2022: seed_noise.headline(run_metrics(1.00, 3.0, real=False).get),
    }
    table = seed_noise.summary(runs)
    vgg = table["vgg16 test accuracy"]
    assert vgg["mean"] == pytest.approx(0.9) and vgg["sd"] == pytest.approx(0.1) and vgg["n"] == 3
    assert (vgg["min"], vgg["max"]) == (0.8, 1.0)
    assert table["threshold blur"]["values"] == {"2020": 2.0, "2021": 2.0, "2022": 3.0}
    assert table["vgg16 HC18 false alarms"]["n"] == 2  # seed 2022 has no real_eval: left out, not zero
    assert "xception test accuracy" not in table  # in no run
    text = seed_noise.markdown(table)
    assert "| vgg16 test accuracy | 0.900 ± 0.100 | 0.800 – 1.000 | 0.277 | 0.800 | 0.900 | 1.000 |" in text


def test_headline_reads_the_guard_rejections_of_the_guarded_models():
    """A run made before the baseline had a guard lacks its rows and still reads the CNNs'."""
    guard = {"non_ultrasound": {"value": 0.96}, "phantom_test": {"value": 0.05}}
    real_eval = {
        "guard": {"vgg16": guard, "xception": guard, "non_ultrasound_inputs": ["black"]},
        "hc18": {m: {"out_of_domain": {"value": 0.1}} for m in ("vgg16", "xception")},
    }
    values = seed_noise.headline({"metrics/real_eval.json": real_eval}.get)
    assert values["xception guard: non-ultrasound rejected"] == 0.96
    assert values["vgg16 guard: phantom test rejected"] == 0.05
    assert values["vgg16 guard: HC18 rejected"] == 0.1
    assert not any(name.startswith("baseline guard") for name in values)
    real_eval["guard"]["baseline"] = {"non_ultrasound": {"value": 1.0}, "phantom_test": {"value": 0.01}}
    values = seed_noise.headline({"metrics/real_eval.json": real_eval}.get)
    assert values["baseline guard: non-ultrasound rejected"] == 1.0


def test_rows_a_later_change_added_join_a_summary_only_from_a_rerun_that_matches_it():
    """scripts/baseline_seed_rows.py: a summary made before the real-scan rows existed gains them from
    reruns, but never from a rerun whose shared values differ (another run, not the same one)."""
    old = {seed: seed_noise.headline(run_metrics(acc, 2.0, real=False).get) for seed, acc in ((2020, 0.8), (2021, 0.9))}
    table = seed_noise.summary(old)
    runs = seed_noise.runs_of(table)
    assert seed_noise.summary(runs) == table
    assert seed_noise.add_values(runs, 2021, seed_noise.headline(run_metrics(0.9, 2.0).get)) == []
    assert seed_noise.add_values(runs, 2020, seed_noise.headline(run_metrics(0.85, 2.0).get)) == ["vgg16 test accuracy"]
    merged = seed_noise.summary(runs)
    assert merged["vgg16 HC18 false alarms"]["values"] == {"2021": 0.1}  # seed 2020's rerun was refused
    assert merged["vgg16 test accuracy"] == table["vgg16 test accuracy"]


def test_differences_are_beyond_noise_only_outside_the_seed_band():
    noise = seed_noise.summary({seed: seed_noise.headline(run_metrics(v, 2.0).get) for seed, v in [(1, 0.8), (2, 0.9)]})
    band = seed_noise.DIFF_NOISE * noise["vgg16 test accuracy"]["sd"]  # 0.196
    before = seed_noise.headline(run_metrics(0.80, 2.0).get)
    rows = {
        r["metric"]: r for r in seed_noise.differences(before, seed_noise.headline(run_metrics(0.95, 3.0).get), noise)
    }
    assert rows["vgg16 test accuracy"]["noise_band"] == pytest.approx(band)
    assert (
        rows["vgg16 test accuracy"]["difference"] == pytest.approx(0.15) and not rows["vgg16 test accuracy"]["beyond"]
    )
    # Two equal seeds measure no spread: the band is unknown, so nothing is called beyond it.
    assert rows["threshold blur"]["noise_band"] is None and not rows["threshold blur"]["beyond"]
    after = seed_noise.headline(run_metrics(0.80 + 1.01 * band, 2.0).get)
    rows = seed_noise.differences(before, after, noise)
    assert [r["metric"] for r in rows if r["beyond"]] == ["vgg16 test accuracy"]
    text = seed_noise.differences_markdown(rows)
    assert "| vgg16 test accuracy | 0.800 | 0.998 | +0.198 **beyond** | 0.196 | 0.800 – 0.900 |" in text
    assert "| threshold blur | 2.000 | 2.000 | +0.000 | – | 2.000 – 2.000 |" in text


def test_usqc_diff_compares_a_commit_with_the_workspace_and_refuses_without_seed_noise(tmp_path, monkeypatch, capsys):
    from usqc import cli

    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "metrics").mkdir()
    train = tmp_path / "metrics" / "train_vgg16.json"
    train.write_text(json.dumps({"test": {"accuracy": 0.5}}))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "metrics"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "0.5"], cwd=tmp_path, check=True)
    train.write_text(json.dumps({"test": {"accuracy": 0.7}}))  # the workspace, not committed
    noise = {"metrics": {"vgg16 test accuracy": {"mean": 0.5, "sd": 0.05, "min": 0.45, "max": 0.55, "n": 3}}}
    (tmp_path / "noise.json").write_text(json.dumps(noise))
    monkeypatch.chdir(tmp_path)
    cli.main(["diff", "--noise", "noise.json"])
    assert (
        "| vgg16 test accuracy | 0.500 | 0.700 | +0.200 **beyond** | 0.139 | 0.450 – 0.550 |" in capsys.readouterr().out
    )
    with pytest.raises(SystemExit) as exit_:
        cli.main(["diff"])  # no results/seed_noise.json here
    assert exit_.value.code != 0
    assert "run scripts/seeds.sh N" in capsys.readouterr().err


def test_lookup_ignores_missing_keys_and_non_numbers():
    data = {"a": {"b": 1, "c": None, "d": True}}
    assert seed_noise.lookup(data, "a.b") == 1.0
    assert seed_noise.lookup(data, "a.c") is None and seed_noise.lookup(data, "a.d") is None
    assert seed_noise.lookup(data, "a.x.y") is None


def test_main_reads_metrics_committed_at_each_ref_and_fails_clearly_on_an_empty_one(tmp_path, monkeypatch):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "metrics").mkdir()
    for accuracy in (0.5, 0.7):
        (tmp_path / "metrics" / "train_vgg16.json").write_text(json.dumps({"test": {"accuracy": accuracy}}))
        git("add", "metrics")
        git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", str(accuracy))
    monkeypatch.chdir(tmp_path)
    seed_noise.main(["1=HEAD~1", "2=HEAD", "--json", "s.json", "--markdown", "s.md"])
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["seeds"] == [1, 2]
    assert summary["metrics"]["vgg16 test accuracy"]["mean"] == pytest.approx(0.6)
    assert "0.600 ±" in (tmp_path / "s.md").read_text()
    with pytest.raises(SystemExit, match="no metrics at refs/exps/none"):
        seed_noise.main(["3=refs/exps/none"])


@pytest.mark.parametrize("args", [[], ["three"], ["0"]])
def test_seeds_script_refuses_a_bad_count_before_queueing_anything(args):
    done = subprocess.run(["bash", str(REPO / "scripts/seeds.sh"), *args], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "N" in done.stderr
    assert "Queued" not in done.stdout + done.stderr


@pytest.mark.parametrize("args", [[], ["2020", "x"], ["-1"]])
def test_plane_share_script_refuses_a_bad_seed_before_running_a_stage(args):
    done = subprocess.run(["bash", str(REPO / "scripts/plane_share.sh"), *args], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "seed" in done.stderr
    assert done.stdout == ""


def test_compare_profiles_flags_a_shift_beyond_both_spreads_and_not_one_within_them(tmp_path, capsys):
    def profile(vgg16: list[float], blur: list[float]) -> dict:
        runs = {
            seed: seed_noise.headline(run_metrics(v, t).get)
            for seed, (v, t) in enumerate(zip(vgg16, blur, strict=True))
        }
        return seed_noise.summary(runs)

    before = profile([0.80, 0.82, 0.84, 0.81, 0.83], [2.0] * 5)
    shifted = profile([0.90, 0.92, 0.91], [2.0, 2.0, 2.0])
    within = profile([0.81, 0.84, 0.80], [2.0, 3.0, 2.0])
    rows = {r["metric"]: r for r in seed_noise.compare_profiles(before, shifted)}
    assert rows["vgg16 test accuracy"]["difference"] == pytest.approx(0.09) and rows["vgg16 test accuracy"]["beyond"]
    assert rows["threshold blur"]["p"] is None and not rows["threshold blur"]["beyond"]  # no spread on either side
    rows = {r["metric"]: r for r in seed_noise.compare_profiles(before, within)}
    assert rows["vgg16 test accuracy"]["p"] > 0.5 and not rows["vgg16 test accuracy"]["beyond"]
    assert rows["threshold blur"]["p"] is not None  # one side varied: Welch's test applies
    # The command line reads two --json summaries.
    paths = []
    for name, table in (("before", before), ("after", shifted)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps({"seeds": [], "metrics": table}))
    seed_noise.main(["--compare", *map(str, paths), "--markdown", str(tmp_path / "compare.md")])
    text = capsys.readouterr().out
    assert "| vgg16 test accuracy | 0.820 ± 0.016 (5) | 0.910 ± 0.010 (3) | +0.090 **beyond** |" in text
    assert (tmp_path / "compare.md").read_text() == text
    (tmp_path / "bad.json").write_text("[]")
    with pytest.raises(SystemExit, match="bad.json is not a seed-noise summary"):
        seed_noise.main(["--compare", str(tmp_path / "bad.json"), str(paths[1])])
