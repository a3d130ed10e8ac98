"""usqc: corruption identification and classification in standard-plane prenatal ultrasound.

Importing usqc pins OpenBLAS (numpy's and scipy's) to one kernel family, so a stage writes the same
bytes on every x86-64 CPU: stage scripts import usqc before numpy for that reason.
"""

import os as _os

__version__ = "0.1.0"

# OpenBLAS picks its kernels by CPU at load time. Its AVX-512 ones (SkylakeX, chosen on some AMD Zen 4
# hosts and on Intel Xeons) sum float64 products in another order than its AVX2 ones (Haswell, which
# its Zen kernels are): the guard's covariance inverse differs by 4e-15 relative, enough to flip a few
# float32 weights, and a .keras file hashed differently from one Zen 4 to the next with every metric
# equal. The Haswell kernels run on every x86-64 CPU with AVX2 (all that TensorFlow's wheels run on).
_HASWELL_KERNELS = "Haswell"


def _cpu_has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return any(line.startswith("flags") and " avx2" in line for line in cpuinfo)
    except OSError:  # not Linux: leave OpenBLAS's own choice
        return False


if "OPENBLAS_CORETYPE" not in _os.environ and _cpu_has_avx2():
    _os.environ["OPENBLAS_CORETYPE"] = _HASWELL_KERNELS
