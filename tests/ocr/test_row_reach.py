"""Glyphs the segmentation missed at a row's ends, between its glyphs or along its band:
reached by the row's crop, while the plate's frame, an emblem or a dash beside the row
is not."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr import localize
from ocr.formats import canonical
from ocr.row_reach import glyph_slots_in_gaps, row_reach, with_glyphs_along
from tests.ocr.conftest import OPENALPR


def _drawn_row(text: str = "ABC1234") -> tuple[np.ndarray, np.ndarray]:
    """A light plate with dark glyphs, and its segmented boxes (one per glyph)."""
    plate = np.full((100, 60 + 32 * len(text)), 235, np.uint8)
    for i, char in enumerate(text):
        cv2.putText(plate, char, (30 + 32 * i, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 20, 3)
    layout = localize.find_layouts(plate, plate_crop=True)[0]
    boxes = layout.rows[0].char_boxes
    assert len(boxes) == len(text)
    return plate, boxes


def _reach(plate: np.ndarray, boxes: np.ndarray) -> tuple[int, int]:
    reach = row_reach(plate, boxes, 0, dark=True)
    return reach.left, reach.right


def test_a_glyph_missed_at_either_end_is_reached() -> None:
    plate, boxes = _drawn_row()
    # As if the first glyph and the last two had run into the frame and not segmented.
    # (A missed glyph is boxed in its pitch-placed slot: a wide "A" may stick out.)
    first, last = _reach(plate, boxes[1:-2])
    assert abs(first - int(boxes[0, 0])) <= 3
    assert abs(last - int(boxes[-1, 2])) <= 3


def test_the_row_of_all_its_glyphs_reaches_no_further() -> None:
    plate, boxes = _drawn_row()
    assert _reach(plate, boxes) == (int(boxes[0, 0]), int(boxes[-1, 2]))
    assert not row_reach(plate, boxes, 0, dark=True).end_in_doubt


def test_a_row_reaches_only_the_sides_asked_at_the_pitch_given() -> None:
    # A Punjab series: two glyphs (no pitch of their own), the year on their right.
    plate, boxes = _drawn_row()
    pitch = float(np.median(np.diff((boxes[:, 0] + boxes[:, 2]) / 2.0)))
    assert _reach(plate, boxes[2:4]) == (int(boxes[2, 0]), int(boxes[3, 2]))
    reach = row_reach(plate, boxes[2:4], 0, dark=True, pitch=pitch, sides=(True, False))
    assert abs(reach.left - int(boxes[0, 0])) <= 3
    assert reach.right == int(boxes[3, 2])


@pytest.mark.parametrize(
    "mark",
    [
        "frame",  # a vertical edge running on above and below the glyphs
        "dash",  # flat, in the row's middle
        "emblem",  # paler than the glyphs' ink (a coloured coat of arms in grey)
    ],
)
def test_what_is_no_glyph_beside_the_row_is_neither_reached_nor_found(mark: str) -> None:
    plate, boxes = _drawn_row()
    last = boxes[-1]
    x1, x2 = int(last[2]) + 10, int(last[2]) + 30
    top, bottom = int(boxes[:, 1].min()), int(boxes[:, 3].max())
    if mark == "frame":
        plate[:, x1 : x1 + 8] = 20
    elif mark == "dash":
        plate[(top + bottom) // 2 - 3 : (top + bottom) // 2 + 3, x1:x2] = 20
    else:
        cv2.ellipse(plate, ((x1 + x2) // 2, (top + bottom) // 2), (10, 16), 0, 0, 360, 150, -1)
    reach = row_reach(plate, boxes, 0, dark=True)
    assert reach.right == int(last[2]) and not reach.end_in_doubt
    found, ends_found = with_glyphs_along(plate, boxes, 0, dark=True)
    assert len(found) == len(boxes) and not ends_found


def test_a_glyph_paler_than_the_row_beyond_its_end_leaves_the_end_in_doubt() -> None:
    # A glyph blurred thin, or an emblem as tall as a glyph: not reached, and not ruled out.
    plate, boxes = _drawn_row("ABC12345")
    faint = plate.copy()
    faint[:, int(boxes[-1, 0]) - 4 :] = 235
    cv2.putText(faint, "5", (30 + 32 * 7, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 160, 3)
    reach = row_reach(faint, boxes[:-1], 0, dark=True)
    assert reach.right == int(boxes[-2, 2]) and reach.end_in_doubt
    # As dark as the row, the same glyph is reached.
    assert row_reach(plate, boxes[:-1], 0, dark=True).right >= int(boxes[-1, 2]) - 3


def test_a_glyph_missed_between_two_segmented_ones_is_found() -> None:
    plate, boxes = _drawn_row()
    # As if the "1" had touched the frame and made no character blob.
    found, ends_found = with_glyphs_along(plate, np.delete(boxes, 3, axis=0), 0, dark=True)
    assert len(found) == len(boxes) and not ends_found
    assert np.abs(found[3] - boxes[3]).max() <= 3


@pytest.mark.parametrize("mark", ["blank", "dash", "emblem"])
def test_a_dash_a_pale_emblem_or_nothing_between_the_glyphs_is_no_glyph(mark: str) -> None:
    plate, boxes = _drawn_row()
    # The "1" wiped out: its slot holds a dash, an emblem paler than the glyphs, or nothing.
    x1, x2 = int(boxes[3, 0]) - 2, int(boxes[3, 2]) + 2
    plate[:, x1:x2] = 235
    top, bottom = int(boxes[:, 1].min()), int(boxes[:, 3].max())
    middle = (top + bottom) // 2
    if mark == "dash":
        plate[middle - 3 : middle + 3, x1:x2] = 20
    elif mark == "emblem":
        cv2.ellipse(plate, ((x1 + x2) // 2, middle), (8, (bottom - top) // 2), 0, 0, 360, 150, -1)
    rest = np.delete(boxes, 3, axis=0)
    found, _ = with_glyphs_along(plate, rest, 0, dark=True)
    assert len(found) == len(rest)
    assert glyph_slots_in_gaps(plate, rest, 0, dark=True) == []


def test_a_gap_a_glyph_wide_at_the_rows_pitch_holds_a_glyph_slot() -> None:
    plate, boxes = _drawn_row()
    # As if the "1" had touched a dealer's line below it and made no character blob.
    slots = glyph_slots_in_gaps(plate, np.delete(boxes, 3, axis=0), 0, dark=True)
    assert len(slots) == 1 and np.abs(slots[0] - boxes[3]).max() <= 3
    # A row of all its glyphs has no gap to fill.
    assert glyph_slots_in_gaps(plate, boxes, 0, dark=True) == []


def _framed_row() -> tuple[np.ndarray, np.ndarray]:
    """A drawn row whose frame's bar runs along its glyphs' feet, and the row's boxes."""
    plate, boxes = _drawn_row()
    bottom = int(boxes[:, 3].max())
    plate[bottom - 2 : bottom + 5, 10:-10] = 20
    return plate, boxes


