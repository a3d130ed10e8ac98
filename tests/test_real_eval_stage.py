"""real_eval refuses missing inputs with one line and writes nothing."""

import shutil

import pytest

from tests.conftest import HC18, errors_of, run_stage, write_params


@pytest.fixture
def ingested(tmp_path):
    write_params(tmp_path / "params.yaml")
    assert run_stage("ingest", "--metrics", "m.json", "--samples", "s.png", cwd=tmp_path).returncode == 0
    return tmp_path


def test_without_sweep_results_it_names_the_stage_to_run(ingested):
    result = run_stage("real_eval", "--real", str(HC18), cwd=ingested)
    (error,) = errors_of(result)
    assert result.returncode == 2 and "dvc repro threshold_sweep" in error
    assert not (ingested / "metrics/real_eval.json").exists() and not (ingested / "plots/real_eval").exists()


def test_a_real_sample_without_its_split_is_named(ingested, tmp_path_factory):
    sample = tmp_path_factory.mktemp("sample")
    shutil.copytree(HC18 / "images", sample / "images")
    sweep = ingested / "plots/threshold_sweep"
    sweep.mkdir(parents=True)
    for name in ("scale_up", "blur", "noise"):
        (sweep / f"{name}.csv").write_text("intensity,mean_ssim\n0,1\n1,0.5\n")
    (ingested / "metrics").mkdir()
    (ingested / "metrics/threshold_sweep.json").write_text(
        '{"thresholds": {"scale_up": {"floor": 0.5}, "blur": {"floor": 1}, "noise": {"floor": 0.5}}}'
    )
    result = run_stage("real_eval", "--real", str(sample), cwd=ingested)
    (error,) = errors_of(result)
    assert result.returncode == 2 and "split.csv: split file missing" in error
    assert not (ingested / "metrics/real_eval.json").exists()
