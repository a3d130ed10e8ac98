"""Read any supported image file as 8-bit grayscale, and bring it to the pipeline's square size."""

from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from usqc.errors import UsqcError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
# skimage.color.rgb2gray weights (ITU-R BT.709), as the thesis' imread(as_gray=True)
LUMA = np.array([0.2125, 0.7154, 0.0721], dtype=np.float32)


def read_gray(path: str | Path) -> np.ndarray:
    """uint8 grayscale pixels of an image file; a clear UsqcError for anything unreadable."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                return to_gray_uint8(image)
    except UnidentifiedImageError:
        reason = "not a recognised image format, or empty"
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        reason = f"more than {Image.MAX_IMAGE_PIXELS} pixels, refused as a possible decompression bomb"
    except (OSError, SyntaxError, ValueError) as exc:
        reason = str(exc).replace(str(path), "").strip(" :'") or type(exc).__name__
    raise UsqcError(f"{path}: cannot read image ({reason}); remove or replace the file")


def to_gray_uint8(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        pixels = np.asarray(image).astype(np.float32)
        peak = 65535.0 if pixels.max(initial=0) > 255 or image.mode.startswith("I;16") else 255.0
        return np.clip(np.rint(pixels * (255.0 / peak)), 0, 255).astype(np.uint8)
    if image.mode in ("L", "1"):
        return np.asarray(image.convert("L"), dtype=np.uint8)
    if image.mode == "LA":
        return np.asarray(image.getchannel("L"), dtype=np.uint8)
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    return np.clip(np.rint(rgb @ LUMA), 0, 255).astype(np.uint8)


def resize_square(gray: np.ndarray, size: int) -> np.ndarray:
    """Square `size` x `size` uint8; area averaging when shrinking so speckle does not alias."""
    shrinking = gray.shape[0] > size or gray.shape[1] > size
    return cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
