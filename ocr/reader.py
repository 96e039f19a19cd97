"""``PlateReader``: locate, recognise and fuse plates; one EasyOCR model per process."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, overload

import cv2
import numpy as np

from enforcement.events import PlateReading
from ocr import deskew, glyphs, localize, panels, text_band
from ocr.errors import InvalidImageError
from ocr.formats import DIGITS, LETTERS, canonical, parse_plate
from ocr.fusion import DEFAULT_MIN_CONFIDENCE, FrameReading, fuse
from ocr.images import Xyxy, crop_xyxy, is_too_small, to_bgr
from ocr.layout_reading import (
    LayoutReading,
    are_rivals,
    as_dissent,
    differs,
    interpret,
    layout_weight,
    recognised_lines,
    weighed_by_glyphs,
    with_rival_layout,
)
from ocr.localize import PlateCandidate, PlateLayout
from ocr.model_loading import (
    glyphs_chosen,
    load_line_recogniser,
    load_ppocr,
    ppocr_chosen,
    resolve_model_dir,
    runtime_chosen,
    stock_recogniser_chosen,
)
from ocr.plate_text import colour_hints, format_ceiling
from ocr.ppocr import PpOcrRecogniser
from ocr.recognition import LineReading, LineRecogniser
from ocr.row_crop import RowCrop
from ocr.row_cutting import row_crops

logger = logging.getLogger(__name__)

# Symbols a plate line may hold; separators help the parser split letters from digits.
_PLATE_SYMBOLS = LETTERS + DIGITS + "- "
# Height of a plate crop when its rows are segmented and cut for the recogniser.
_READ_HEIGHT_PX = 160
_CANDIDATES_PER_IMAGE = 3
# A whole frame searched without a vehicle box holds more text than a vehicle does
# (signs, shop fronts, the camera's overlay): its plate ranks lower among the rows found.
_CANDIDATES_PER_FRAME = 5
# ... and a state's name or a dealer's line above it often outranks the plate's row: its
# two likeliest are each read as a plate crop is (the others as they are).
_LIKELIEST_PER_FRAME = 2
# In a whole frame, the brightest plate-shaped panels read (``ocr.panels``), and the
# plate-likeness their readings are weighed with (no characters vouch for them).
_PANELS_PER_FRAME = 1
_PANEL_SCORE = 0.5
_LAYOUTS_PER_CROP = 2
# A reading this sure (for its format) ends the search for other layouts or candidates
# (saves recognitions).
_GOOD_ENOUGH_CONFIDENCE = 0.85
# Width/height of an image that may be a plate crop itself (one- and two-line plates).
_PLATE_ASPECT = (1.4, 6.0)
# How far (a share of its height) a candidate cut short is widened on either side.
_WIDENING = 0.7
# A reading at least this sure gets a second look at its rows (a weaker one is
# unreadable on its own; frames that agree can still lift it, so it is not far below).
_SECOND_LOOK_FROM = 0.3
# A row whose every character the network rated at least this sure needs no second look.
_SURE_CHARACTER = 0.99
# A plate crop read this unsurely from its segmented rows is read along its densest band
# of strokes too (``_read_text_band``); such a reading stands at this share of its
# glyphs' mean confidence.
_BAND_READ_BELOW = 0.12
_BAND_READING_WEIGHT = 0.3
# No plate format known holds more characters (Germany's longest holds 8).
_MAX_PLATE_GLYPHS = 8


@dataclass(frozen=True)
class _CropReading:
    frame: FrameReading
    crop_bgr: np.ndarray
    # The plate's characters touch the edge of the image read (it may cut the plate short).
    cut: bool = False


class PlateReader:
    """Reads plates with one lazily loaded EasyOCR recogniser.

    Example:
        >>> reader = get_plate_reader()
        >>> reading = reader.read_track([(frame_bgr, (410, 220, 880, 640))])
        >>> reading.text, reading.confidence, reading.unreadable
    """

    def __init__(
        self,
        model_dir: str | None = None,
        *,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        use_glyphs: bool | None = None,
        stock_recogniser: bool | None = None,
        runtime: str | None = None,
        use_ppocr: bool | None = None,
    ) -> None:
        self.model_dir = resolve_model_dir(model_dir)
        self.min_confidence = min_confidence
        # The glyph classifier's second opinion (None: unless $NIGRAN_OCR_GLYPHS is "0").
        self.use_glyphs = glyphs_chosen() if use_glyphs is None else use_glyphs
        # EasyOCR's own recogniser weights (None: when $NIGRAN_OCR_RECOGNISER is "easyocr").
        self.stock_recogniser = (
            stock_recogniser_chosen() if stock_recogniser is None else stock_recogniser
        )
        # PP-OCR's opinion on each row (None: unless $NIGRAN_OCR_PPOCR is "0").
        self.use_ppocr = ppocr_chosen() if use_ppocr is None else use_ppocr
        # "onnx" or "torch" (None: $NIGRAN_OCR_RUNTIME, else "onnx").
        self.runtime = runtime_chosen(runtime)
        self.load_time_s: float | None = None
        self._recogniser: LineRecogniser | None = None
        self._glyphs: glyphs.GlyphClassifier | None = None
        self._ppocr: PpOcrRecogniser | None = None
        self._easyocr: Any = None
        self._lock = threading.Lock()

    @property
    def recogniser(self) -> LineRecogniser:
        """The recogniser, loading the EasyOCR weights on first use."""
        if self._recogniser is None:
            with self._lock:
                if self._recogniser is None:
                    started = time.perf_counter()
                    self._easyocr, network = load_line_recogniser(
                        self.model_dir, stock=self.stock_recogniser, runtime=self.runtime
                    )
                    if self.use_glyphs:
                        self._glyphs = glyphs.GlyphClassifier()
                    self._recogniser = LineRecogniser(self._easyocr, network)
                    if self.use_ppocr:
                        self._ppocr = load_ppocr(self._recogniser.alphabet)
                    self.load_time_s = time.perf_counter() - started
        return self._recogniser

    @property
    def glyph_classifier(self) -> glyphs.GlyphClassifier | None:
        """The glyph classifier (None when switched off), loaded with the recogniser: a
        reader's very first plate is read with it like every other."""
        _ = self.recogniser
        return self._glyphs

    @property
    def ppocr(self) -> PpOcrRecogniser | None:
        """PP-OCR's line recogniser (None when switched off or not installed), loaded
        with the recogniser."""
        _ = self.recogniser
        return self._ppocr

    @property
    def easyocr_reader(self) -> Any:
        """The underlying ``easyocr.Reader`` (loaded on first use)."""
        _ = self.recogniser
        return self._easyocr

    def read_track(
        self,
        observations: Sequence[tuple[np.ndarray, Xyxy | None]],
        *,
        crop_dir: Path | None = None,
    ) -> PlateReading:
        """Read one vehicle's plate from several frames and fuse the readings.

        Args:
            observations: ``(frame_bgr, vehicle_xyxy or None)`` pairs; None searches the frame.
            crop_dir: where to save the chosen plate crop (``crop_path`` of the result).

        A frame that is not an image is skipped (logged), never raised: the pipeline
        gets ``unreadable`` when no frame shows a readable plate.
        """
        readings: list[_CropReading] = []
        for index, (frame, vehicle_xyxy) in enumerate(observations):
            try:
                image = to_bgr(frame)
                region, offset = crop_xyxy(image, vehicle_xyxy)
            except InvalidImageError as error:
                logger.warning("plate reading skipped observation %d: %s", index, error)
                continue
            if is_too_small(region):
                continue
            try:
                best = self._read_scene(region, offset, vehicle=vehicle_xyxy is not None)
            except cv2.error as error:
                # One frame OpenCV cannot process must not lose the track's other frames.
                logger.warning("plate reading failed on observation %d: %s", index, error)
                continue
            if best is not None:
                readings.append(best)
        return self._result(readings, crop_dir)

    def read_crop(self, plate_bgr: np.ndarray, *, crop_dir: Path | None = None) -> PlateReading:
        """Read an image that is (mostly) one plate.

        Raises:
            InvalidImageError: for a non-image, empty or wrongly shaped input.
        """
        image = to_bgr(plate_bgr)
        if is_too_small(image):
            return _unreadable()
        reading = self._read_plate_crop(image)
        return self._result([reading] if reading else [], crop_dir)

    def locate(self, frame_bgr: np.ndarray, xyxy: Xyxy | None = None) -> list[PlateCandidate]:
        """Plate candidates in a frame (inside the vehicle box when given), best first.

        Raises:
            InvalidImageError: for a non-image, empty or wrongly shaped input.
        """
        image = to_bgr(frame_bgr)
        region, offset = crop_xyxy(image, xyxy)
        if is_too_small(region):
            return []
        return localize.locate(
            region, offset_xy=offset, vehicle=xyxy is not None, limit=_CANDIDATES_PER_IMAGE
        )

    def _read_scene(
        self,
        region_bgr: np.ndarray,
        offset: tuple[int, int],
        *,
        vehicle: bool = False,
        plate_crop: bool = False,
    ) -> _CropReading | None:
        whole_frame = not vehicle and not plate_crop
        candidates = localize.locate(
            region_bgr,
            offset_xy=offset,
            vehicle=vehicle,
            plate_crop=plate_crop,
            limit=_CANDIDATES_PER_FRAME if whole_frame else _CANDIDATES_PER_IMAGE,
        )
        if plate_crop and not candidates:
            # Not a plate crop after all (a car photo): search it as a scene.
            candidates = localize.locate(region_bgr, offset_xy=offset, limit=_CANDIDATES_PER_IMAGE)
        height, width = region_bgr.shape[:2]
        region_xyxy = (offset[0], offset[1], offset[0] + width, offset[1] + height)
        weights = [
            _candidate_weight(candidate.score)
            * (localize.plate_position_prior(candidate.xyxy, region_xyxy) if vehicle else 1.0)
            for candidate in candidates
        ]
        best: _CropReading | None = None
        ranked = sorted(zip(weights, candidates, strict=True), key=lambda item: -item[0])
        for rank, (weight, candidate) in enumerate(ranked):
            if best is not None and best.frame.standing >= weight:
                # Candidates come best first: no later one can outweigh this reading.
                break
            # The likeliest candidate of a scene (of a whole frame, the two likeliest) is
            # read as a plate crop is (searched again unless read well at once); the
            # others, and a crop's candidates (the crop is searched so already), are
            # read as they are.
            if not plate_crop and rank < (_LIKELIEST_PER_FRAME if whole_frame else 1):
                reading = self._read_likeliest(candidate)
            else:
                full_res = candidate.full_res_crop_bgr
                reading = self._read_plate_image(
                    full_res if full_res is not None else candidate.crop_bgr
                )
                if (
                    whole_frame
                    and full_res is not None
                    and (reading is None or not _good_enough(reading.frame))
                ):
                    # As the likeliest are, a whole frame's other candidates are read
                    # at the search's scale too when unsure at the camera's (a "L"
                    # merged into its neighbour there: US UG9L8U read "UG98U").
                    reading = _surer(reading, self._read_plate_image(candidate.crop_bgr))
            if reading is None:
                continue
            if reading.cut and not plate_crop:
                # The candidate's crop cuts the plate short (the scene's segmentation
                # found only part of its row): read it again with room around it.
                widened = _widened(region_bgr, candidate.xyxy, offset)
                wider = self._read_plate_image(widened) if widened is not None else None
                reading = _surer(reading, wider)
            weighted = reading.frame.standing * weight
            if best is None or weighted > best.frame.standing:
                best = _CropReading(reading.frame.scaled(weight), reading.crop_bgr, reading.cut)
            if _good_enough(best.frame):
                break
        if whole_frame and (best is None or not _good_enough(best.frame)):
            best = self._read_panels(region_bgr, best)
        # A region shaped like a plate may be one, too close for the scene search (a
        # plate crop was read whole by read_crop already: not again).
        if (
            not plate_crop
            and _PLATE_ASPECT[0] <= width / height <= _PLATE_ASPECT[1]
            and (best is None or best.frame.standing < 0.9)
        ):
            best = _surer(best, self._read_plate_image(region_bgr))
        return best

    def _read_likeliest(self, candidate: PlateCandidate) -> _CropReading | None:
        """A scene's likeliest candidate read as a plate crop; in a frame searched
        reduced (a 720p photo at 960 px) from the frame itself too, and the surer
        reading stands: at the camera's resolution it often reads better (YG9X2G, HB8X9J,
        5CJP303 of the US photos), at times worse (a "W" read "H").

        A whole frame's candidate (``close_crop_bgr``), read unsurely, is weighed against
        itself cut close around its glyphs (unless that one is it with glyphs left
        out): another framing reads a condensed glyph otherwise ("3NVV252" cut
        generously, 3MVV252 close). A vehicle's box has no close cut: there a one-row
        candidate may be the digits of a two-line plate, whose series it would cut
        through (a bus's "4528" read "LE-28").
        """
        reading = self._read_plate_crop(candidate.crop_bgr)
        if (
            candidate.close_crop_bgr is not None
            and not is_too_small(candidate.close_crop_bgr)
            and (reading is None or not _good_enough(reading.frame))
        ):
            cut_close = self._read_plate_image(candidate.close_crop_bgr)
            if cut_close is not None and (
                reading is None
                or not _dropped_from(cut_close.frame.parsed.text, reading.frame.parsed.text)
            ):
                reading = _surer(reading, cut_close)
        if candidate.full_res_crop_bgr is None:
            return reading
        return _surer(reading, self._read_plate_crop(candidate.full_res_crop_bgr))

    def _read_panels(self, frame_bgr: np.ndarray, best: _CropReading | None) -> _CropReading | None:
        """``best``, or a frame's bright plate-shaped panel read as a plate crop, if that
        reads surer: the text rows of a light plate on a dark car may not
        segment in the scene search (``ocr.panels``). A panel reading that is ``best``
        with characters missing is that plate read less fully, and does not replace it
        ("80YTB" beside "980YTB": a logo between its blocks cost the panel a "9")."""
        weight = _candidate_weight(_PANEL_SCORE)
        for _, panel in panels.bright_panels(frame_bgr, limit=_PANELS_PER_FRAME):
            if is_too_small(panel):
                continue
            reading = self._or_text_band(self._read_plate_image(panel), panel)
            if reading is None or (
                best is not None
                and (
                    reading.frame.standing * weight <= best.frame.standing
                    or _dropped_from(reading.frame.parsed.text, best.frame.parsed.text)
                )
            ):
                continue
            best = _CropReading(reading.frame.scaled(weight), reading.crop_bgr, reading.cut)
        return best

    def _read_plate_crop(self, image: np.ndarray) -> _CropReading | None:
        """Read an image that is (mostly) one plate: as it is and, unless that reads it
        well enough, searched like a scene too."""
        reading = self._read_plate_image(image)
        if reading is None or not _good_enough(reading.frame):
            # A loose or tilted crop, or not a crop at all (a car photo): search it like a
            # scene, which levels the rows and re-reads them with margins.
            reading = _surer(reading, self._read_scene(image, (0, 0), plate_crop=True))
        return self._or_text_band(reading, image)

    def _or_text_band(
        self, reading: _CropReading | None, plate_bgr: np.ndarray
    ) -> _CropReading | None:
        """``reading`` of a plate crop, or, where it stands below ``_BAND_READ_BELOW`` (its
        rows did not segment), the crop read along its text band if that stands higher."""
        if reading is not None and reading.frame.standing >= _BAND_READ_BELOW:
            return reading
        return _surer(reading, self._read_text_band(plate_bgr))

    def _read_text_band(self, plate_bgr: np.ndarray) -> _CropReading | None:
        """The plate crop's densest band of vertical strokes read as one row, for a crop
        whose rows did not segment (``text_band``): no segmented characters confirm
        its glyphs' count or rate them, so it is a candidate for a warden, never sure."""
        image, gray, _ = _at_read_height(plate_bgr)
        band = text_band.densest_text_band(gray)
        if band is None:
            return None
        top, bottom = band
        (line,) = self.recogniser.read([gray[top:bottom]], _PLATE_SYMBOLS)
        parsed = parse_plate(line.text)
        confidences = tuple(
            c for char, c in zip(line.text, line.char_confidences, strict=True) if char.isalnum()
        )
        if not parsed.text or not 0 < len(confidences) <= _MAX_PLATE_GLYPHS:
            # Longer is no plate's row: a camera's date and time, a grille's pattern.
            return None
        # Its glyphs count for no more in a track's vote than the reading does.
        weighed = tuple(_BAND_READING_WEIGHT * c for c in confidences)
        frame = FrameReading(parsed, float(np.mean(weighed)), weighed, consistent=False)
        return _CropReading(frame, image)

    def _read_plate_image(self, plate_bgr: np.ndarray) -> _CropReading | None:
        """Segment a plate crop into rows, recognise them and parse the plate."""
        image, gray, scale = _at_read_height(plate_bgr)
        layouts = localize.find_layouts(gray, plate_crop=True, upscale=scale, finer_fallback=True)
        if not layouts:
            return None
        image, gray, layouts = _upright(image, gray, layouts, scale)
        # The best-looking rows are not always the plate (a dealer sticker, a state name):
        # the next layout is read too unless the first is already read confidently.
        best: LayoutReading | None = None
        read: list[LayoutReading] = []
        for layout in layouts[:_LAYOUTS_PER_CROP]:
            if best is not None and best.standing >= layout_weight(layout.score):
                # Layouts come best first: no later one can read more confidently.
                break
            hints = tuple(colour_hints(image, layout))
            for variant in _layout_variants(gray, layout, hints):
                # A split variant is a new layout: its colours are looked at again.
                reading = self._read_layout(
                    image, gray, variant, hints if variant is layout else None
                )
                if reading is not None:
                    read.append(reading)
                if reading is not None and (best is None or reading.standing > best.standing):
                    best = reading
            if best is not None and _good_enough(best.frame()):
                break
        if best is None:
            return None
        best = with_rival_layout(best, read)
        x1, y1, x2, y2 = best.layout.xyxy
        margin = int(0.5 * best.layout.char_height_px)
        crop = image[max(0, y1 - margin) : y2 + margin, max(0, x1 - margin) : x2 + margin]
        return _CropReading(best.frame(), crop, best.cut)

    def _read_layout(
        self,
        image: np.ndarray,
        gray: np.ndarray,
        layout: PlateLayout,
        hints: tuple[str, ...] | None = None,
    ) -> LayoutReading | None:
        """Read one layout; ``hints`` are its colour hints when already known."""
        rows = row_crops(gray, layout)
        odds = self._glyph_odds(rows)
        recognised = [self._read_row(row) for row in rows]
        lines = recognised_lines(rows, recognised, odds)
        if hints is None:
            hints = tuple(colour_hints(image, layout))
        reading = interpret(rows, lines, hints, layout)
        if reading is not None and not reading.consistent and self.glyph_classifier is not None:
            weighed = weighed_by_glyphs(rows, lines, reading, odds)
            if weighed is not reading:
                return weighed
        if reading is None or reading.confidence < _SECOND_LOOK_FROM:
            return reading
        if reading.parsed.is_pakistani and any(
            a.text != b.text for a, b in zip(recognised, lines, strict=True)
        ):
            # The recogniser's own reading, where the rows read differ from it, is this
            # frame's other reading: (1) a glyph read between the segmented characters
            # is an emblem or a character the segmentation missed, and Pakistani plates
            # carry no emblem between their characters ("CS-9641" was read "CS-941");
            # (2) a character the glyph classifier and PP-OCR re-rated is one the
            # networks disagree on, and either may be right (measured 2026-12-07: made
            # on strays alone, US AYE132 and a blurred Pakistani plate were gained, two
            # Pakistani plates turned -5 degrees lost, "AYG-122" read "AYC-122"). (A
            # foreign plate's emblem, a Slovak one's, is the likelier there, and its
            # reading is no sure answer anyway.)
            with_strays = interpret(rows, recognised, hints, layout)
            if with_strays is not None and differs(reading, with_strays):
                return replace(reading, second_look=with_strays)
        return self._second_look(rows, lines, reading, odds, recognised)

    def _glyph_odds(self, rows: Sequence[RowCrop]) -> list[np.ndarray | None]:
        """The glyph classifier's odds of each row's segmented characters (None for a
        year, a row without characters, or with the classifier switched off)."""
        classifier = self.glyph_classifier
        if classifier is None:
            return [None] * len(rows)
        return [
            classifier.odds(row.char_crops, light_ink=not row.dark_text)
            if row.role != "year" and row.char_crops
            else None
            for row in rows
        ]

    def _second_look(
        self,
        rows: Sequence[RowCrop],
        lines: Sequence[LineReading],
        reading: LayoutReading,
        odds: Sequence[np.ndarray | None],
        recognised: Sequence[LineReading],
    ) -> LayoutReading:
        """Read again, smaller, each plate row the network was not sure of throughout
        (by its own confidences, ``recognised``, before the glyph classifier's weighed in).

        A glyph read one way at one scale and another way at another (an "0" open at
        the top read "6", then "0") was a guess: the other reading, as long as the
        first, is kept as a dissenting second look, and the frame's answer is no surer
        than the two agree. The glyph classifier's ``odds`` of each row stand at either
        scale.
        """
        unsure = [
            index
            for index, (row, line) in enumerate(zip(rows, recognised, strict=True))
            if row.role != "year" and min(line.char_confidences, default=1.0) < _SURE_CHARACTER
        ]
        if not unsure:
            return reading
        again = list(lines)
        smaller_rows = [rows[index].smaller() for index in unsure]
        smaller = recognised_lines(
            smaller_rows,
            [self._read_row(row) for row in smaller_rows],
            [odds[index] for index in unsure],
        )
        for index, line in zip(unsure, smaller, strict=True):
            again[index] = line
        other = interpret(rows, again, reading.hints, reading.layout)
        # A glyph lost or gained at the smaller scale is the small scale's failing (a
        # small plate's glyphs merge), not a doubt about which glyphs the plate shows.
        if other is None or not differs(reading, other, same_length=True):
            return reading
        return replace(reading, second_look=other)

    def _read_row(self, row: RowCrop) -> LineReading:
        """Recognise a row from each of its views (``RowCrop.views``): one cut at the
        plate's border above or below is read uncut too, and the surer reading wins (a
        blurred glyph's reading can flip with the crop's height: a "W" read "H"; each
        crop is right on plates the other misreads). A view read surely throughout
        leaves no glyph in doubt, and the next is not read (a third of a vehicle's
        rows on the rendered scenes: the same readings, a recognition saved).

        A row not read surely throughout is read by PP-OCR too, from the view read best
        (``LineReading.ppocr``; ``ocr.ppocr``)."""
        best: tuple[LineReading, np.ndarray] | None = None
        for view in row.views():
            (line,) = self.recogniser.read([view], _PLATE_SYMBOLS)
            if best is None or line.confidence > best[0].confidence:
                best = line, view
            if _read_surely(line):
                break
        assert best is not None  # a row has at least one view
        line, view = best
        ppocr = self.ppocr
        if ppocr is None or _read_surely(line):
            return line
        return replace(line, ppocr=ppocr.read(view, _PLATE_SYMBOLS))

    def _result(self, readings: Sequence[_CropReading], crop_dir: Path | None) -> PlateReading:
        fused = fuse([r.frame for r in readings], min_confidence=self.min_confidence)
        crop_path = None
        if crop_dir is not None and readings:
            crop_path = _save_crop(readings[fused.best_index].crop_bgr, Path(crop_dir))
        if fused.parsed is None:
            return _unreadable(crop_path=crop_path)
        parsed = fused.parsed
        return PlateReading(
            text="" if fused.unreadable else parsed.text,
            confidence=round(fused.confidence, 4),
            unreadable=fused.unreadable,
            format=parsed.format,
            province=parsed.province,
            year=parsed.year,
            candidates=fused.candidates,
            crop_path=crop_path,
        )


