"""Fusing a track's per-frame readings (no model)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ocr.formats import parse_plate
from ocr.fusion import FrameReading, fuse


def reading(raw: str, confidence: float, char_confidence: float | None = None) -> FrameReading:
    parsed = parse_plate(raw)
    n = len(parsed.text.replace("-", ""))
    chars = (char_confidence if char_confidence is not None else confidence,) * n
    return FrameReading(parsed, confidence, chars)


def test_agreeing_frames_raise_the_confidence_above_any_single_frame() -> None:
    single = fuse([reading("LEB\n5700", 0.7)])
    several = fuse(
        [reading("LEB\n5700", 0.7), reading("LEB\n5700", 0.7), reading("LEB\n5700", 0.65)]
    )
    assert several.parsed is not None and several.parsed.text == "LEB-5700"
    assert several.confidence > single.confidence
    assert not several.unreadable


def test_the_weighted_majority_wins_and_the_others_become_candidates() -> None:
    fused = fuse([reading("LEB\n5700", 0.9), reading("LEB\n5700", 0.8), reading("LEB\n5708", 0.6)])
    assert fused.parsed is not None and fused.parsed.text == "LEB-5700"
    assert [text for text, _ in fused.candidates] == ["LEB-5700", "LEB-5708"]
    assert fused.candidates[0][1] > fused.candidates[1][1]


def test_characters_are_voted_when_no_frame_read_the_whole_plate() -> None:
    fused = fuse(
        [
            reading("LEB\n5708", 0.8, 0.8),
            reading("LEB\n5300", 0.8, 0.8),
            reading("LFB\n5700", 0.8, 0.8),
        ]
    )
    assert fused.parsed is not None and fused.parsed.text == "LEB-5700"


def test_disagreeing_frames_make_the_plate_unreadable() -> None:
    fused = fuse([reading("LEB\n5700", 0.7), reading("RIA\n9133", 0.7)])
    assert fused.unreadable
    assert {text for text, _ in fused.candidates} == {"LEB-5700", "RIA-9133"}


def test_a_single_doubtful_frame_is_unreadable_but_keeps_its_candidate() -> None:
    fused = fuse([reading("LEB\n5700", 0.45)])
    assert fused.unreadable
    assert fused.candidates[0][0] == "LEB-5700"


def test_the_threshold_is_configurable() -> None:
    frames = [reading("LEB\n5700", 0.7)]
    assert not fuse(frames, min_confidence=0.5).unreadable
    assert fuse(frames, min_confidence=0.9).unreadable


@pytest.mark.parametrize("frames", [[], [reading("", 0.9)], [reading("PUNJAB", 0.9)]])
def test_no_usable_reading_is_unreadable(frames) -> None:
    fused = fuse(frames)
    assert fused.unreadable
    assert fused.parsed is None
    assert fused.confidence == 0.0


def test_frames_that_read_more_characters_than_they_segmented_do_not_add_up() -> None:
    # "LEE-748" with its slanted 7 read twice in every frame: the same slip each time.
    frames = [reading("LEE\n7748", c) for c in (0.47, 0.46, 0.47, 0.39)]
    split = [
        FrameReading(f.parsed, f.confidence, f.char_confidences, consistent=False) for f in frames
    ]
    fused = fuse(split)
    assert fused.parsed is not None and fused.parsed.text == "LEE-7748"
    assert fused.unreadable and fused.confidence == pytest.approx(0.47)
    # The same frames, each consistent with its segmentation, do add up.
    assert not fuse(frames).unreadable


def test_a_second_look_that_read_otherwise_makes_a_frame_unsure() -> None:
    # One frame, read "LEC-2689" at 0.86; its rows read again smaller gave "LEC-2089".
    first = reading("LEC\n2689", 0.86)
    alone = fuse([first])
    doubted = fuse([replace(first, second_look=reading("LEC\n2089", 0.7))])
    assert not alone.unreadable
    assert doubted.unreadable and doubted.confidence < alone.confidence
    assert [text for text, _ in doubted.candidates] == ["LEC-2689", "LEC-2089"]
    # The second look is of the same frame: its crop is the frame's.
    assert doubted.best_index == 0


def test_scaling_a_reading_scales_its_second_look_too() -> None:
    first = replace(reading("LEC\n2689", 0.8), second_look=reading("LEC\n2089", 0.6))
    scaled = first.scaled(0.5)
    assert scaled.confidence == pytest.approx(0.4)
    assert scaled.second_look is not None
    assert scaled.second_look.confidence == pytest.approx(0.3)


def test_a_frames_standing_is_what_fusing_it_alone_gives() -> None:
    first = reading("LEC\n2689", 0.86)
    doubted = replace(first, second_look=reading("LEC\n2089", 0.7))
    assert first.standing == pytest.approx(0.86)
    assert doubted.standing == pytest.approx(fuse([doubted]).confidence)
    assert doubted.standing < first.standing


def test_a_rival_reading_of_the_same_image_dissents_and_a_stray_one_does_not() -> None:
    from ocr.reader import _rival

    best = FrameReading(parse_plate("ACD 71", hints=("yellow",)), 0.73)
    rival = FrameReading(parse_plate("ACD 714", hints=("yellow",)), 0.71)
    stray = FrameReading(parse_plate("LOS"), 0.1)
    dissented = _rival(best, rival)
    assert dissented is not None and dissented.second_look is not None
    assert dissented.standing < 0.6 <= best.standing
    assert _rival(best, stray) is None  # too weak to be a rival
    assert _rival(best, replace(rival, parsed=best.parsed)) is None  # the same plate
    assert _rival(dissented, rival) is None  # one dissent is enough


def test_a_row_read_alone_on_most_frames_counts_for_the_plate_it_is_a_row_of() -> None:
    # Four frames found only the digits row of a two-line "RI-7768"; one read it whole.
    fragments = [reading("7768", 0.25) for _ in range(4)]
    fused = fuse([*fragments, reading("RI\n7768", 0.89)])
    assert fused.parsed is not None and fused.parsed.text == "RI-7768"
    assert [text for text, _ in fused.candidates] == ["RI-7768"]
    # The frames that saw a row alone did not see the series: no sure answer.
    assert fused.unreadable


def test_a_reading_with_a_glyph_more_or_less_is_a_rival_not_a_row() -> None:
    fused = fuse([reading("LEB\n570", 0.7) for _ in range(3)] + [reading("LEB\n5700", 0.7)])
    assert fused.parsed is not None and fused.parsed.text == "LEB-570"
    fused = fuse([reading("77680", 0.3) for _ in range(4)] + [reading("RI\n7768", 0.89)])
    assert {text for text, _ in fused.candidates} == {"77680", "RI-7768"}
