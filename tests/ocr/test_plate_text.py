"""Plate rows: glyphs read off the segmented characters, and how sure a reading is (no model)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr import localize
from ocr.formats import canonical, parse_plate
from ocr.fusion import DEFAULT_MIN_CONFIDENCE
from ocr.plate_text import choose_trim, plate_confidence, read_char_count, refine_with_odds
from ocr.recognition import LineReading
from ocr.row_crop import RowCrop
from ocr.row_cutting import row_crops

PLATES = Path(__file__).resolve().parents[1] / "data" / "plates"

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _reading(text: str, char_x: list[float]) -> LineReading:
    probs = np.zeros((len(text), len(ALPHABET)))
    for i, char in enumerate(text):
        if char in ALPHABET:
            probs[i, ALPHABET.index(char)] = 1.0
    return LineReading(text, (0.9,) * len(text), probs, ALPHABET, tuple(char_x))


# Seven characters segmented as on a Slovak plate "RK[emblem]346AL": a gap after K.
SPANS = (
    (0.05, 0.13),
    (0.15, 0.23),
    (0.35, 0.43),
    (0.45, 0.53),
    (0.55, 0.63),
    (0.65, 0.73),
    (0.75, 0.83),
)


def _row(spans=SPANS) -> RowCrop:
    return RowCrop(np.zeros((10, 10), np.uint8), "line", (0.05, 0.83), len(spans), spans, 0.1)


def test_it_drops_an_emblem_read_between_the_characters() -> None:
    line = _reading("RKE346AL", [0.09, 0.19, 0.29, 0.39, 0.49, 0.59, 0.69, 0.79])
    assert _row().drop_strays(line).text == "RK346AL"


def test_it_keeps_every_glyph_when_no_more_were_read_than_segmented() -> None:
    # The segmentation missed a character: the glyph in the gap is that character.
    line = _reading("RK3346A", [0.09, 0.19, 0.29, 0.39, 0.49, 0.59, 0.69])
    assert _row().drop_strays(line).text == "RK3346A"


@pytest.mark.parametrize(
    ("text", "char_x"),
    [
        ("RK346AL1", [0.09, 0.19, 0.39, 0.49, 0.59, 0.69, 0.79, 0.95]),  # right margin
        ("ERK346AL", [0.01, 0.09, 0.19, 0.39, 0.49, 0.59, 0.69, 0.79]),  # left margin
    ],
)
def test_it_leaves_glyphs_in_the_margins_to_the_formats(text: str, char_x: list[float]) -> None:
    assert _row().drop_strays(_reading(text, char_x)).text == text


def test_a_dash_does_not_count_as_a_read_character() -> None:
    line = _reading("RK-346AL", [0.09, 0.19, 0.29, 0.39, 0.49, 0.59, 0.69, 0.79])
    assert _row().drop_strays(line).text == "RK-346AL"


@pytest.mark.parametrize("raw", ["RK576AH", "CHL 9084"])
def test_one_sure_reading_no_format_vouches_for_stays_below_the_threshold(raw: str) -> None:
    # Unknown format, and a Pakistani shape with no colour, layout or word to confirm it.
    parsed = parse_plate(raw)
    assert not parsed.format_cued
    assert plate_confidence((0.99,) * len(canonical(raw)), parsed, len(canonical(raw))) < (
        DEFAULT_MIN_CONFIDENCE
    )


def test_the_dash_between_a_foreign_readings_blocks_is_no_character() -> None:
    # "I-11" (three characters read from a US photo's sticker, written with a dash
    # between its blocks) was counted four: no fragment, and one character more than
    # the three segmented. It outranked the plate's own row, read fourth.
    fragment, plate = parse_plate("I11"), parse_plate("EUS664")
    assert fragment.text == "I-11" and read_char_count(fragment) == 3
    assert read_char_count(plate) == 6
    # A fragment is believed 0.3 as much as a plate read as surely.
    assert plate_confidence((0.9,) * 3, fragment, 3) == pytest.approx(
        0.3 * plate_confidence((0.9,) * 6, plate, 6)
    )


def test_four_characters_are_believed_less_than_a_registration() -> None:
    # A San Francisco photo: the taxi's roof sign read "TAX1" surely, the plate
    # "75061H1" less so. No registration is shorter than five characters.
    sign, plate = parse_plate("TAX1"), parse_plate("75061H1")
    assert plate_confidence((0.95,) * 4, sign, 4) < plate_confidence((0.87,) * 7, plate, 7)


def test_a_row_of_upright_strokes_is_believed_less_than_a_registration() -> None:
    # A US photo: a railing's bars read "IIITI7" outranked the plate "SH0R7X" read
    # with a glyph too many. No registration is mostly I, 1, J, T and L.
    railing, plate = parse_plate("IIITI7"), parse_plate("SH0LR7X")
    assert plate_confidence((0.7,) * 6, railing, 6) < plate_confidence((0.45,) * 7, plate, 7)


def test_a_word_is_believed_less_than_a_registration() -> None:
    # A Texas photo: the state's name above the plate read surely, "TEXAS", and the
    # plate less so. A registration holds a digit (every Pakistani one does); a row of
    # letters alone is a state's, a dealer's or a slogan's word.
    word, plate = parse_plate("TEXAS"), parse_plate("CWL9084")
    assert plate_confidence((0.99,) * 5, word, 5) < plate_confidence((0.55,) * 7, plate, 7)


@pytest.mark.parametrize(
    ("rare", "usual", "hints"),
    [
        ("EE\n6731", "LEE\n6731", ("two_line", "green_strip")),  # no district code: L lost
        ("ATZ 97", "ATZ 972", ("yellow",)),  # a two-digit number: a digit lost
        ("S-036", "BCS-036", ("yellow",)),  # one letter, three digits: letters lost
    ],
)
def test_a_plate_of_a_rare_shape_is_believed_less_on_one_frame(
    rare: str, usual: str, hints: tuple[str, ...]
) -> None:
    # What a blurred plate reads as when it loses a character, its glyphs read as surely
    # as the plate's: the rare shape falls below the threshold where the usual passes.
    parsed_rare, parsed_usual = parse_plate(rare, hints=hints), parse_plate(usual, hints=hints)
    assert parsed_rare.is_pakistani and parsed_usual.is_pakistani
    rare_n, usual_n = len(canonical(rare)), len(canonical(usual))
    rare_confidence = plate_confidence((0.78,) * rare_n, parsed_rare, rare_n)
    usual_confidence = plate_confidence((0.78,) * usual_n, parsed_usual, usual_n)
    assert usual_confidence >= DEFAULT_MIN_CONFIDENCE > rare_confidence


def test_a_cued_sure_reading_passes_the_threshold() -> None:
    parsed = parse_plate("CHL 9084", hints=("yellow",))
    assert plate_confidence((0.99,) * 7, parsed, 7) >= DEFAULT_MIN_CONFIDENCE


# "ICT-3568" segmented as seven characters; the narrow I's peak falls before its blob.
ICT_SPANS = (
    (0.06, 0.08),
    (0.12, 0.20),
    (0.22, 0.30),
    (0.38, 0.46),
    (0.48, 0.56),
    (0.58, 0.66),
    (0.68, 0.76),
)


def _ict_row() -> RowCrop:
    return RowCrop(np.zeros((10, 10), np.uint8), "line", (0.06, 0.76), 7, ICT_SPANS, 0.1)


def test_a_first_glyph_peaking_before_its_character_is_not_the_plate_edge() -> None:
    line = _reading("ICT-3568", [0.02, 0.15, 0.25, 0.33, 0.41, 0.51, 0.61, 0.71])
    assert _ict_row().lines_up(line)
    parsed, _, _ = choose_trim([_ict_row()], [line], ())
    assert parsed.text == "ICT-3568"


def test_a_count_that_matches_by_a_shift_of_one_character_does_not_line_up() -> None:
    # The plate's left edge read as I, its right edge segmented: every glyph one off.
    line = _reading("IBCS036", [0.0, 0.08, 0.18, 0.28, 0.42, 0.52, 0.62])
    assert not _ict_row().lines_up(line)


def test_glyphs_read_beyond_the_characters_leave_the_rest_lined_up() -> None:
    # "RK346AL" with the plate's edge read as "1" on the left and "4" on the right.
    line = _reading("1RK346AL4", [0.01, 0.09, 0.19, 0.39, 0.49, 0.59, 0.69, 0.79, 0.9])
    assert not _row().lines_up(line)
    assert _row().aligned_glyphs(line) == [1, 2, 3, 4, 5, 6, 7]
    assert _row().outside_glyphs(line) == ({0}, {8})


def test_a_run_shifted_by_a_character_is_not_lined_up_for_the_glyphs_left_over() -> None:
    # A character the segmentation missed ("T" between the 2nd and 3rd segments): no
    # run of seven glyphs lies nearest the seven segmented characters.
    line = _reading("RKT346AL", [0.09, 0.19, 0.27, 0.39, 0.49, 0.59, 0.69, 0.79])
    assert _row().aligned_glyphs(line) is None


def test_two_glyphs_in_one_box_beside_a_stray_box_do_not_line_up() -> None:
    # A California "6PGM335": its "33" segmented as one box, the frame's edge as a
    # seventh; the seven glyphs' count matches, but the second "3" peaks nearest the
    # "33" box, not the "5" it would be paired with (the glyph classifier's "5" and the
    # frame's "J" would re-rate the "3" and the "5").
    spans = (
        (0.094, 0.21),
        (0.215, 0.326),
        (0.339, 0.442),
        (0.455, 0.571),
        (0.584, 0.811),
        (0.82, 0.927),
        (0.94, 0.97),
    )
    row = RowCrop(np.zeros((10, 10), np.uint8), "line", (0.094, 0.97), 7, spans, 0.206)
    line = _reading("6PGM335", [0.156, 0.26, 0.385, 0.49, 0.635, 0.76, 0.865])
    assert row.aligned_glyphs(line) is None


@pytest.mark.parametrize(("confidence", "plate"), [(0.95, "5FEE732"), (0.5, "FEE-732")])
def test_a_glyph_read_surely_beyond_the_characters_is_not_cut_to_fit_a_format(
    confidence: float, plate: str
) -> None:
    # A US "5FEE732" whose "5" the segmentation missed: without it the rest reads as a
    # Sindh "FEE-732". Read surely, the "5" is the plate's; read unsurely, it may be the
    # plate's edge or a bolt.
    spans = tuple((0.2 + 0.1 * i, 0.28 + 0.1 * i) for i in range(6))
    row = RowCrop(np.zeros((10, 10), np.uint8), "line", (0.2, 0.78), 6, spans, 0.1)
    line = _reading("5FEE732", [0.1, 0.24, 0.34, 0.44, 0.54, 0.64, 0.74])
    line = replace(line, char_confidences=(confidence,) + line.char_confidences[1:])
    parsed, _, _ = choose_trim([row], [line], ())
    assert parsed.text == plate


def test_a_second_glyph_read_on_the_last_character_is_trimmed() -> None:
    # A condensed "W" read "14": the "4" beyond the run still lies on the "W".
    spans = SPANS[:-1] + ((0.75, 0.86),)
    row = RowCrop(np.zeros((10, 10), np.uint8), "line", (0.05, 0.86), 7, spans, 0.1)
    line = _reading("RK346A14", [0.09, 0.19, 0.39, 0.49, 0.59, 0.69, 0.78, 0.85])
    assert row.trim(line).text == "RK346A1"
    missed = _reading("RK346A1P", [0.09, 0.19, 0.39, 0.49, 0.59, 0.69, 0.79, 0.95])
    assert row.trim(missed).text == "RK346A1P"  # a character beyond the segmented ones


def _odds_reading(text: str, second: dict[int, tuple[str, float]]) -> LineReading:
    """A reading sure of ``text`` but where ``second`` gives a position a rival letter."""
    probs = np.zeros((len(text), len(ALPHABET)))
    for i, char in enumerate(text):
        rival = second.get(i)
        probs[i, ALPHABET.index(char)] = 1.0 - (rival[1] if rival else 0.0)
        if rival:
            probs[i, ALPHABET.index(rival[0])] = rival[1]
    return LineReading(text, (0.9,) * len(text), probs, ALPHABET, ())


@pytest.mark.parametrize(
    ("rival", "expected"), [(("E", 0.35), "LEA-152"), (("E", 0.05), "LCA-152")]
)
def test_a_punjab_series_leans_to_a_district_code_as_far_as_the_odds_allow(
    rival: tuple[str, float], expected: str
) -> None:
    # "LEA" over "152", the "E" read as "C": Lahore's code LE is far likelier than LC.
    series, digits = _odds_reading("LCA", {1: rival}), _odds_reading("152", {})
    parsed = parse_plate("LCA\n152", hints=("two_line",))
    refined, confidences = refine_with_odds(parsed, [series, digits], ("two_line",))
    assert refined.text == expected
    if expected == "LEA-152":
        # Chosen by the prior, the letter is only as sure as the network's odds for it.
        assert confidences[1] == pytest.approx(0.35)


def test_the_district_prior_weighs_letters_the_network_ranks_low() -> None:
    # Unsure of the first letter (flat odds): the code "MN" wins from fifth place.
    flat = {"K": 0.17, "N": 0.14, "A": 0.13, "H": 0.12, "P": 0.11, "M": 0.05}
    probs = np.zeros((3, len(ALPHABET)))
    for char, p in flat.items():
        probs[0, ALPHABET.index(char)] = p
    probs[1, ALPHABET.index("N")] = probs[2, ALPHABET.index("A")] = 1.0
    series = LineReading("KNA", (0.17, 1.0, 1.0), probs, ALPHABET, ())
    parsed = parse_plate("KNA\n1502", hints=("two_line",))
    refined, confidences = refine_with_odds(
        parsed, [series, _odds_reading("1502", {})], ("two_line",)
    )
    assert refined.text == "MNA-1502"
    assert confidences[0] < DEFAULT_MIN_CONFIDENCE


def test_a_one_line_plate_gets_no_district_prior() -> None:
    line = _odds_reading("LCA152", {1: ("E", 0.35)})
    parsed = parse_plate("LCA 152", hints=("yellow",))
    refined, _ = refine_with_odds(parsed, [line], ("yellow",))
    assert (refined.text, refined.format) == ("LCA-152", "sindh")


def _first_row_crop(path: Path | np.ndarray) -> tuple[int, RowCrop]:
    """The blobs segmented in a plate crop's best row, and that row cut for reading."""
    image = cv2.imread(str(path)) if isinstance(path, Path) else path
    scale = 160 / image.shape[0]
    gray = cv2.cvtColor(cv2.resize(image, None, fx=scale, fy=scale), cv2.COLOR_BGR2GRAY)
    layout = localize.find_layouts(gray, plate_crop=True, upscale=scale)[0]
    return layout.rows[0].count, row_crops(gray, layout)[0]


