"""Plate localisation: candidate plate regions from rows of character blobs.

A candidate is one row of similar blobs (a one-line plate) or two stacked rows of the
same height (a Punjab two-line plate). Candidates are scored by how plate-like they are
(number of characters, regular heights, light background, level baseline), rectified by
rotating the baseline level, and handed to the recogniser, which has the last word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from ocr.images import percentiles
from ocr.row_reach import row_reach
from ocr.segment import TextLine, find_text_lines

# Work at most this size: characters of a plate in a 1080p frame stay >= ~8 px.
MAX_WORK_SIDE_PX = 960
# Plate crops smaller than this are upscaled first, so their characters can be segmented.
_MIN_CROP_HEIGHT_PX = 120
_MIN_CHAR_HEIGHT_PX = 7.0
# A vehicle box narrower than this is enlarged (at most by the factor) before the search.
_MIN_VEHICLE_WIDTH_PX = 720
_MAX_UPSCALE = 4.0
# A small photo is enlarged to this longest side before the search.
_MIN_SCENE_SIDE_PX = 640
# Margin of a candidate's crop around its characters, in character heights.
_CROP_MARGIN_X = 1.2
_CROP_MARGIN_Y = 1.0
# ... and of its close crop (a second framing of a scene's likeliest candidates).
_CLOSE_MARGIN = 0.5
# Rows above and below a row's glyphs (in character heights) that tell a missed glyph
# beyond its ends from the plate's frame.
_REACH_BAND = 0.2
# A single row of fewer characters than the shortest one-line plate ("A-1234") holds
# only part of its plate (the other block did not segment: glare, a faint corner): its
# crop leaves room beside it for a block of up to four characters.
_SHORT_ROW_CHARS = 5
_SHORT_ROW_MARGIN_X = 3.0
# Two boxes of one row overlapping by more than this share of the narrower one's width
# are one character found twice.
_SAME_CHARACTER_OVERLAP = 0.5
# A single row scores at most this, so a matching two-line pair can outrank it.
_SINGLE_ROW_CEILING = 0.85
# The rows of a two-line plate: a long series ("LEH" beside its year) is printed
# smaller than a short number below it.
_MAX_STACKED_HEIGHT_RATIO = 1.6
# A vehicle's plate is on its bumper: its centre lies below this share of the vehicle
# box's height. A candidate higher up is another vehicle's plate seen through a loose box
# (a car beside a bus) or text on the body, and counts for less the higher it is.
_PLATE_HIGHEST_CENTRE = 0.4
_MIN_POSITION_PRIOR = 0.1
# Characters at most this tall in the camera's pixels may touch their neighbours (bold
# glyphs a pixel or two apart, blurred together); taller ones are apart.
_MERGED_GLYPHS_MAX_SOURCE_PX = 20.0
# A Punjab plate's year is printed smaller than its series: under this share of its
# height; the dash before it leaves a gap over this share of the characters' height.
_YEAR_HEIGHT_SHARE = 0.9
_DASH_GAP_SHARE = 0.6


@dataclass(frozen=True)
class PlateLayout:
    """The text rows of one plate, top to bottom, in the analysed image's pixels."""

    rows: tuple[TextLine, ...]
    score: float

    @property
    def two_line(self) -> bool:
        return len(self.rows) == 2

    @property
    def char_height_px(self) -> float:
        return max(row.char_height_px for row in self.rows)

    @property
    def xyxy(self) -> tuple[int, int, int, int]:
        boxes = [row.xyxy for row in self.rows]
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    @property
    def angle_deg(self) -> float:
        widest = max(self.rows, key=lambda row: row.count)
        return widest.angle_deg


