"""DICOM files as 8-bit grayscale frames, through pydicom and its installed pixel handlers.

Photometric interpretations: MONOCHROME1 (inverted), MONOCHROME2, RGB, YBR_* (pydicom converts
to RGB), PALETTE COLOR (8- and 16-bit lookup tables). Colour becomes BT.709 luma, as for image
files. Monochrome frames with a VOI window or LUT are windowed onto the stored bit range, which
maps to 0-255; deeper than 8 bits without a window, the frame's own min-max maps to 0-255.
Compressed transfer syntaxes decode through pylibjpeg (JPEG baseline and lossless, JPEG 2000)
and pydicom's own RLE decoder.

Only pixels leave this module: no tag value (patient name, ids, dates) is returned, except the
patient id as a one-way hash to group a patient's images.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.pixels import apply_color_lut, apply_voi_lut
from pydicom.pixels import pixel_array as decode_frame
from pydicom.uid import ImplicitVRLittleEndian

from usqc.errors import UsqcError
from usqc.imageio import LUMA

DICOM_SUFFIXES = (".dcm", ".dicom")


def _open(path: Path, stop_before_pixels: bool) -> pydicom.Dataset:
    try:
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=stop_before_pixels)
        except InvalidDicomError:  # no preamble: old files written without the 'DICM' header
            ds = pydicom.dcmread(path, stop_before_pixels=stop_before_pixels, force=True)
    except Exception as exc:  # pydicom raises many types for damaged files
        raise UsqcError(f"{path}: cannot read DICOM ({_reason(exc)}); remove or replace the file") from None
    if "PixelData" not in ds and "FloatPixelData" not in ds and not stop_before_pixels:
        raise UsqcError(f"{path}: DICOM file without pixel data (a report or structured document?); remove it")
    if "TransferSyntaxUID" not in ds.file_meta:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian  # force-read files carry no file meta
    return ds


def _reason(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:120] or type(exc).__name__


def header(path: str | Path) -> tuple[int, str | None]:
    """(frames, patient key) from the header alone: the frame count (1 for single-frame) and a
    one-way hash of the PatientID (None without one) that groups a patient's images."""
    ds = _open(Path(path), stop_before_pixels=True)
    if "Rows" not in ds:
        raise UsqcError(f"{path}: DICOM file without an image (no Rows tag); remove it")
    value = str(ds.get("PatientID", "") or "").strip()
    key = hashlib.sha256(value.encode()).hexdigest()[:16] if value else None
    return int(ds.get("NumberOfFrames", 1) or 1), key


def read_dicom_gray(path: str | Path, frame: int = 0) -> np.ndarray:
    """uint8 grayscale pixels of one frame; a clear UsqcError for anything undecodable."""
    path = Path(path)
    ds = _open(path, stop_before_pixels=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom warns about harmless tag oddities
            pixels = decode_frame(ds, index=frame if int(ds.get("NumberOfFrames", 1) or 1) > 1 else None)
            return to_gray_uint8(pixels, ds)
    except UsqcError:
        raise
    except Exception as exc:
        raise UsqcError(
            f"{path}: cannot decode DICOM pixels ({_reason(exc)}); "
            f"transfer syntax {ds.file_meta.TransferSyntaxUID.name} may need a codec (see requirements.txt)"
        ) from None


def to_gray_uint8(pixels: np.ndarray, ds: pydicom.Dataset) -> np.ndarray:
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    if photometric == "PALETTE COLOR":
        rgb = apply_color_lut(pixels, ds).astype(np.float32)
        peak = 65535.0 if rgb.max(initial=0) > 255 else 255.0
        return _to_uint8(rgb @ LUMA, peak)
    if pixels.ndim == 3:  # RGB, or YBR converted to RGB by pydicom
        return _to_uint8(pixels.astype(np.float32) @ LUMA, _stored_range(ds)[1])
    values = pixels.astype(np.float32)
    low, high = _stored_range(ds)
    if "WindowCenter" in ds or "VOILUTSequence" in ds:
        values = apply_voi_lut(pixels, ds).astype(np.float32)
    elif int(ds.get("BitsStored", 8) or 8) > 8:  # no window: stretch the frame's own range
        low, high = float(values.min()), float(values.max())
    gray = _to_uint8(values - low, high - low)
    return 255 - gray if photometric == "MONOCHROME1" else gray


def _stored_range(ds: pydicom.Dataset) -> tuple[float, float]:
    """(lowest, highest) value the stored bits can hold, signed or not."""
    bits = int(ds.get("BitsStored", 8) or 8)
    if int(ds.get("PixelRepresentation", 0) or 0):
        return float(-(2 ** (bits - 1))), float(2 ** (bits - 1) - 1)
    return 0.0, float(2**bits - 1)


def _to_uint8(values: np.ndarray, peak: float) -> np.ndarray:
    return np.clip(np.rint(values * (255.0 / max(peak, 1.0))), 0, 255).astype(np.uint8)