def test_a_row_whose_characters_the_images_edge_cuts_off_says_so() -> None:
    image = cv2.imread(str(PLATES / "pk" / "Karachi-Plate_5.JPG"))
    _, row = _first_row_crop(image)
    assert not row.glyphs_cut
    # The same plate with the image's top edge a third of the way down its characters.
    scale = 160 / image.shape[0]
    gray = cv2.cvtColor(cv2.resize(image, None, fx=scale, fy=scale), cv2.COLOR_BGR2GRAY)
    _, top, _, bottom = localize.find_layouts(gray, plate_crop=True, upscale=scale)[0].xyxy
    cut_at = int((top + (bottom - top) / 3) / scale)
    _, cut_row = _first_row_crop(image[cut_at:])
    assert cut_row.glyphs_cut


@pytest.mark.parametrize(
    "name",
    [
        "test_012_RK291AT.png",  # the blue EU strip ("SK") segmented as a glyph
        "test_011_RK346AL.png",  # the dark frame beside the plate's left edge
        "test_030_RK819AM.png",  # a piece of the frame, short and far left of the "R"
    ],
)
def test_the_plate_edge_or_strip_segmented_at_a_row_end_is_no_character(name: str) -> None:
    segmented, row = _first_row_crop(PLATES / "openalpr" / name)
    assert segmented == len("RK291AT") + 1
    assert row.char_count == len("RK291AT")
    # The crop starts at the edge, not before it (a leading "F" was read there).
    assert row.span[0] < 0.1


