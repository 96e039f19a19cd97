"""ANPR accuracy and latency on folders of real plate images.

    python -m benchmarks.anpr --data ../shared/data/plates/pk --data ../shared/data/plates/openalpr-eu

``--scenes DIR`` reads the scene generator's samples (``clip.mp4`` + ``truth.json``, in DIR
or its sub-folders): per vehicle, up to 5 frames where its plate is largest, with the true
vehicle boxes, fused into one reading per track. ``--render highway-2160-s1`` (repeatable)
renders such a scene first, or reuses it from the detectors benchmark's cache.

A folder is either a ``labels.csv`` of plate crops (columns ``file`` and ``plate``,
optionally ``legible``) or per-image ``.txt`` files (``file<TAB>x<TAB>y<TAB>w<TAB>h<TAB>text``)
of full scenes with the plate box. Crops are read as crops; scenes are read twice: from the
true plate box (with a small margin) and from the whole image (localisation + recognition).

``--rotate DEG`` turns every ``--data`` image by DEG degrees (counter-clockwise) before
it is read: a camera that is rolled, or a vehicle that leans, tilts its plates.
``--max-width PX`` shrinks every ``--data`` image wider than PX to PX wide (a plate crop:
the plate as a far or low-resolution camera sees it). ``--blur SIGMA`` blurs every
``--data`` image (a Gaussian of SIGMA px: a plate out of focus or in motion), where a
reading must be right or unreadable, never confidently wrong.

``--plateless DIR`` reads whole images in which no plate is legible (a wide surveillance
view, e.g. ``../shared/data/frames-pk``): any confident answer there is a false reading.

Accuracy counts the best answer (the text, or the top candidate when the result is
unreadable); ``wrong_confident`` is the share of answers above the confidence threshold
that are wrong. "O/0 only" counts the misses that differ from the truth only in O and 0:
the labels of one set may write a plate's round glyph as either. The naive baseline is
EasyOCR's ``readtext`` on the same crop, joined.

A reliability table (answers binned by their confidence, each bin's mean confidence
against how many were right) ends the report; ``calibration_gap`` is the answer-weighted
mean of the gap between the two over the bins (0 for a confidence that is the chance of
being right).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from benchmarks.detectors import CACHE, scene_dir
from enforcement.events import PlateReading
from fixtures.scenes.clip_frames import read_clip_frames
from ocr import get_plate_reader
from ocr.formats import canonical, edit_distance
from ocr.model_loading import load_easyocr
from ocr.reader import PlateReader

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
# Margin around a true plate box, as a share of its width and height.
_BOX_MARGIN = (0.12, 0.25)
# Confidence bins of the reliability table.
_RELIABILITY_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class Sample:
    image_path: Path
    truth: str
    box_xywh: tuple[int, int, int, int] | None = None


@dataclass
class Tally:
    """Answers of one method on one set."""

    name: str
    exact: int = 0
    confident: int = 0
    confident_wrong: int = 0
    char_errors: int = 0
    truth_chars: int = 0
    n: int = 0
    # Misses that would match were O and 0 one glyph (truth labels differ in which they
    # write: a US plate's 0 between letters, a European plate's O in the letter block).
    round_glyph_misses: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    # Each answer's confidence and whether it was right (where the method gives one).
    graded: list[tuple[float, bool]] = field(default_factory=list)

    def add(
        self,
        truth: str,
        answer: str,
        *,
        confident: bool,
        latency_ms: float,
        confidence: float | None = None,
    ) -> None:
        truth_key, answer_key = canonical(truth), canonical(answer)
        self.n += 1
        right = truth_key == answer_key
        self.exact += right
        if confidence is not None:
            self.graded.append((confidence, right))
        self.char_errors += edit_distance(truth_key, answer_key)
        self.truth_chars += len(truth_key)
        if confident:
            self.confident += 1
            self.confident_wrong += not right
        if not right:
            self.round_glyph_misses += truth_key.replace("O", "0") == answer_key.replace("O", "0")
            self.failures.append(
                f"{truth} -> {answer or '(none)'}{' (confident)' if confident else ''}"
            )
        self.latencies_ms.append(latency_ms)

    def rate(self) -> float:
        return self.exact / self.n if self.n else float("nan")

    def cer(self) -> float:
        return self.char_errors / self.truth_chars if self.truth_chars else float("nan")

    def wrong_confident(self) -> float:
        return self.confident_wrong / self.confident if self.confident else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    reader = (
        PlateReader(
            args.model_dir,
            use_glyphs=not args.no_glyphs,
            stock_recogniser=True if args.stock_recogniser else None,
            runtime=args.runtime,
            use_ppocr=not args.no_ppocr,
        )
        if args.no_glyphs or args.stock_recogniser or args.runtime or args.no_ppocr
        else get_plate_reader(args.model_dir)
    )
    reader.min_confidence = args.threshold
    started = time.perf_counter()
    _ = reader.recogniser
    load_s = time.perf_counter() - started
    naive = _NaiveEasyOcr(reader) if not args.no_naive else None
    print(
        f"model load: {load_s:.2f} s   confidence threshold: {args.threshold}   "
        f"glyph classifier: {'on' if reader.use_glyphs else 'off'}   "
        f"PP-OCR: {'on' if reader.ppocr is not None else 'off'}   "
        f"recogniser: {'EasyOCR' if reader.stock_recogniser else 'fine-tuned on plate rows'}, "
        f"run by {reader.recogniser.runtime}"
    )
    all_tallies: dict[str, list[Tally]] = {
        "main": [],
        "box": [],
        "naive": [],
        "crop": [],
        "scenes": [],
        "plateless": [],
    }
    scene_dirs = [d for folder in args.scenes for d in _sample_dirs(Path(folder))]
    scene_dirs += [_rendered_scene(spec, args.seconds, args.cache) for spec in args.render]
    for sample_dir in scene_dirs:
        tally = _run_scene(reader, sample_dir)
        all_tallies["scenes"].append(tally)
        _print_set(sample_dir.name, {"main": tally}, scenes=False, show_failures=args.show_failures)
    for data_dir in args.data:
        samples = list(_load_samples(Path(data_dir)))[: args.limit or None]
        if not samples:
            print(
                f"{data_dir}: no samples found (expected labels.csv or .txt files)", file=sys.stderr
            )
            return 2
        scenes = samples[0].box_xywh is not None
        name = Path(data_dir).name + (f" turned {args.rotate:+g} deg" if args.rotate else "")
        name += f" at most {args.max_width} px wide" if args.max_width else ""
        name += f" blurred {args.blur:g} px" if args.blur else ""
        tallies = _run_set(
            reader,
            naive,
            samples,
            scenes=scenes,
            name=name,
            rotate=args.rotate,
            max_width=args.max_width,
            blur=args.blur,
        )
        for key, tally in tallies.items():
            all_tallies[key].append(tally)
        _print_set(name, tallies, scenes=scenes, show_failures=args.show_failures)
    for folder in args.plateless:
        tally = _run_plateless(reader, Path(folder))
        all_tallies["plateless"].append(tally)
        _print_plateless(tally, show_failures=args.show_failures)
    _print_result(all_tallies)
    return 0


def _run_set(
    reader: PlateReader,
    naive: _NaiveEasyOcr | None,
    samples: list[Sample],
    *,
    scenes: bool,
    name: str,
    rotate: float = 0.0,
    max_width: int = 0,
    blur: float = 0.0,
) -> dict[str, Tally]:
    main_tally, box_tally = (
        Tally(f"{name}: whole image" if scenes else f"{name}: crop"),
        Tally(f"{name}: given box"),
    )
    naive_tally, crop_tally = Tally(f"{name}: naive EasyOCR"), Tally(f"{name}: recognition alone")
    for sample in samples:
        image = cv2.imread(str(sample.image_path))
        if image is None:
            print(f"skipped unreadable image {sample.image_path}", file=sys.stderr)
            continue
        box_xywh = sample.box_xywh
        if rotate:
            image, box_xywh = _turned(image, box_xywh, rotate)
        if max_width and image.shape[1] > max_width:
            image, box_xywh = _shrunk(image, box_xywh, max_width / image.shape[1])
        if blur:
            image = cv2.GaussianBlur(image, (0, 0), blur)
        crop = _box_crop(image, box_xywh) if scenes else image
        started = time.perf_counter()
        reading = reader.read_crop(crop)
        crop_ms = (time.perf_counter() - started) * 1000
        target = box_tally if scenes else main_tally
        target.add(
            sample.truth,
            _answer(reading),
            confident=not reading.unreadable,
            latency_ms=crop_ms,
            confidence=reading.confidence,
        )
        crop_tally.add(
            sample.truth, _answer(reading), confident=not reading.unreadable, latency_ms=crop_ms
        )
        if scenes:
            started = time.perf_counter()
            reading = reader.read_track([(image, None)])
            scene_ms = (time.perf_counter() - started) * 1000
            main_tally.add(
                sample.truth,
                _answer(reading),
                confident=not reading.unreadable,
                latency_ms=scene_ms,
                confidence=reading.confidence,
            )
        if naive is not None:
            started = time.perf_counter()
            text = naive.read(crop)
            naive_tally.add(
                sample.truth,
                text,
                confident=True,
                latency_ms=(time.perf_counter() - started) * 1000,
            )
    tallies = {"main": main_tally, "crop": crop_tally}
    if scenes:
        tallies["box"] = box_tally
    if naive is not None:
        tallies["naive"] = naive_tally
    return tallies


def _answer(reading: PlateReading) -> str:
    if reading.text:
        return reading.text
    return reading.candidates[0][0] if reading.candidates else ""


class _NaiveEasyOcr:
    """EasyOCR as a newcomer would use it: ``readtext`` on the crop, texts joined."""

    def __init__(self, reader: PlateReader) -> None:
        # EasyOCR's own weights: the PlateReader's Reader when it has them, else a second
        # load (its recogniser carries weights fine-tuned on plate rows).
        self._reader = (
            reader.easyocr_reader
            if reader.stock_recogniser
            else load_easyocr(reader.model_dir, stock=True)
        )

    def read(self, crop_bgr: np.ndarray) -> str:
        return "".join(self._reader.readtext(crop_bgr, detail=0))


def _print_set(name: str, tallies: dict[str, Tally], *, scenes: bool, show_failures: bool) -> None:
    print()
    print(f"== {name} ({tallies['main'].n} images) ==")
    print(
        f"{'method':38} {'exact':>7} {'CER':>6} {'confident':>9} {'wrong|conf':>10} {'O/0 only':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7}"
    )
    rows = [tallies["main"]]
    if scenes:
        rows.append(tallies["box"])
    if "naive" in tallies:
        rows.append(tallies["naive"])
    for tally in rows:
        p50, p95 = _percentiles(tally.latencies_ms)
        confident = f"{tally.confident / tally.n:.0%}" if tally.n else "-"
        wrong = f"{tally.wrong_confident():.1%}" if tally is not tallies.get("naive") else "-"
        print(
            f"{tally.name:38} {tally.rate():7.1%} {tally.cer():6.3f} {confident:>9} {wrong:>10} "
            f"{tally.round_glyph_misses:>8} {p50:7.1f} {p95:7.1f}"
        )
    if "naive" in tallies:
        ours = tallies["box"] if scenes else tallies["main"]
        gain = ours.rate() - tallies["naive"].rate()
        print(f"beats naive EasyOCR on the same crops by {gain * 100:+.1f} points (exact match)")
    if show_failures:
        for tally in rows[:2]:
            for failure in tally.failures:
                print(f"  miss [{tally.name}] {failure}")


def _run_plateless(reader: PlateReader, folder: Path) -> Tally:
    """Whole images with no legible plate: every confident answer is a false reading."""
    tally = Tally(f"{folder.name}: no legible plate")
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES):
        image = cv2.imread(str(path))
        if image is None:
            print(f"skipped unreadable image {path}", file=sys.stderr)
            continue
        started = time.perf_counter()
        reading = reader.read_track([(image, None)])
        latency_ms = (time.perf_counter() - started) * 1000
        # The right answer is none: an unreadable result claims no plate.
        tally.add("", reading.text, confident=not reading.unreadable, latency_ms=latency_ms)
    return tally


def _print_plateless(tally: Tally, *, show_failures: bool) -> None:
    p50, p95 = _percentiles(tally.latencies_ms)
    print()
    print(f"== {tally.name} ({tally.n} images) ==")
    print(
        f"confident (false) readings: {tally.confident} of {tally.n}   "
        f"per image p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )
    if show_failures:
        for failure in tally.failures:
            print(f"  false reading [{tally.name}] {failure}")


def _print_result(all_tallies: dict[str, list[Tally]]) -> None:
    def pooled(tallies: list[Tally]) -> Tally:
        total = Tally("all")
        for tally in tallies:
            total.exact += tally.exact
            total.n += tally.n
            total.confident += tally.confident
            total.confident_wrong += tally.confident_wrong
            total.char_errors += tally.char_errors
            total.truth_chars += tally.truth_chars
            total.latencies_ms += tally.latencies_ms
            total.graded += tally.graded
        return total

    scenes = pooled(all_tallies["scenes"]) if all_tallies["scenes"] else None
    # With only generator scenes, they are the headline; otherwise they get their own key.
    main = pooled(all_tallies["main"]) if all_tallies["main"] else (scenes or Tally("none"))
    crop = pooled(all_tallies["crop"])
    box = pooled(all_tallies["box"]) if all_tallies["box"] else None
    naive = pooled(all_tallies["naive"]) if all_tallies["naive"] else None
    plateless = pooled(all_tallies["plateless"]) if all_tallies["plateless"] else None
    p50, p95 = _percentiles(main.latencies_ms)
    rec_p50, rec_p95 = _percentiles(crop.latencies_ms)
    graded = main.graded + (box.graded if box else []) + (scenes.graded if scenes else [])
    calibration_gap = _print_reliability(graded)
    print()
    print(f"recognition alone per plate crop: p50 {rec_p50:.1f} ms, p95 {rec_p95:.1f} ms")
    print(
        f"per image (localisation + recognition where scenes): p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )
    print(
        "RESULT "
        f"exact={main.rate():.3f} "
        f"exact_given_box={f'{box.rate():.3f}' if box else 'na'} "
        f"cer={main.cer():.3f} "
        f"wrong_confident={main.wrong_confident():.3f} "
        f"naive_exact={f'{naive.rate():.3f}' if naive else 'na'} "
        f"p50_ms={p50:.1f} p95_ms={p95:.1f} "
        f"rec_p50_ms={rec_p50:.1f} "
        + (f"track_exact={scenes.rate():.3f} tracks={scenes.n} " if scenes else "")
        + (f"plateless_false={plateless.confident} plateless={plateless.n} " if plateless else "")
        + f"calibration_gap={calibration_gap:.3f} "
        + f"n={main.n}"
    )


def _print_reliability(graded: list[tuple[float, bool]]) -> float:
    """How often answers were right at each level of their confidence (every answer of
    the reader: crops, given boxes, whole images, tracks), and the answer-weighted mean
    gap between the two; nan without answers."""
    if not graded:
        return float("nan")
    print()
    print("confidence against exactness (every answer; the threshold splits unreadable below):")
    print(f"{'confidence':>12} {'answers':>8} {'mean conf':>10} {'exact':>7}")
    gap = 0.0
    for low, high in itertools.pairwise(_RELIABILITY_EDGES):
        in_bin = [(c, r) for c, r in graded if low <= c < high or (high == 1.0 and c == 1.0)]
        if not in_bin:
            continue
        mean_confidence = sum(c for c, _ in in_bin) / len(in_bin)
        exact = sum(r for _, r in in_bin) / len(in_bin)
        gap += len(in_bin) * abs(exact - mean_confidence)
        print(
            f"{f'{low:.1f}-{high:.1f}':>12} {len(in_bin):>8} {mean_confidence:>10.2f} {exact:>7.1%}"
        )
    return gap / len(graded)


def _rendered_scene(spec: str, seconds: float, cache: Path) -> Path:
    """The folder of scene ``PRESET-RESOLUTION-sSEED`` (e.g. ``junction-1080-s2``)."""
    preset, resolution, seed = spec.rsplit("-", 2)
    if not (resolution.isdigit() and seed[:1] == "s" and seed[1:].isdigit()):
        raise SystemExit(
            f"--render {spec!r}: expected PRESET-RESOLUTION-sSEED, e.g. highway-2160-s1"
        )
    return scene_dir(preset, int(resolution), int(seed[1:]), seconds, cache)


def _sample_dirs(root: Path) -> list[Path]:
    if (root / "truth.json").exists():
        return [root]
    return sorted(path.parent for path in root.glob("*/truth.json"))


def _run_scene(reader: PlateReader, sample_dir: Path, frames_per_track: int = 5) -> Tally:
    """Per-track plate reading on a rendered clip, with the true vehicle boxes."""
    truth = json.loads((sample_dir / "truth.json").read_text())
    wanted: dict[str, list[dict]] = {}
    for vehicle in truth["vehicles"]:
        if not vehicle.get("plate"):
            continue
        visible = [
            f
            for f in vehicle["frames"]
            if f.get("plate_box_px") and f.get("occluded_fraction", 0.0) < 0.5
        ]
        visible.sort(key=lambda f: -(f["plate_box_px"][2] - f["plate_box_px"][0]))
        if visible:
            wanted[vehicle["plate"]] = visible[:frames_per_track]
    needed = {f["index"] for frames in wanted.values() for f in frames}
    images = read_clip_frames(sample_dir / "clip.mp4", needed)
    tally = Tally(f"{sample_dir.name}: per track")
    for plate, frames in wanted.items():
        observations = [
            (images[f["index"]], tuple(f["box_px"])) for f in frames if f["index"] in images
        ]
        started = time.perf_counter()
        reading = reader.read_track(observations)
        per_vehicle_ms = (time.perf_counter() - started) * 1000 / max(len(observations), 1)
        tally.add(
            plate,
            _answer(reading),
            confident=not reading.unreadable,
            latency_ms=per_vehicle_ms,
            confidence=reading.confidence,
        )
    return tally


def _load_samples(data_dir: Path) -> Iterator[Sample]:
    labels = data_dir / "labels.csv"
    if labels.exists():
        with labels.open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("legible", "yes").strip().lower() in ("no", "false", "0"):
                    continue
                yield Sample(data_dir / row["file"], row["plate"])
        return
    for text_file in sorted(data_dir.glob("*.txt")):
        for line in text_file.read_text().splitlines():
            parts = line.strip().split("\t")
            if len(parts) < 6:
                continue
            name, x, y, w, h, text = parts[:6]
            yield Sample(data_dir / name, text, (int(x), int(y), int(w), int(h)))


def _turned(
    image: np.ndarray, box_xywh: tuple[int, int, int, int] | None, degrees: float
) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """The image turned about its centre (edges replicated), and the box around the
    turned plate box."""
    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), degrees, 1.0)
    turned = cv2.warpAffine(image, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)
    if box_xywh is None:
        return turned, None
    x, y, w, h = box_xywh
    corners = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], float)
    moved = corners @ turn.T
    x1, y1 = moved.min(axis=0)
    x2, y2 = moved.max(axis=0)
    return turned, (int(x1), int(y1), int(np.ceil(x2 - x1)), int(np.ceil(y2 - y1)))


def _shrunk(
    image: np.ndarray, box_xywh: tuple[int, int, int, int] | None, factor: float
) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """The image scaled down by ``factor`` (area averaging, as a camera's sensor sees a
    smaller view), and its plate box with it."""
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    if box_xywh is None:
        return small, None
    x, y, w, h = box_xywh
    box = (int(x * factor), int(y * factor), max(1, round(w * factor)), max(1, round(h * factor)))
    return small, box


def _box_crop(image: np.ndarray, box_xywh: tuple[int, int, int, int] | None) -> np.ndarray:
    if box_xywh is None:
        return image
    x, y, w, h = box_xywh
    mx, my = int(_BOX_MARGIN[0] * w), int(_BOX_MARGIN[1] * h)
    height, width = image.shape[:2]
    return image[max(0, y - my) : min(height, y + h + my), max(0, x - mx) : min(width, x + w + mx)]


def _percentiles(values: list[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    if len(values) == 1:
        return values[0], values[0]
    cuts = statistics.quantiles(values, n=20, method="inclusive")
    return statistics.median(values), cuts[18]


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", action="append", default=[], help="a plate folder (repeatable)")
    parser.add_argument(
        "--scenes", action="append", default=[], help="generator samples (clip.mp4 + truth.json)"
    )
    parser.add_argument(
        "--render",
        action="append",
        default=[],
        help="a generated scene PRESET-RESOLUTION-sSEED, rendered unless cached (repeatable)",
    )
    parser.add_argument(
        "--rotate", type=float, default=0.0, help="turn every --data image by DEG degrees"
    )
    parser.add_argument(
        "--max-width",
        type=int,
        default=0,
        help="shrink every --data image wider than PX to PX wide",
    )
    parser.add_argument(
        "--blur", type=float, default=0.0, help="blur every --data image (Gaussian, SIGMA px)"
    )
    parser.add_argument(
        "--plateless",
        action="append",
        default=[],
        help="a folder of images with no legible plate (repeatable): confident answers are false",
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="length of --render scenes")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where --render scenes are kept")
    parser.add_argument("--limit", type=int, default=0, help="read at most N images per folder")
    parser.add_argument(
        "--threshold",
        type=float,
        default=0.6,
        help="confidence below which a reading is unreadable",
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the naive EasyOCR baseline")
    parser.add_argument("--show-failures", action="store_true", help="list every miss")
    parser.add_argument(
        "--no-glyphs",
        action="store_true",
        help="read with the line recogniser alone (no glyph classifier), for comparison",
    )
    parser.add_argument(
        "--no-ppocr",
        action="store_true",
        help="read rows without PP-OCR's opinion (ocr.ppocr), for comparison",
    )
    parser.add_argument(
        "--stock-recogniser",
        action="store_true",
        help="read rows with EasyOCR's own recogniser weights (not those fine-tuned on plate rows)",
    )
    parser.add_argument(
        "--runtime",
        choices=("onnx", "torch"),
        default=None,
        help="run the line recogniser from its 8-bit ONNX build or in PyTorch "
        "(default: $NIGRAN_OCR_RUNTIME, else onnx)",
    )
    parser.add_argument(
        "--model-dir", default=None, help="EasyOCR weights (default: the offline package)"
    )
    args = parser.parse_args(argv)
    if not (args.data or args.scenes or args.render or args.plateless):
        parser.error("give at least one --data, --scenes, --render or --plateless")
    return args


if __name__ == "__main__":
    raise SystemExit(main())