_readers: dict[str, PlateReader] = {}
_readers_lock = threading.Lock()


def get_plate_reader(model_dir: str | None = None) -> PlateReader:
    """The process-wide ``PlateReader`` for a model directory (created once)."""
    resolved = resolve_model_dir(model_dir)
    with _readers_lock:
        if resolved not in _readers:
            _readers[resolved] = PlateReader(resolved)
        return _readers[resolved]


def _good_enough(reading: FrameReading) -> bool:
    """Whether a reading is sure enough to end the search for other layouts or candidates:
    as sure as its format lets any reading be (a foreign plate's never is sure)."""
    return reading.standing >= _GOOD_ENOUGH_CONFIDENCE * format_ceiling(reading.parsed)


@overload
def _surer(reading: _CropReading, other: _CropReading | None) -> _CropReading: ...


@overload
def _surer(reading: _CropReading | None, other: _CropReading | None) -> _CropReading | None: ...


def _surer(reading: _CropReading | None, other: _CropReading | None) -> _CropReading | None:
    """``other`` if it stands higher than ``reading`` (or there is no ``reading``),
    else ``reading``: of two readings alike sure, the first stands. The other, if it
    spells another plate and stands nearly as high, dissents (``_rival``)."""
    if other is not None and (reading is None or other.frame.standing > reading.frame.standing):
        reading, other = other, reading
    if reading is None or other is None:
        return reading
    rival = _rival(reading.frame, other.frame)
    return reading if rival is None else replace(reading, frame=rival)