def test_glyphs_joined_by_a_frames_bar_are_found_along_the_row() -> None:
    plate, boxes = _framed_row()
    # The bar joins the glyphs into one blob: no character blobs but (say) the first two.
    found, ends_found = with_glyphs_along(plate, boxes[:2], 0, dark=True)
    assert len(found) == len(boxes)
    assert np.abs(found[:, [0, 2]] - boxes[:, [0, 2]]).max() <= 3
    assert ends_found
    # A row of all its glyphs gains none, and its ends stand.
    found, ends_found = with_glyphs_along(plate, boxes, 0, dark=True)
    assert len(found) == len(boxes) and not ends_found


def test_a_glyph_run_into_a_segmented_one_is_found_beside_it() -> None:
    plate, boxes = _drawn_row()
    # The "1" joined to the "2" by a smear: one blob two glyphs wide, of which the
    # segmentation kept only the "2".
    middle = int(boxes[:, 1].min() + boxes[:, 3].max()) // 2
    centres = (boxes[:, 0] + boxes[:, 2]) // 2
    plate[middle - 2 : middle + 2, int(centres[3]) : int(centres[4])] = 20
    found, ends_found = with_glyphs_along(plate, np.delete(boxes, 3, axis=0), 0, dark=True)
    assert len(found) == len(boxes) and not ends_found
    assert abs(int(found[3, 0]) - int(boxes[3, 0])) <= 3


def test_glyphs_along_are_looked_for_only_at_the_sides_asked() -> None:
    # A Punjab series: its year, on its right, is read apart.
    plate, boxes = _framed_row()
    found, _ = with_glyphs_along(plate, boxes[2:4], 0, dark=True, sides=(True, False))
    assert [int(box[0]) for box in found] == pytest.approx(
        [int(box[0]) for box in boxes[:4]], abs=3
    )


