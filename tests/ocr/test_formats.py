"""Plate formats: parsing, position-aware correction and normalisation (no model)."""

from __future__ import annotations

import pytest

from ocr.formats import canonical, parse_plate


@pytest.mark.parametrize(
    ("raw", "text", "year", "plate_format"),
    [
        # Punjab two-line plates as the recogniser returns them (series + year, digits).
        ("LEB -06\n5700", "LEB-5700", "06", "punjab"),
        ("LEA-08\n6879", "LEA-6879", "08", "punjab"),
        ("LE\n824", "LE-824", "", "punjab"),
        ("FD -13\n958", "FD-958", "13", "punjab"),
        ("MNA 07\n1502", "MNA-1502", "07", "punjab"),
        ("RIA\n9133", "RIA-9133", "", "punjab"),
        # ... read as one line, with the year between the blocks.
        ("LEB06 5700", "LEB-5700", "06", "punjab"),
        ("LEA 08 PUNJAB 6879", "LEA-6879", "08", "punjab"),
        # Sindh one-line plates with their province word.
        ("ASY-747 SINDH", "ASY-747", "", "sindh"),
        ("C-8649\nKARACHI", "C-8649", "", "sindh"),
        ("U 4250 KARACHI", "U-4250", "", "sindh"),
        ("AZN- 884\nSINOH", "AZN-884", "", "sindh"),
        ("TD-483-C", "TD-483-C", "", "sindh"),
        ("GS-1234 SINDH", "GS-1234", "", "government"),
        # Islamabad: ICT is the series when nothing else is.
        ("ICT 1234", "ICT-1234", "", "islamabad"),
        ("ABC 123\nISLAMABAD", "ABC-123", "", "islamabad"),
        ("KPK\nAB 123", "AB-123", "", "kp"),
    ],
)
def test_it_normalises_pakistani_plates(raw: str, text: str, year: str, plate_format: str) -> None:
    parsed = parse_plate(raw)
    assert (parsed.text, parsed.year, parsed.format) == (text, year, plate_format)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("LE8 -07\n9664", "LEB-9664"),  # 8 in the series is B
        ("LEB\n57OO", "LEB-5700"),  # O in the digits is 0
        ("L3C\n1940", "LBC-1940"),  # 3 in the series reads as B
        ("A5Y-747", "ASY-747"),  # 5 in the series is S
        ("ASY-7A7", None),  # A in the digits has no digit twin: not forced
        ("8D 9610", "BD-9610"),
        ("AZN-8B4", "AZN-884"),
        ("BCS-O36", "BCS-036"),
        ("LEZ\n24O3", "LEZ-2403"),
        ("ACD-7I4", "ACD-714"),  # I in the digits is 1
        ("LEG\n6G38", "LEG-6638"),  # G in the digits is 6
    ],
)
def test_it_corrects_confusions_by_position(raw: str, text: str | None) -> None:
    parsed = parse_plate(raw)
    if text is None:
        assert parsed.format == "unknown"
    else:
        assert parsed.text == text
        assert parsed.corrected


def test_it_reads_o_in_the_series_as_d_because_no_o_is_issued() -> None:
    assert parse_plate("LEO\n1234").letters == "LED"


@pytest.mark.parametrize("raw", ["RIA\n9133", "AUP-776", "AZU-290", "ISL 112"])
def test_it_keeps_i_and_u_in_the_series_because_real_plates_have_them(raw: str) -> None:
    parsed = parse_plate(raw)
    assert parsed.letters == canonical(raw).rstrip("0123456789")
    assert not parsed.corrected


@pytest.mark.parametrize(
    "raw",
    ["RK755AJ", "M5XSX", "GWAGEN", "5UVR090", "WOBVWMK4", "RKE5764H", "1T43213"],
)
def test_it_keeps_foreign_plates_as_read(raw: str) -> None:
    parsed = parse_plate(raw)
    assert parsed.format == "unknown"
    assert parsed.text == raw
    assert not parsed.corrected


def test_it_does_not_rewrite_most_of_a_string_into_a_plate() -> None:
    assert parse_plate("8OO5\n1234").format == "unknown"


def test_two_line_assembly_keeps_the_year_out_of_the_registration_number() -> None:
    parsed = parse_plate("LEH -07\n6938")
    assert parsed.text == "LEH-6938"
    assert parsed.year == "07"
    assert parsed.letters == "LEH"
    assert parsed.digits == "6938"


@pytest.mark.parametrize("raw", ["", "   ", "-- --", "PUNJAB"])
def test_empty_readings_parse_to_nothing(raw: str) -> None:
    parsed = parse_plate(raw)
    assert parsed.text == ""
    assert parsed.format == "unknown"


def test_canonical_form_ignores_separators_and_case() -> None:
    assert canonical("leb-5700") == canonical("LEB 5700") == "LEB5700"


def test_a_format_guessed_from_the_text_alone_is_marked_uncued() -> None:
    # Letters then digits fits a Sindh plate and many foreign ones: only a cue vouches.
    assert not parse_plate("ABC 123").format_cued
    assert parse_plate("ABC 123", hints=("yellow",)).format_cued
    assert parse_plate("LEB\n5700").format_cued
    assert parse_plate("ABC 123 SINDH").format_cued


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("W053011", "W053011"),  # would need W05 -> WDS
        ("WA 56660", "WA56660"),  # would need WA5 -> WAS and to ignore the gap
    ],
)
def test_it_does_not_force_an_uncued_foreign_reading_into_a_pakistani_layout(
    raw: str, text: str
) -> None:
    parsed = parse_plate(raw)
    assert (parsed.text, parsed.format, parsed.corrected) == (text, "unknown", False)


def test_a_cue_still_allows_the_rewrites_an_uncued_reading_may_not_have() -> None:
    assert parse_plate("WA 56660", hints=("yellow",)).format == "sindh"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("RK9O6AJ", "RK906AJ"),  # a round glyph between digits is 0
        ("WOB3OO5", "WOB3005"),  # ... also two in a row; among letters it stays O
        ("HK0E7C", "HK0E7C"),  # US plates put 0 between letters: left as read
        ("RKO19AF", "RKO19AF"),  # between a letter and a digit: left as read
        ("1B7044O", "1B70440"),  # at an end, the kind of its one neighbour: a digit
        ("PP587A0", "PP587AO"),  # ... or a letter
        ("0YO9FEU", "OYO9FEU"),  # ... at the start too
        ("O0-8E6CK", "008E6CK"),  # two round glyphs at the start take the 8's kind
    ],
)
def test_a_foreign_reading_writes_a_round_glyph_as_its_blocks_kind(raw: str, text: str) -> None:
    parsed = parse_plate(raw)
    assert (parsed.text, parsed.format) == (text, "unknown")


@pytest.mark.parametrize("raw", ["S\n4", "I\n431", "W\n1"])
def test_one_letter_over_digits_is_no_punjab_plate(raw: str) -> None:
    # No Punjab series is one letter: such a pair of rows in a scene is other text.
    assert not parse_plate(raw).is_pakistani


def test_a_year_that_had_to_be_rewritten_does_not_make_one_line_a_punjab_plate() -> None:
    # A Texas "CDL-4461" read with the plate's edge: "DL" is no year "01".
    assert parse_plate("ICDL 4461").format == "unknown"
    # A two-line plate read as one line, its year read as digits, still is one.
    parsed = parse_plate("LEB06 5700")
    assert (parsed.text, parsed.year, parsed.format) == ("LEB-5700", "06", "punjab")