def test_what_lies_beside_the_plate_at_the_images_sides_is_no_character() -> None:
    # Slovak "RK550AO" cropped tight: the car's lamps at the crop's sides, taller than the
    # glyphs, were segmented at the row's ends (and the right one read "Q").
    segmented, row = _first_row_crop(PLATES / "openalpr" / "test_090_RK550AO.png")
    assert segmented == len("RK550AO") + 2
    assert row.char_count == len("RK550AO")


def test_a_glyph_at_a_shadowed_end_of_the_plate_stays_a_character() -> None:
    # Sindh "ATZ-972": a shadow darkens the plate left of "AT" as much as ink elsewhere.
    segmented, row = _first_row_crop(PLATES / "pk" / "Karachi-Plate_54.JPG")
    assert row.char_count == segmented == len("ATZ972")


def test_a_row_is_cut_at_the_plate_border_above_and_below_its_glyphs() -> None:
    # Slovak "RK492AU": the glyphs nearly fill the plate; read with its border above and
    # below, the "4" was an "L".
    _, row = _first_row_crop(PLATES / "openalpr" / "test_026_RK492AU.png")
    assert row.uncut is not None
    assert row.image.shape[0] < row.uncut.shape[0]
    assert row.image.shape[1] == row.uncut.shape[1]