@dataclass(frozen=True)
class PlateCandidate:
    """A possible plate in a frame.

    ``xyxy`` is in frame pixels; ``crop_bgr`` is the plate, rotated level, with a margin;
    ``score`` in ``[0, 1]`` says how plate-like the blobs look (before recognition).
    """

    xyxy: tuple[float, float, float, float]
    score: float
    crop_bgr: np.ndarray = field(repr=False)
    two_line: bool = False
    # In a whole frame searched at a reduced size: the crop cut from the frame itself
    # (the likeliest candidate is read from both, the others from this one alone).
    full_res_crop_bgr: np.ndarray | None = field(default=None, repr=False)
    # In a whole frame: the plate cut close around its glyphs (half a character height),
    # rotated level. (In a vehicle's box a one-row candidate may be the digits of a
    # two-line plate, whose series a close cut would cut through.)
    close_crop_bgr: np.ndarray | None = field(default=None, repr=False)


def find_layouts(
    gray: np.ndarray, *, plate_crop: bool, upscale: float = 1.0, finer_fallback: bool = False
) -> list[PlateLayout]:
    """Candidate plates in a grayscale image, best first.

    ``plate_crop`` says the image is (mostly) one plate, so its largest text wins; in a
    scene every row of characters is a candidate. ``upscale`` is how much the image was
    enlarged from the camera's pixels (small characters there may have run together).
    ``finer_fallback``: see ``segment.find_text_lines``.
    """
    height = gray.shape[0]
    max_char = height * (0.8 if plate_crop else 0.2)
    min_char = max(_MIN_CHAR_HEIGHT_PX, height * (0.12 if plate_crop else 0.0))
    if max_char <= min_char:
        return []
    lines = find_text_lines(
        gray,
        min_char_height_px=min_char,
        max_char_height_px=max_char,
        multi_scale=not plate_crop,
        max_merged_height_px=_MERGED_GLYPHS_MAX_SOURCE_PX * upscale,
        finer_fallback=finer_fallback,
    )
    rows = _merge_rows(lines)
    layouts = [
        PlateLayout((row,), _SINGLE_ROW_CEILING * _row_score(row, gray))
        for row in rows
        if not _series_then_year(row)
    ]
    for top in rows:
        for bottom in rows:
            if _stacked(top, bottom):
                score = _stacked_score(top, bottom, gray)
                layouts.append(PlateLayout((top, bottom), score))
    if plate_crop:
        # In a crop the plate's own characters are the largest text (not "SINDH" below).
        tallest = max((layout.char_height_px for layout in layouts), default=0.0)
        layouts = [
            PlateLayout(layout.rows, layout.score * (layout.char_height_px / tallest) ** 2)
            for layout in layouts
        ]
    return sorted(layouts, key=lambda layout: -layout.score)


