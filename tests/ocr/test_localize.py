"""Plate localisation on real crops and full scenes (no model)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr import localize, panels
from ocr.segment import find_text_lines

GENERATED = Path(__file__).resolve().parents[1] / "data" / "plates" / "generated"
OPENALPR = Path(__file__).resolve().parents[1] / "data" / "plates" / "openalpr"


def _iou(a, b) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _gray_at_height(image_bgr: np.ndarray, height_px: int = 160) -> np.ndarray:
    scale = height_px / image_bgr.shape[0]
    return cv2.cvtColor(cv2.resize(image_bgr, None, fx=scale, fy=scale), cv2.COLOR_BGR2GRAY)


def test_it_finds_both_rows_of_a_punjab_plate(pk_crops) -> None:
    for name in ("Punjab-Plates_p_3.jpg", "Punjab-Plates_111.jpg", "Punjab-Plates_p_36.jpg"):
        layout = localize.find_layouts(_gray_at_height(pk_crops[name].image_bgr), plate_crop=True)[
            0
        ]
        assert layout.two_line, name
        top, bottom = layout.rows
        assert top.xyxy[3] <= bottom.xyxy[1] + 0.1 * bottom.char_height_px
        # The digits row holds exactly the registration digits.
        assert bottom.count == len(pk_crops[name].plate.split("-")[1]), name


def test_it_reads_a_sindh_plate_as_one_row_without_the_province_word(pk_crops) -> None:
    for name in ("Karachi-Plate_5.JPG", "Karachi-Plate_29.JPG"):
        layout = localize.find_layouts(_gray_at_height(pk_crops[name].image_bgr), plate_crop=True)[
            0
        ]
        assert not layout.two_line, name
        # "ASY-747": six characters (the dash is not a character blob).
        assert layout.rows[0].count == len(pk_crops[name].plate.replace("-", "")), name


def test_it_locates_the_plate_in_full_scenes(scenes) -> None:
    for name, scene in scenes.items():
        x, y, w, h = scene.box_xywh
        # As many candidates as the reader reads of a whole frame (DL3C2Z's is the 5th).
        candidates = localize.locate(scene.image_bgr, limit=5)
        assert candidates, name
        assert max(_iou(c.xyxy, (x, y, x + w, y + h)) for c in candidates) > 0.3, name
        assert all(0.0 <= c.score <= 1.0 for c in candidates)


def test_a_frame_searched_reduced_also_gives_its_plate_at_the_cameras_resolution(
    scenes, pk_crops
) -> None:
    # 1280x720, searched at 960 px wide: the crop from the frame itself is 4/3 the size.
    frame = scenes["wts-lg-000120.jpg"].image_bgr
    candidate = localize.locate(frame, limit=1)[0]
    assert candidate.full_res_crop_bgr is not None
    reduced, full = candidate.crop_bgr.shape, candidate.full_res_crop_bgr.shape
    assert full[0] == pytest.approx(reduced[0] * 1280 / 960, abs=3)
    assert full[1] == pytest.approx(reduced[1] * 1280 / 960, abs=3)
    # A frame searched at its size, and a vehicle box (enlarged or not), have one crop.
    small = scenes["test_045.jpg"].image_bgr
    assert max(small.shape[:2]) <= localize.MAX_WORK_SIDE_PX
    assert all(c.full_res_crop_bgr is None for c in localize.locate(small, limit=3))
    vehicle = localize.locate(frame, vehicle=True, limit=3)
    assert vehicle and all(c.full_res_crop_bgr is None for c in vehicle)


def test_a_candidate_is_also_cut_close_around_its_glyphs(scenes) -> None:
    candidate = localize.locate(scenes["wts-lg-000106.jpg"].image_bgr, limit=1)[0]
    close, generous = candidate.close_crop_bgr, candidate.crop_bgr
    assert close is not None
    # Half a character height around the glyphs, against 1.0 above and below and 1.2
    # beside: a row of glyphs h tall is cut 2h tall, not 3h.
    assert close.shape[0] == pytest.approx(generous.shape[0] * 2 / 3, rel=0.15)
    assert close.shape[1] < generous.shape[1]
    # Only a whole frame's: in a vehicle's box the reader reads no close cut.
    car = scenes["wts-lg-000106.jpg"].image_bgr
    assert all(c.close_crop_bgr is None for c in localize.locate(car, vehicle=True, limit=3))


def test_it_locates_the_plate_inside_a_vehicle_box_in_frame_coordinates(pk_crops) -> None:
    car = pk_crops["test-images_a14.jpg"].image_bgr
    candidates = localize.locate(car[200:449, 250:600], offset_xy=(250, 200), limit=3)
    assert candidates
    x1, y1, x2, y2 = candidates[0].xyxy
    # The yellow plate sits under the rear window, around x 350-470, y 260-300.
    assert 330 <= x1 < x2 <= 490 and 240 <= y1 < y2 <= 320
    assert candidates[0].crop_bgr.shape[0] > 0


def test_it_finds_no_plate_in_a_frame_without_characters() -> None:
    rng = np.random.default_rng(7)
    smooth = cv2.GaussianBlur(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8), (0, 0), 25)
    assert localize.locate(smooth) == []


def _sample_frame(sample: str, plate: str, rank: int = 0) -> tuple[np.ndarray, dict]:
    """A frame of a shipped generator clip where the plate is ``rank``-th widest."""
    folder = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / sample
    vehicle = next(
        v
        for v in json.loads((folder / "truth.json").read_text())["vehicles"]
        if v["plate"] == plate
    )
    frames = sorted(
        (f for f in vehicle["frames"] if f.get("plate_box_px")),
        key=lambda f: -(f["plate_box_px"][2] - f["plate_box_px"][0]),
    )
    frame = frames[rank]
    capture = cv2.VideoCapture(str(folder / "clip.mp4"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, frame["index"])
    ok, image = capture.read()
    capture.release()
    assert ok
    return image, frame


@pytest.mark.parametrize(
    ("sample", "plate"), [("junction", "ICT-3568"), ("urban-bus-lane", "ICT-7952")]
)
@pytest.mark.parametrize("rank", [0, 2])
def test_it_keeps_a_small_plates_touching_letters(sample: str, plate: str, rank: int) -> None:
    # At ~10 px the bold "ICT" runs together into one blob no character filter accepts.
    image, frame = _sample_frame(sample, plate, rank)
    candidates = localize.locate(
        image[
            int(frame["box_px"][1]) : int(frame["box_px"][3]),
            int(frame["box_px"][0]) : int(frame["box_px"][2]),
        ],
        offset_xy=(int(frame["box_px"][0]), int(frame["box_px"][1])),
        vehicle=True,
    )
    x1, _, x2, _ = frame["plate_box_px"]
    assert candidates
    # The candidate spans the plate's text from its first letter (not from the "T").
    assert candidates[0].xyxy[0] <= x1 + 0.15 * (x2 - x1)


def test_it_keeps_a_small_bold_w_in_its_row() -> None:
    # 720p, ~9 px tall: blur widens the "W" of "XRW-7486" to 1.5x its height, a blob that
    # cannot be cut into glyphs. Dropped, it left a gap that split the row in two.
    vehicle = cv2.imread(str(GENERATED / "junction-720-seed3_XRW-7486.jpg"))
    candidates = localize.locate(vehicle, vehicle=True)
    # The plate lies at x 146-206, y 386-408 in this vehicle box (the clip's truth).
    x1, y1, x2, y2 = candidates[0].xyxy
    assert x1 <= 150 and x2 >= 202 and 380 <= y1 < y2 <= 414


def test_it_does_not_cut_large_shapes_into_characters(pk_crops) -> None:
    # A car photo read as a plate crop: its rear window must not pass as a row of glyphs.
    image = pk_crops["test-images_b2.jpg"].image_bgr
    assert localize.locate(image, plate_crop=True) == []


def test_it_pairs_a_punjab_series_printed_smaller_than_its_number() -> None:
    # Generator frame (1080p): "LEH" beside its year is ~2/3 the height of "411" there.
    image = cv2.imread(str(GENERATED / "urban-bus-lane-1080-seed2_LEH-411.jpg"))
    candidates = localize.locate(image, vehicle=True)
    assert candidates and candidates[0].two_line


def test_it_cuts_a_row_of_two_stacked_rows_run_together_in_two() -> None:
    vehicle = cv2.imread(str(GENERATED / "urban-bus-lane-720-seed3_LE-7359.jpg"))
    crop = localize.locate(vehicle, vehicle=True)[0].crop_bgr
    gray = _gray_at_height(crop)
    layout = localize.find_layouts(gray, plate_crop=True)[0]
    assert not layout.two_line
    split = localize.split_rows(gray, layout)
    assert split is not None and split.two_line
    top, bottom = split.rows
    assert top.xyxy[3] <= bottom.xyxy[1]
    assert localize.split_rows(gray, split) is None


def test_a_short_row_is_cut_with_room_for_the_rest_of_its_plate() -> None:
    # "BCD·200" on a yellow plate under a white bonnet: in the scene only "BCD" forms a
    # row (the bright bonnet skews the local threshold and joins "200" to the plate's
    # edge); its crop must still hold the digits, which segment once it is enlarged.
    car = cv2.imread(str(GENERATED.parent / "pk" / "test-images_a10.jpg"))
    best = localize.locate(car, limit=1)[0]
    layout = localize.find_layouts(_gray_at_height(best.crop_bgr), plate_crop=True)[0]
    assert layout.rows[0].count == len("BCD200")


def test_large_characters_are_found_on_a_shrunk_image_in_full_size_pixels(pk_crops) -> None:
    # "ASY-747" with 56 px and (three times enlarged) 168 px characters: the large ones
    # are segmented at an eighth of the size, and their boxes come back in full pixels.
    rows = []
    for height_px in (160, 480):
        gray = _gray_at_height(pk_crops["Karachi-Plate_5.JPG"].image_bgr, height_px)
        lines = find_text_lines(gray, min_char_height_px=7, max_char_height_px=0.8 * height_px)
        rows.append(max(lines, key=lambda line: line.count))
    small, large = rows
    assert small.count == large.count == len("ASY747")
    assert np.allclose(np.array(large.xyxy), 3 * np.array(small.xyxy), atol=12)


def test_a_plate_amid_fine_texture_is_found_past_the_16_bit_label_limit(pk_crops) -> None:
    # A fine dot texture (a grille, gravel) thresholds into more blobs than 16-bit
    # labels can number: the labelling falls back to 32-bit and still finds the plate.
    plate = _gray_at_height(pk_crops["Karachi-Plate_5.JPG"].image_bgr)
    canvas = np.full((900, 720), 255, np.uint8)
    canvas[::2, ::2] = 0
    canvas[300 : 300 + plate.shape[0], 100 : 100 + plate.shape[1]] = plate
    lines = find_text_lines(canvas, min_char_height_px=7, max_char_height_px=180)
    assert max(line.count for line in lines) == len("ASY747")


def test_a_dash_touching_a_letter_does_not_hide_the_letter() -> None:
    # 1080p, ~14 px tall: the "G" of "YEG-7329" touches the dash after it. Cut off the
    # "G", the flat dash failed the glyph-height test and took the "G" down with it.
    vehicle = cv2.imread(str(GENERATED / "junction-1080-seed1_YEG-7329.jpg"))
    crop = localize.locate(vehicle, vehicle=True)[0].crop_bgr
    upscale = 160 / crop.shape[0]
    layout = localize.find_layouts(_gray_at_height(crop), plate_crop=True, upscale=upscale)[0]
    assert layout.rows[0].count == len("YEG7329")


@pytest.mark.parametrize(
    ("centre_y", "prior"), [(0.9, 1.0), (0.5, 1.0), (0.4, 1.0), (0.2, 0.25), (0.0, 0.1)]
)
def test_a_plate_high_up_in_its_vehicle_box_counts_for_less(centre_y: float, prior: float) -> None:
    vehicle = (100.0, 200.0, 300.0, 400.0)
    candidate = (150.0, 200.0 + 200.0 * centre_y - 10.0, 250.0, 200.0 + 200.0 * centre_y + 10.0)
    assert localize.plate_position_prior(candidate, vehicle) == pytest.approx(prior)


def test_a_character_found_by_two_thresholds_counts_once() -> None:
    # Slovak "BB751BH": both "B"s were found by the plain and the strict threshold; the
    # row held them twice, so the emblem read between them as an "E" was no excess.
    crop = cv2.imread(str(OPENALPR / "test_016_BB751BH.png"))
    upscale = 160 / crop.shape[0]
    # Enlarged as the reader enlarges a crop.
    image = cv2.resize(crop, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_CUBIC)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    layout = localize.find_layouts(gray, plate_crop=True, upscale=upscale)[0]
    boxes = layout.rows[0].char_boxes
    overlaps = np.minimum(boxes[:-1, 2], boxes[1:, 2]) - np.maximum(boxes[:-1, 0], boxes[1:, 0])
    widths = np.minimum(boxes[:-1, 2] - boxes[:-1, 0], boxes[1:, 2] - boxes[1:, 0])
    assert (overlaps <= 0.5 * widths).all()


PANELS = Path(__file__).resolve().parents[1] / "data" / "plates" / "panels"


def test_a_light_plate_on_a_dark_car_the_text_search_misses_is_found_as_a_panel() -> None:
    # Slovak "SI819AK" on a dark red car in a 530 px photo: characters 32 px tall, yet
    # no text row of the search covers the plate.
    image = cv2.imread(str(PANELS / "test_003.jpg"))
    name, x, y, w, h, _ = (PANELS / "test_003.txt").read_text().split("\t")
    plate = (int(x), int(y), int(x) + int(w), int(y) + int(h))
    assert all(_iou(c.xyxy, plate) < 0.3 for c in localize.locate(image, limit=3))

    (box, crop), *_ = panels.bright_panels(image, limit=1)

    assert _iou(box, plate) > 0.5
    assert crop.shape[0] > int(h) and crop.shape[1] > int(w)  # with a margin, as a given box


def test_only_a_bright_rectangle_of_a_plates_shape_is_a_panel() -> None:
    frame = np.full((360, 640, 3), 40, np.uint8)
    cv2.rectangle(frame, (60, 60), (160, 160), (220, 220, 220), -1)  # a square window
    cv2.circle(frame, (400, 100), 40, (220, 220, 220), -1)  # a lamp
    assert panels.bright_panels(frame) == []
    # A plate's shape the image's edge cuts off is a window or sky running out of it.
    cv2.rectangle(frame, (560, 330), (639, 359), (220, 220, 220), -1)
    assert panels.bright_panels(frame) == []
    cv2.rectangle(frame, (300, 250), (420, 280), (220, 220, 220), -1)  # 4:1, a plate's shape
    ((x1, y1, x2, y2), _), *_ = panels.bright_panels(frame)
    assert abs(x1 - 300) <= 3 and abs(y1 - 250) <= 3 and abs(x2 - 421) <= 3 and abs(y2 - 281) <= 3


def test_a_bright_plate_in_a_dark_margin_is_segmented_with_a_finer_mean() -> None:
    # US "SB3 X6N", cut with the benchmark's margin of dark car around it: the threshold's
    # mean, as wide as a glyph filling the crop could be, is dragged down by the margin
    # below the glyphs' grey, and no row of them forms. A mean half as wide finds all six.
    image = cv2.imread(str(OPENALPR / "car18_SB3X6N.png"))
    scale = 160 / image.shape[0]
    gray = _gray_at_height(image)
    coarse = localize.find_layouts(gray, plate_crop=True, upscale=scale)
    assert max((layout.rows[0].count for layout in coarse), default=0) < 3
    finer = localize.find_layouts(gray, plate_crop=True, upscale=scale, finer_fallback=True)
    assert finer[0].rows[0].count == 6


def test_the_finer_mean_is_not_tried_where_the_wide_one_found_a_row(pk_crops) -> None:
    # Pakistani crops whose rows the wide mean finds: the same layouts either way (with
    # the finer mean tried too, a Punjab crop's layouts change).
    for name, image in pk_crops.items():
        scale = 160 / image.image_bgr.shape[0]
        gray = _gray_at_height(image.image_bgr)
        plain = localize.find_layouts(gray, plate_crop=True, upscale=scale)
        if max((row.count for layout in plain for row in layout.rows), default=0) < 3:
            continue
        finer = localize.find_layouts(gray, plate_crop=True, upscale=scale, finer_fallback=True)
        assert [layout.xyxy for layout in plain] == [layout.xyxy for layout in finer], name
