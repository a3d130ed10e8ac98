"""Small DICOM files written on the fly, and the real ones shipped by the pydicom-data package."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, UltrasoundImageStorage, generate_uid


def write_dicom(
    path: Path, pixels: np.ndarray | None, photometric: str = "MONOCHROME2", patient="DOE^JANE", pid="12345"
) -> Path:
    """An uncompressed ultrasound DICOM with a patient name and id (or no pixel data at all)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UltrasoundImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = UltrasoundImageStorage, meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.PatientID, ds.Modality = patient, pid, "US"
    if pixels is not None:
        ds.Rows, ds.Columns = pixels.shape[:2]
        ds.SamplesPerPixel = 3 if pixels.ndim == 3 else 1
        if pixels.ndim == 3:
            ds.PlanarConfiguration = 0
        ds.PhotometricInterpretation = photometric
        ds.BitsAllocated = ds.BitsStored = pixels.dtype.itemsize * 8
        ds.HighBit = ds.BitsStored - 1
        ds.PixelRepresentation = 0
        ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def shipped(name: str) -> Path:
    """A test file of pydicom-data (installed from requirements.txt; no download)."""
    from pydicom.data import get_testdata_file

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = get_testdata_file(name)
    assert found, f"{name} is not in pydicom / pydicom-data"
    return Path(found)


def copy_shipped(name: str, to: Path) -> Path:
    to.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(shipped(name), to))
