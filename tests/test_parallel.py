"""ordered_map keeps job order for any worker count and stops the pool when its consumer stops."""

from pathlib import Path

from usqc.parallel import ordered_map


def _square(x: int) -> int:
    return x * x


def _mark(job: tuple[Path, int]) -> int:
    folder, k = job
    (folder / f"{k}.done").touch()
    return k


def test_results_come_in_job_order_for_any_worker_count():
    assert list(ordered_map(_square, range(50), workers=1)) == list(ordered_map(_square, range(50), workers=2))
    assert list(ordered_map(_square, range(50), workers=2, chunksize=3)) == [k * k for k in range(50)]


def test_an_early_stop_cancels_the_remaining_jobs(tmp_path):
    jobs = [(tmp_path, k) for k in range(2000)]
    results = ordered_map(_mark, jobs, workers=2, chunksize=1)
    for k in results:
        if k == 3:
            break
    results.close()
    assert len(list(tmp_path.glob("*.done"))) < 1000
