"""The glyph classifier: each segmented plate character rated on its own."""

from __future__ import annotations

from pathlib import Path

import cv2
import matplotlib
import numpy as np
import pytest

from fixtures.glyphs import broken_zero, dataset, open_four, plate_fonts, rendered
from ocr import localize
from ocr.formats import canonical
from ocr.glyphs import (
    GLYPH_SYMBOLS,
    INPUT_PX,
    NO_CHARACTER,
    GlyphClassifier,
    glyph_input,
    glyph_line,
    is_light_ink,
    with_glyph_odds,
)
from ocr.reader import PlateReader
from ocr.recognition import LineReading
from ocr.row_crop import RowCrop
from ocr.row_cutting import row_crops
from tests.ocr.conftest import OPENALPR, openalpr_row, plate_in_name

ALPHABET = "0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.fixture(scope="module")
def classifier() -> GlyphClassifier:
    return GlyphClassifier()


def _classified(classifier: GlyphClassifier, row: RowCrop) -> str:
    odds = classifier.odds(row.char_crops, light_ink=not row.dark_text)
    return "".join(GLYPH_SYMBOLS[i] for i in odds.argmax(axis=1))


@pytest.mark.parametrize(
    "name",
    [
        "wts-lg-000124_5NCP692.png",  # the recogniser: "SNCP692"
        "wts-lg-000167_7AWV401.png",  # the recogniser: "7AHVLG1" (a "4" open at the top)
        "wts-lg-000045_HF4Y3B.png",  # the recogniser: "HFAYSB"
        "test_026_RK492AU.png",
        "test_011_RK346AL.png",
        "test_016_BB751BH.png",
    ],
)
def test_the_segmented_characters_of_a_real_plate_are_classified(classifier, name) -> None:
    assert _classified(classifier, openalpr_row(name)) == plate_in_name(name)


def test_characters_are_classified_in_the_polarity_their_row_was_segmented_in(
    plate_reader,
) -> None:
    # US "1A MW240": navy glyphs on white, under a red band and over a dark frame. Judged
    # from the row crop's margins, its ink is light, and the classifier, handed each
    # character inverted, read "M" and "W" as "X" and a doubtful "W". Segmentation found
    # the glyphs as dark blobs: the reader turns them by that, and they read as they are.
    row = openalpr_row("car3_1AMW240.png")
    assert row.dark_text and is_light_ink(row.image)
    (odds,) = plate_reader._glyph_odds([row])
    assert "".join(GLYPH_SYMBOLS[i] for i in odds.argmax(axis=1))[2:4] == "MW"


def test_folding_the_batch_norms_leaves_the_odds_as_trained(classifier) -> None:
    import torch

    from ocr.glyphs import WEIGHTS_PATH, GlyphNet, glyph_tensor

    trained = GlyphNet()
    trained.load_state_dict(
        {k: v.float() for k, v in torch.load(WEIGHTS_PATH, weights_only=True).items()}
    )
    trained.eval()
    row = openalpr_row("test_011_RK346AL.png")
    light = not row.dark_text
    batch = glyph_tensor(np.stack([glyph_input(c, light_ink=light) for c in row.char_crops]))
    with torch.inference_mode():
        expected = torch.softmax(trained(batch), dim=1).numpy()[:, :NO_CHARACTER]

    odds = classifier.odds(row.char_crops, light_ink=light)

    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in classifier.model.modules())
    assert np.allclose(
        odds, expected + (1 - expected.sum(axis=1, keepdims=True)) / NO_CHARACTER, atol=1e-6
    )