def _rival(best: FrameReading, other: FrameReading) -> FrameReading | None:
    """``best`` with ``other`` as its dissenting second look when the two are rivals
    (``are_rivals``), else None."""
    if not are_rivals(best, other):
        return None
    return replace(best, second_look=as_dissent(other))


def _read_surely(line: LineReading) -> bool:
    """Whether the recogniser rated every character of ``line`` at least
    ``_SURE_CHARACTER`` (an empty reading is not sure)."""
    return min(line.char_confidences, default=0.0) >= _SURE_CHARACTER


def _at_read_height(plate_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """A plate crop scaled to ``_READ_HEIGHT_PX`` high, in colour and grey, and the scale."""
    scale = _READ_HEIGHT_PX / plate_bgr.shape[0]
    image = cv2.resize(plate_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return image, cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), scale


def _candidate_weight(score: float) -> float:
    """How far a candidate's plate-likeness lets its reading count (a reading is at most 1)."""
    return 0.5 + 0.5 * score


def _upright(
    image: np.ndarray, gray: np.ndarray, layouts: list[PlateLayout], upscale: float
) -> tuple[np.ndarray, np.ndarray, list[PlateLayout]]:
    """The plate with its characters stood upright (unsheared) and segmented again.

    The best layout's slant is taken for the plate's; when nothing is found upright,
    the slanted plate is kept.
    """
    shear = deskew.estimate_shear(gray, layouts[0])
    if abs(shear) < deskew.MIN_SHEAR:
        return image, gray, layouts
    x1, y1, x2, y2 = layouts[0].xyxy
    upright = deskew.unshear(image, shear, (y1 + y2) / 2.0)
    upright_gray = cv2.cvtColor(upright, cv2.COLOR_BGR2GRAY)
    upright_layouts = localize.find_layouts(
        upright_gray, plate_crop=True, upscale=upscale, finer_fallback=True
    )
    if not upright_layouts:
        return image, gray, layouts
    return upright, upright_gray, upright_layouts


def _widened(image: np.ndarray, crop_xyxy: Xyxy, offset: tuple[int, int]) -> np.ndarray | None:
    """A candidate's crop (``crop_xyxy``, in frame pixels; ``image`` starts at ``offset``)
    widened by ``_WIDENING`` of its height on either side (None: the image's edges leave
    no room)."""
    x1, y1, x2, y2 = (
        crop_xyxy[0] - offset[0],
        crop_xyxy[1] - offset[1],
        crop_xyxy[2] - offset[0],
        crop_xyxy[3] - offset[1],
    )
    extra = _WIDENING * (y2 - y1)
    height, width = image.shape[:2]
    left, right = max(0, int(x1 - extra)), min(width, int(np.ceil(x2 + extra)))
    if left >= int(x1) and right <= int(np.ceil(x2)):
        return None
    return image[max(0, int(y1)) : min(height, int(np.ceil(y2))), left:right]


def _layout_variants(
    gray: np.ndarray, layout: PlateLayout, hints: tuple[str, ...]
) -> list[PlateLayout]:
    """The layout, and beside a Punjab green strip (``hints``, the layout's colour
    hints) a one-row layout also as two rows.

    A Punjab district plate is two rows; at ~45 px across they run together into one
    row of tall blobs, which only read right when cut apart. The confidence decides.
    """
    if layout.two_line or "green_strip" not in hints:
        return [layout]
    split = localize.split_rows(gray, layout)
    return [layout] if split is None else [layout, split]


def _dropped_from(text: str, fuller: str) -> bool:
    """Whether ``text`` is ``fuller`` with one or more of its characters left out."""
    short, full = canonical(text), canonical(fuller)
    if not short or len(short) >= len(full):
        return False
    remaining = iter(full)
    return all(char in remaining for char in short)


def _unreadable(*, crop_path: Path | None = None) -> PlateReading:
    return PlateReading(text="", confidence=0.0, unreadable=True, crop_path=crop_path)


def _save_crop(crop_bgr: np.ndarray, crop_dir: Path) -> Path | None:
    """Write the plate crop once, named by its content hash (evidence is never rewritten)."""
    ok, encoded = cv2.imencode(".png", crop_bgr)
    if not ok:
        return None
    crop_dir.mkdir(parents=True, exist_ok=True)
    path = crop_dir / f"plate_{hashlib.sha256(encoded.tobytes()).hexdigest()[:16]}.png"
    if not path.exists():
        path.write_bytes(encoded.tobytes())
    return path