def test_a_row_with_room_to_the_border_is_not_cut() -> None:
    _, row = _first_row_crop(PLATES / "pk" / "Karachi-Plate_5.JPG")
    assert row.uncut is None


def test_a_row_crop_stops_before_an_emblem_in_its_margin() -> None:
    # Slovak "RK959AD": the coat of arms and "SK" left of the "R" were read as a "P".
    _, row = _first_row_crop(PLATES / "openalpr" / "test_085_RK959AD.png")
    height_px = row.char_height_frac * row.image.shape[1]
    # Only the gap always left beside the glyphs (0.15 character heights) remains.
    assert row.span[0] * row.image.shape[1] <= 0.2 * height_px


def test_a_row_in_a_condensed_font_is_widened_for_the_recogniser() -> None:
    # California "WXY184": glyphs ~0.45 as wide as tall; read as they are, "W" was "H".
    _, row = _first_row_crop(PLATES / "openalpr" / "wts-lg-000070_WXY184.png")
    (view,) = row.views()
    assert view.shape[0] == row.image.shape[0]
    assert view.shape[1] > 1.05 * row.image.shape[1]


def test_a_row_in_a_common_font_is_read_as_it_is() -> None:
    _, row = _first_row_crop(PLATES / "pk" / "Karachi-Plate_5.JPG")
    (view,) = row.views()
    assert view is row.image