def locate(
    frame_bgr: np.ndarray,
    *,
    offset_xy: tuple[int, int] = (0, 0),
    plate_crop: bool = False,
    vehicle: bool = False,
    limit: int = 3,
) -> list[PlateCandidate]:
    """Find up to ``limit`` plate candidates in a BGR image (a vehicle box or a frame).

    ``vehicle`` says the image is one vehicle's box: a distant vehicle is enlarged first,
    because its plate characters are ~3 % of its width and too small to segment.
    """
    height, width = frame_bgr.shape[:2]
    scale = 1.0
    if max(height, width) > MAX_WORK_SIDE_PX:
        scale = MAX_WORK_SIDE_PX / max(height, width)
    elif plate_crop and height < _MIN_CROP_HEIGHT_PX:
        scale = _MIN_CROP_HEIGHT_PX / height
    elif vehicle and width < _MIN_VEHICLE_WIDTH_PX:
        scale = min(_MAX_UPSCALE, _MIN_VEHICLE_WIDTH_PX / width)
    elif not plate_crop and not vehicle and max(height, width) < _MIN_SCENE_SIDE_PX:
        scale = min(_MAX_UPSCALE, _MIN_SCENE_SIDE_PX / max(height, width))
    interpolation = cv2.INTER_CUBIC if scale > 1.0 else cv2.INTER_AREA
    work = (
        frame_bgr
        if scale == 1.0
        else cv2.resize(frame_bgr, None, fx=scale, fy=scale, interpolation=interpolation)
    )
    gray = cv2.cvtColor(work, cv2.COLOR_BGR2GRAY)
    candidates: list[PlateCandidate] = []
    taken: list[tuple[int, int, int, int]] = []
    whole_frame = not vehicle and not plate_crop
    for layout in find_layouts(gray, plate_crop=plate_crop, upscale=scale):
        if any(_overlaps(layout.xyxy, box) for box in taken):
            continue
        taken.append(layout.xyxy)
        full_res = close = None
        columns = _reach(gray, layout)
        if scale < 1.0 and whole_frame:
            # A frame searched reduced: its plate cut at the camera's resolution too.
            full_res, _ = _rectified_crop(
                frame_bgr,
                _scaled_layout(layout, 1.0 / scale),
                (columns[0] / scale, columns[1] / scale),
            )
        crop, box = _rectified_crop(work, layout, columns)
        if whole_frame:
            # A second framing (the reader's, of a whole frame's likeliest candidates).
            close, _ = _rectified_crop(work, layout, columns, margin=_CLOSE_MARGIN)
        x1, y1, x2, y2 = (value / scale for value in box)
        frame_box = (x1 + offset_xy[0], y1 + offset_xy[1], x2 + offset_xy[0], y2 + offset_xy[1])
        candidates.append(
            PlateCandidate(frame_box, layout.score, crop, layout.two_line, full_res, close)
        )
        if len(candidates) >= limit:
            break
    return candidates


def plate_position_prior(
    candidate_xyxy: tuple[float, float, float, float],
    vehicle_xyxy: tuple[float, float, float, float],
) -> float:
    """How likely a candidate is its vehicle's plate by where it sits in the box, in
    ``(0, 1]``: 1 on the lower part of the box, falling off towards the roof."""
    top, bottom = vehicle_xyxy[1], vehicle_xyxy[3]
    centre = (candidate_xyxy[1] + candidate_xyxy[3]) / 2.0
    height_fraction = (centre - top) / max(bottom - top, 1.0)
    return max(_MIN_POSITION_PRIOR, min(1.0, height_fraction / _PLATE_HIGHEST_CENTRE) ** 2)


def split_rows(gray: np.ndarray, layout: PlateLayout) -> PlateLayout | None:
    """A one-row layout as the two rows of a small two-line plate that ran together.

    A pixel apart, each series letter fuses with the digit below it into one tall blob.
    The rows are cut at the faintest level of the row's middle third.
    """
    if layout.two_line:
        return None
    row = layout.rows[0]
    x1, y1, x2, y2 = row.xyxy
    height = y2 - y1
    patch = gray[y1:y2, x1:x2].astype(float)
    if height < 2 * _MIN_CHAR_HEIGHT_PX or patch.size == 0:
        return None
    ink = patch.max() - patch if row.dark_text else patch - patch.min()
    profile = ink.mean(axis=1)
    low, high = int(height / 3), int(2 * height / 3) + 1
    cut = y1 + low + int(np.argmin(profile[low:high]))
    rows = []
    for top, bottom in ((y1, cut), (cut, y2)):
        boxes = row.char_boxes.copy()
        boxes[:, 1] = np.maximum(boxes[:, 1], top)
        boxes[:, 3] = np.minimum(boxes[:, 3], bottom)
        rows.append(TextLine(boxes[boxes[:, 3] > boxes[:, 1]], row.dark_text))
    if any(r.count < 2 for r in rows):
        return None
    return PlateLayout((rows[0], rows[1]), layout.score)


