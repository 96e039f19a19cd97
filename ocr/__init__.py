"""ANPR: find and read the number plate of a vehicle across a track's frames (no Django).

>>> from ocr import get_plate_reader
>>> reading = get_plate_reader().read_track([(frame_bgr, vehicle_xyxy)])
"""

from enforcement.events import PlateReading
from ocr.errors import InvalidImageError, OcrModelError
from ocr.formats import ParsedPlate, parse_plate
from ocr.localize import PlateCandidate
from ocr.reader import PlateReader, get_plate_reader

__all__ = [
    "InvalidImageError",
    "OcrModelError",
    "ParsedPlate",
    "PlateCandidate",
    "PlateReader",
    "PlateReading",
    "get_plate_reader",
    "parse_plate",
]