def _crop_row(name: str) -> tuple[np.ndarray, np.ndarray]:
    image = cv2.imread(str(OPENALPR / name))
    scale = 160 / image.shape[0]
    # Enlarged as the reader enlarges a plate crop.
    enlarged = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    gray = cv2.cvtColor(enlarged, cv2.COLOR_BGR2GRAY)
    row = localize.find_layouts(gray, plate_crop=True, upscale=scale)[0].rows[0]
    return gray, row.char_boxes


def test_a_real_plates_last_glyph_the_segmentation_missed_is_reached() -> None:
    # A US plate, "AKS4329": its "9" blurred into the frame and made no character blob.
    gray, boxes = _crop_row("car6_AKS4329.png")
    pitch = float(np.median(np.diff((boxes[:, 0] + boxes[:, 2]) / 2.0)))
    assert row_reach(gray, boxes, 0, dark=True).right >= int(boxes[-1, 2]) + 0.5 * pitch


def test_a_real_plates_coat_of_arms_is_not_reached() -> None:
    # A Slovak plate: the coat of arms over "SK", left of "RK867AD", blurred into one blob
    # as tall as a glyph, but paler.
    gray, boxes = _crop_row("test_017_RK867AD.png")
    reach = row_reach(gray, boxes, 0, dark=True)
    assert reach.left == int(boxes[0, 0]) and reach.end_in_doubt


@pytest.mark.parametrize(
    ("name", "plate"), [("car6_AKS4329.png", "AKS4329"), ("test_017_RK867AD.png", "RK867AD")]
)
def test_the_reader_reads_the_reached_glyph_and_not_the_emblem(
    plate_reader, name: str, plate: str
) -> None:
    reading = plate_reader.read_crop(cv2.imread(str(OPENALPR / name)))
    assert (reading.text or reading.candidates[0][0]).replace("-", "") == plate


def test_a_real_plates_glyph_the_segmentation_missed_beside_its_dash_is_read(
    plate_reader,
) -> None:
    # A Slovak "MT-456BJ": its "4" made no character blob; the recogniser read it, but
    # as a glyph between the segmented ones it was dropped as an emblem ("MT56BJ").
    gray, boxes = _crop_row("test_061_MT456BJ.png")
    assert len(boxes) == 6
    found, ends_found = with_glyphs_along(gray, boxes, 0, dark=True)
    assert len(found) == 7 and not ends_found
    reading = plate_reader.read_crop(cv2.imread(str(OPENALPR / "test_061_MT456BJ.png")))
    assert (reading.text or reading.candidates[0][0]) == "MT456BJ"


def test_a_scene_candidate_cut_through_a_glyph_is_read_again_wider(plate_reader) -> None:
    # In the photo only "PD" made a row; its candidate crop, with room for four more
    # characters, ends inside the "B" of "PD935BG" and read "PD-935" (a Pakistani
    # layout). The glyph cut by the crop's edge marks the reading as cut short.
    image = cv2.imread(str(Path(OPENALPR).parent / "scenes" / "test_083.jpg"))
    reading = plate_reader.read_track([(image, None)])
    assert (reading.text or reading.candidates[0][0]) == "PD935BG"


def test_a_real_plates_glyphs_joined_to_its_frame_are_found_along_the_row(plate_reader) -> None:
    # A US "UG9 L8U" whose frame touches its glyphs: only "U" and "9" make character
    # blobs, and the reader read "U-9".
    gray, boxes = _crop_row("wts-lg-000099_UG9L8U.png")
    assert len(boxes) == 2
    found, _ = with_glyphs_along(gray, boxes, 0, dark=True)
    assert len(found) == 6
    reading = plate_reader.read_crop(cv2.imread(str(OPENALPR / "wts-lg-000099_UG9L8U.png")))
    assert (reading.text or reading.candidates[0][0]) == "UG9L8U"


def test_a_real_plates_frame_side_is_no_glyph_along_the_row() -> None:
    # A US "HF4Y3B": the frame's side left of the "H" is as tall as the glyphs.
    gray, boxes = _crop_row("wts-lg-000045_HF4Y3B.png")
    found, ends_found = with_glyphs_along(gray, boxes, 0, dark=True)
    assert len(found) == len(boxes) == 6 and not ends_found


def test_a_real_plates_glyph_run_into_its_neighbour_is_read(plate_reader) -> None:
    # A US "TNP 222": its first "2" runs into the second and makes no character blob of
    # its own; the recogniser read "TNP222", but one "2" was dropped as a stray ("TNP-22").
    reading = plate_reader.read_crop(cv2.imread(str(OPENALPR / "wts-lg-000053_TNP222.png")))
    assert canonical(reading.text or reading.candidates[0][0]) == "TNP222"