def _merge_rows(lines: list[TextLine]) -> list[TextLine]:
    """Join lines that continue each other on one row ("AZN" "-" "884")."""
    ordered = sorted(lines, key=lambda line: line.xyxy[0])
    merged: list[TextLine] = []
    for line in ordered:
        for i, row in enumerate(merged):
            if _same_row(row, line):
                boxes = np.concatenate([row.char_boxes, line.char_boxes])
                merged[i] = TextLine(_distinct(boxes[np.argsort(boxes[:, 0])]), row.dark_text)
                break
        else:
            merged.append(line)
    return merged


def _distinct(boxes: np.ndarray) -> np.ndarray:
    """Boxes sorted left to right without those that mostly overlap the one before (one
    character found by two thresholds): each character counts once."""
    kept = [boxes[0]]
    for box in boxes[1:]:
        previous = kept[-1]
        overlap = min(previous[2], box[2]) - max(previous[0], box[0])
        narrower = min(previous[2] - previous[0], box[2] - box[0])
        if overlap <= _SAME_CHARACTER_OVERLAP * narrower:
            kept.append(box)
        elif box[2] - box[0] > previous[2] - previous[0]:
            kept[-1] = box
    return np.array(kept)


def _same_row(a: TextLine, b: TextLine) -> bool:
    if a.dark_text != b.dark_text:
        return False
    ha, hb = a.char_height_px, b.char_height_px
    if max(ha, hb) / max(min(ha, hb), 1.0) > 1.3:
        return False
    ay, by = a.xyxy, b.xyxy
    overlap = min(ay[3], by[3]) - max(ay[1], by[1])
    gap = max(by[0] - ay[2], ay[0] - by[2])
    return overlap > 0.6 * min(ha, hb) and gap < 2.2 * max(ha, hb)


def _stacked(top: TextLine, bottom: TextLine) -> bool:
    """Two rows of one Punjab plate: same height, one right below the other."""
    if top is bottom or top.dark_text != bottom.dark_text:
        return False
    ht, hb = top.char_height_px, bottom.char_height_px
    if max(ht, hb) / max(min(ht, hb), 1.0) > _MAX_STACKED_HEIGHT_RATIO:
        return False
    t, b = top.xyxy, bottom.xyxy
    vertical_gap = b[1] - t[3]
    if not -0.1 * ht <= vertical_gap <= 0.8 * ht:
        return False
    overlap = min(t[2], b[2]) - max(t[0], b[0])
    return overlap > 0.5 * min(t[2] - t[0], b[2] - b[0]) and abs(t[0] - b[0]) < 1.5 * ht


def _stacked_score(top: TextLine, bottom: TextLine, gray: np.ndarray) -> float:
    """Two aligned rows of equal height are rarely anything but a two-line plate: such a
    pair outranks either of its rows alone."""
    best_row = max(_row_score(top, gray), _row_score(bottom, gray))
    return min(1.0, _SINGLE_ROW_CEILING * best_row + (1.0 - _SINGLE_ROW_CEILING))


def _level(row: TextLine) -> float:
    return max(0.0, 1.0 - abs(row.angle_deg) / 25.0)


def _row_score(row: TextLine, gray: np.ndarray, *, level: float | None = None) -> float:
    """How plate-like a row of blobs looks, in [0, 1]."""
    count_score = {2: 0.35, 3: 0.7}.get(row.count, 1.0 if row.count <= 9 else 0.5)
    regularity = max(0.0, 1.0 - 2.5 * row.height_spread())
    level = _level(row) if level is None else level
    x1, y1, x2, y2 = row.xyxy
    h = row.char_height_px
    patch = gray[
        max(0, int(y1 - 0.3 * h)) : int(y2 + 0.3 * h), max(0, int(x1 - 0.3 * h)) : int(x2 + 0.3 * h)
    ]
    if patch.size == 0:
        return 0.0
    low, high = percentiles(patch, (10, 90))
    contrast = min(1.0, float(high - low) / 90.0)
    # Most plates are dark characters on a light plate.
    polarity = 1.0 if row.dark_text else 0.75
    return float(count_score * (0.4 + 0.6 * regularity) * level * contrast * polarity)