def test_a_cut_that_is_no_character_gets_no_opinion(classifier) -> None:
    crops = openalpr_row("test_016_BB751BH.png").char_crops
    # The left third of the "B", and the "7" and "5" run together.
    height, width = crops[0].shape
    part = crops[0][:, : width // 3]
    rows = min(crops[3].shape[0], crops[4].shape[0])
    pair = np.hstack([crops[3][:rows], crops[4][:rows]])
    for crop in (part, pair):
        assert classifier.odds([crop]).max() < 0.5


def test_light_characters_on_a_dark_ground_come_out_as_dark_on_light() -> None:
    crop = openalpr_row("wts-lg-000124_5NCP692.png").char_crops[0]
    upright, inverted = glyph_input(crop), glyph_input(255 - crop)
    assert float(np.mean(np.abs(upright.astype(int) - inverted.astype(int)))) < 12
    # Ink dark, ground light: the corners are ground.
    assert upright[0, 0] > 200 and upright.min() < 60


@pytest.mark.parametrize("shape", [(1, 1), (5, 80), (200, 3), (64, 40, 3)])
def test_any_crop_becomes_one_square_input(shape) -> None:
    crop = np.random.default_rng(0).integers(0, 255, size=shape, dtype=np.uint8)
    assert glyph_input(crop).shape == (INPUT_PX, INPUT_PX)


def _line(text: str, best: dict[int, tuple[str, float]]) -> LineReading:
    """A line read as ``text``; ``best`` gives a character's odds split with another."""
    probs = np.zeros((len(text), len(ALPHABET)))
    confidences = []
    for i, char in enumerate(text):
        other, share = best.get(i, (char, 1.0))
        probs[i, ALPHABET.index(char)] += share
        probs[i, ALPHABET.index(other)] += 1.0 - share
        confidences.append(share)
    return LineReading(text, tuple(confidences), probs, ALPHABET, ())


def _odds(text: str, best: dict[int, tuple[str, float]]) -> np.ndarray:
    odds = np.full((len(text), len(GLYPH_SYMBOLS)), 1e-4)
    for i, char in enumerate(text):
        other, share = best.get(i, (char, 1.0))
        odds[i, GLYPH_SYMBOLS.index(other)] = share
        odds[i, GLYPH_SYMBOLS.index(char)] = 1.0 - share if other != char else share
    return odds / odds.sum(axis=1, keepdims=True)


def test_a_character_the_classifier_sees_clearly_otherwise_is_rewritten() -> None:
    # The recogniser's California "5": an "S" at 0.98; the classifier: a "5" at 0.999.
    line = _line("SCJP303", {0: ("5", 0.98)})
    checked = with_glyph_odds(line, _odds("SCJP303", {0: ("5", 0.999)}))
    assert checked.text == "5CJP303"
    assert checked.char_confidences[0] < 0.98


def test_characters_both_see_alike_stand_and_grow_surer() -> None:
    line = _line("FB5X8T", {1: ("8", 0.6)})
    checked = with_glyph_odds(line, _odds("FB5X8T", {}))
    assert checked.text == "FB5X8T"
    assert checked.char_confidences[1] > 0.99


def test_a_character_both_doubt_is_left_in_doubt() -> None:
    line = _line("HTC249", {0: ("W", 0.7)})
    checked = with_glyph_odds(line, _odds("HTC249", {0: ("W", 0.7)}))
    assert checked.char_confidences[0] < 0.9


def test_separators_keep_their_place_and_odds_of_other_lengths_change_nothing() -> None:
    # The recogniser's Texas "W": an "H" at 0.9.
    line = _line("CHH-2245", {1: ("W", 0.9), 2: ("W", 0.9)})
    checked = with_glyph_odds(line, _odds("CWW2245", {}))
    assert checked.text == "CWW-2245"
    assert with_glyph_odds(line, _odds("CWW224", {})) == line


def test_a_row_read_by_the_classifier_alone_has_one_character_per_segmented_one() -> None:
    spans = ((0.05, 0.15), (0.2, 0.3), (0.35, 0.45))
    line = glyph_line(_odds("S55", {0: ("5", 0.9)}), spans, ALPHABET)
    assert line.text == "555"
    assert line.char_x == (0.1, 0.25, 0.4)
    assert line.best_in(0, "S5")[0] == "5"


def test_a_californian_5_the_recogniser_reads_as_an_s_is_read_as_a_5(
    stock_plate_reader, monkeypatch
) -> None:
    crop = cv2.imread(str(OPENALPR / "wts-lg-000120_5CJP303.png"))
    reading = stock_plate_reader.read_crop(crop)
    assert canonical(reading.text or reading.candidates[0][0]) == "5CJP303"
    # EasyOCR's own recogniser alone reads the "5" as an "S".
    monkeypatch.setattr(stock_plate_reader, "_glyphs", None)
    monkeypatch.setattr(stock_plate_reader, "_ppocr", None)
    alone = stock_plate_reader.read_crop(crop)
    assert canonical(alone.text or alone.candidates[0][0]) == "SCJP303"


def test_a_californian_4_open_at_the_top_is_read_as_a_4(
    plate_reader, stock_plate_reader, monkeypatch
) -> None:
    crop = cv2.imread(str(OPENALPR / "wts-lg-000167_7AWV401.png"))
    for reader in (plate_reader, stock_plate_reader):
        reading = reader.read_crop(crop)
        assert canonical(reading.text or reading.candidates[0][0]) == "7AWV401"
    # EasyOCR's own recogniser alone reads "7AHVL…": the open "4" as an "L", the "W" as
    # an "H".
    monkeypatch.setattr(stock_plate_reader, "_glyphs", None)
    monkeypatch.setattr(stock_plate_reader, "_ppocr", None)
    alone = stock_plate_reader.read_crop(crop)
    assert canonical(alone.text or alone.candidates[0][0])[:5] == "7AHVL"


@pytest.mark.parametrize(
    ("name", "plate"),
    [
        # The recogniser reads "1GT6794": the plate's edge as a "1", and its "A" as a "4".
        ("wts-lg-000062_GT679A.png", "GT679A"),
        # ... and "JHH9-G514": the edge as a "J", and the condensed "W" as "14".
        ("wts-lg-000115_HH9G5W.png", "HH9G5W"),
    ],
)
def test_glyphs_read_beyond_the_characters_do_not_keep_the_classifier_out(
    plate_reader, name: str, plate: str
) -> None:
    # The reading lines up with the segmented characters but for its ends: the
    # classifier weighs in on the characters, and the ends are trimmed.
    reading = plate_reader.read_crop(cv2.imread(str(OPENALPR / name)))
    assert canonical(reading.text or reading.candidates[0][0]) == plate


def test_a_readers_first_plate_is_read_with_the_classifier_like_every_other() -> None:
    # The classifier loads with the recogniser; the first plate's glyph odds were once
    # asked for before either had loaded, and it was read by the recogniser alone.
    crop = cv2.imread(str(OPENALPR / "wts-lg-000045_HF4Y3B.png"))
    reader = PlateReader()
    first = reader.read_crop(crop)
    assert reader.glyph_classifier is not None
    assert reader.read_crop(crop) == first
    assert PlateReader(use_glyphs=False).glyph_classifier is None


def _holes(glyph: np.ndarray) -> int:
    """Regions of ground the ink encloses."""
    ground = (glyph >= 128).astype(np.uint8)
    count, labels = cv2.connectedComponents(np.pad(ground, 1, constant_values=1), connectivity=4)
    return count - 2  # less the ink's label 0 and the ground around the glyph


def test_the_plate_variants_of_4_and_0_are_drawn_open() -> None:
    # California's "4" stands apart from its stem at the top; the Punjab "0" is broken
    # at the top right: neither encloses its counter as a book font's does.
    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    rng = np.random.default_rng(0)
    four, zero = rendered(font, "4"), rendered(font, "0")
    assert _holes(four) == 1 and _holes(zero) == 1
    for _ in range(5):
        assert _holes(open_four(four, rng)) == 0
        assert _holes(broken_zero(zero, rng)) == 0


def test_synthetic_characters_are_square_inputs_with_balanced_labels() -> None:
    fonts = plate_fonts([Path(matplotlib.get_data_path()) / "fonts" / "ttf"])
    assert any(font.name == "DejaVuSans-Bold.ttf" for font in fonts)
    images, labels = dataset(fonts, 360, seed=3)
    again, _ = dataset(fonts, 360, seed=3)
    assert images.shape == (360, INPUT_PX, INPUT_PX) and images.dtype == np.uint8
    assert np.array_equal(images, again)
    # Every symbol, and cuts that are no one character.
    assert set(labels.tolist()) == set(range(len(GLYPH_SYMBOLS) + 1))
    assert 0.05 < float(np.mean(labels == NO_CHARACTER)) < 0.3


@pytest.mark.parametrize("degrees", [-10.0, 10.0])
def test_the_characters_of_a_tilted_row_are_cut_whole(classifier, degrees) -> None:
    # Cut over the row's band, a tilted row's characters lose their bottom at one end
    # and their top at the other ("6879" was classified "QQ79" and "6877").
    from benchmarks.anpr import _turned

    image = cv2.imread(str(OPENALPR.parent / "pk" / "Punjab-Plates_p_3.jpg"))
    turned, _ = _turned(image, None, degrees)
    scale = 160 / turned.shape[0]
    gray = cv2.cvtColor(cv2.resize(turned, None, fx=scale, fy=scale), cv2.COLOR_BGR2GRAY)
    layout = localize.find_layouts(gray, plate_crop=True, upscale=scale)[0]
    rows = {row.role: row for row in row_crops(gray, layout)}
    assert _classified(classifier, rows["series"]) == "LEA"
    assert _classified(classifier, rows["digits"]) == "6879"


def test_the_glyph_classifier_can_be_switched_off(monkeypatch) -> None:
    from ocr.model_loading import GLYPHS_ENV
    from ocr.reader import PlateReader

    monkeypatch.setenv(GLYPHS_ENV, "0")
    assert PlateReader().use_glyphs is False
    assert PlateReader(use_glyphs=True).use_glyphs is True
    monkeypatch.delenv(GLYPHS_ENV)
    assert PlateReader().use_glyphs is True
