"""ssim_eval refuses missing inputs with one line and writes nothing."""

import pytest

from tests.conftest import errors_of, run_stage, write_params


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("ingested")
    write_params(root / "params.yaml")
    assert run_stage("ingest", "--metrics", "m.json", "--samples", "s.png", cwd=root).returncode == 0
    return root


def test_without_sweep_results_it_names_the_stage_to_run(ingested):
    result = run_stage("ssim_eval", cwd=ingested)
    (error,) = errors_of(result)
    assert result.returncode == 2 and "dvc repro threshold_sweep" in error
    assert not (ingested / "metrics/ssim_eval.json").exists() and not (ingested / "plots/ssim_eval").exists()


def test_without_a_trained_model_it_names_the_file(ingested, tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    thresholds = ", ".join(f'"{c}": {{"floor": null}}' for c in ("scale_up", "blur", "noise"))
    (tmp_path / "sweep.json").write_text(f'{{"thresholds": {{{thresholds}}}}}')
    for name in ("scale_up", "blur", "noise"):
        (sweep / f"{name}.csv").write_text("intensity,mean_ssim\n0,1\n1,0.5\n")
    result = run_stage(
        "ssim_eval", "--sweep-metrics", str(tmp_path / "sweep.json"), "--sweep-plots", str(sweep),
        "--models", str(tmp_path / "none"), "--metrics", str(tmp_path / "out/m.json"),
        "--plots", str(tmp_path / "out/plots"), cwd=ingested,
    )  # fmt: skip
    (error,) = errors_of(result)
    assert result.returncode == 2 and "vgg16.keras: model not found" in error and "dvc repro train_" in error
    assert not (tmp_path / "out").exists()