def _series_then_year(row: TextLine) -> bool:
    """Whether a row is a Punjab plate's top row: its series, a dash, then a year of one
    or two glyphs printed smaller (0.70-0.87 of the series' height on the real plates).

    Read alone it spells a plate ("LEB" and "13" as "LEB-13", confidently) when the
    row of digits below was missed (a tilted plate): it is never a plate by itself. A
    one-row plate's digits after its dash are as tall as its letters.
    """
    boxes = row.char_boxes
    heights = boxes[:, 3] - boxes[:, 1]
    gaps = boxes[1:, 0] - boxes[:-1, 2]
    wide = np.flatnonzero(gaps > _DASH_GAP_SHARE * float(np.median(heights)))
    if len(wide) != 1:
        return False
    split = int(wide[0]) + 1
    series, year = heights[:split], heights[split:]
    return (
        len(series) >= 2
        and 1 <= len(year) <= 2
        and float(year.max()) < _YEAR_HEIGHT_SHARE * float(np.median(series))
    )


def _scaled_layout(layout: PlateLayout, factor: float) -> PlateLayout:
    """The layout in the pixels of an image ``factor`` times the size."""
    rows = tuple(
        TextLine(np.round(row.char_boxes * factor).astype(int), row.dark_text)
        for row in layout.rows
    )
    return PlateLayout(rows, layout.score)


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return False
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height > 0.4 * smaller


def _reach(gray: np.ndarray, layout: PlateLayout) -> tuple[int, int]:
    """The columns of a one-line layout's row, glyphs its segmentation missed at the ends
    included (``row_reach``); a two-line layout's own columns (its top row ends in the
    year, apart)."""
    x1, _, x2, _ = layout.xyxy
    if layout.two_line:
        return x1, x2
    row = layout.rows[0]
    band_rise = round(_REACH_BAND * row.char_height_px)
    top = max(0, row.xyxy[1] - band_rise)
    band = gray[top : row.xyxy[3] + band_rise]
    reach = row_reach(band, row.char_boxes, top, dark=row.dark_text)
    return reach.left, reach.right


def _rectified_crop(
    image_bgr: np.ndarray,
    layout: PlateLayout,
    columns: tuple[float, float],
    *,
    margin: float | None = None,
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Cut the layout (its glyphs spanning ``columns``) with a margin (``margin``
    character heights on each side, or the generous default) and rotate its baseline
    level."""
    height, width = image_bgr.shape[:2]
    _, y1, _, y2 = layout.xyxy
    x1, x2 = columns
    h = layout.char_height_px
    short = not layout.two_line and layout.rows[0].count < _SHORT_ROW_CHARS
    # Generous margins: the crop is segmented again at a higher resolution, where the
    # characters (or the second row) missed here can still be found.
    margin_x = _SHORT_ROW_MARGIN_X if short else _CROP_MARGIN_X
    margin_y = _CROP_MARGIN_Y
    if margin is not None:
        margin_x = margin_y = margin
    box = (
        max(0.0, x1 - margin_x * h),
        max(0.0, y1 - margin_y * h),
        min(float(width), x2 + margin_x * h),
        min(float(height), y2 + margin_y * h),
    )
    crop = image_bgr[int(box[1]) : int(np.ceil(box[3])), int(box[0]) : int(np.ceil(box[2]))]
    angle = layout.angle_deg
    if abs(angle) > 2.0 and crop.size:
        centre = (crop.shape[1] / 2.0, crop.shape[0] / 2.0)
        rotation = cv2.getRotationMatrix2D(centre, angle, 1.0)
        crop = cv2.warpAffine(
            crop, rotation, (crop.shape[1], crop.shape[0]), borderMode=cv2.BORDER_REPLICATE
        )
    return np.ascontiguousarray(crop), box
