"""Tissue classes of the phantom and their acoustic properties.

Echogenicity is the backscatter power relative to a reference scatterer (linear units); a bone
surface reflects orders of magnitude more than soft tissue, fluid almost nothing. Attenuation is
in dB/cm/MHz (one way); bone's high value produces the acoustic shadow behind the skull and
spine, fluid's low value the posterior enhancement behind the amniotic cavity.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Tissue(IntEnum):
    AMNIOTIC_FLUID = 0
    COELOMIC_FLUID = 1
    FAT = 2
    MUSCLE = 3
    MYOMETRIUM = 4
    PLACENTA = 5
    SOFT_TISSUE = 6
    BRAIN = 7
    THALAMUS = 8
    CSF = 9
    CHOROID = 10
    MEMBRANE = 11
    SKIN = 12
    BONE = 13
    BLOOD = 14


#                           echogenicity, attenuation dB/cm/MHz
PROPERTIES = {
    Tissue.AMNIOTIC_FLUID: (4e-5, 0.002),  # low-level echoes: cells, vernix
    Tissue.COELOMIC_FLUID: (3e-4, 0.01),
    Tissue.FAT: (0.12, 0.6),
    Tissue.MUSCLE: (0.25, 1.0),
    Tissue.MYOMETRIUM: (0.3, 0.7),
    Tissue.PLACENTA: (0.7, 0.6),
    Tissue.SOFT_TISSUE: (0.35, 0.5),
    Tissue.BRAIN: (0.06, 0.4),
    Tissue.THALAMUS: (0.025, 0.4),
    Tissue.CSF: (4e-5, 0.01),
    Tissue.CHOROID: (1.5, 0.6),
    Tissue.MEMBRANE: (4.0, 0.5),
    Tissue.SKIN: (3.0, 0.8),
    Tissue.BONE: (40.0, 5.0),
    Tissue.BLOOD: (3e-4, 0.2),
}

ECHOGENICITY = np.array([PROPERTIES[t][0] for t in Tissue], dtype=np.float32)
ATTENUATION = np.array([PROPERTIES[t][1] for t in Tissue], dtype=np.float32)
