"""Frame sources: timestamps from the source, and bad inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from enforcement.video import VideoOpenError, open_source

START = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)


def write_clip(path: Path, frames: int, size: tuple[int, int] = (160, 120), fps: float = 25.0):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    for i in range(frames):
        image = np.full((size[1], size[0], 3), (i * 7) % 255, np.uint8)
        writer.write(image)
    writer.release()


def test_frames_carry_container_timestamps_and_capture_times(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    write_clip(clip, 20, fps=20.0)
    source = open_source(clip, start_time=START)
    frames = list(source)
    assert [f.index for f in frames] == list(range(20))
    assert frames[10].timestamp_s == pytest.approx(0.5, abs=1e-3)
    assert frames[10].captured_at == START + timedelta(seconds=frames[10].timestamp_s)
    assert source.fps == pytest.approx(20.0)
    assert source.stats.frames == 20 and source.stats.corrupt_frames == 0


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(VideoOpenError, match="does not exist"):
        open_source(tmp_path / "nope.mp4", start_time=START)


def test_a_corrupt_file_is_reported(tmp_path: Path) -> None:
    clip = tmp_path / "garbage.mp4"
    clip.write_bytes(np.random.default_rng(0).integers(0, 255, 50_000, dtype=np.uint8).tobytes())
    with pytest.raises(VideoOpenError):
        open_source(clip, start_time=START)


def test_an_empty_file_is_reported(tmp_path: Path) -> None:
    clip = tmp_path / "empty.mp4"
    clip.write_bytes(b"")
    with pytest.raises(VideoOpenError, match="empty"):
        open_source(clip, start_time=START)


def test_a_clip_with_zero_frames_is_reported(tmp_path: Path) -> None:
    clip = tmp_path / "zero.mp4"
    write_clip(clip, 0)
    with pytest.raises(VideoOpenError):
        open_source(clip, start_time=START)


def test_a_naive_start_time_is_refused(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    write_clip(clip, 3)
    with pytest.raises(ValueError, match="timezone-aware"):
        open_source(clip, start_time=datetime(2026, 1, 1))


def write_folder(folder: Path, sizes: list[tuple[int, int]], *, corrupt: int | None = None):
    folder.mkdir()
    for i, (w, h) in enumerate(sizes):
        path = folder / f"{i:04d}.png"
        if i == corrupt:
            path.write_bytes(b"not a png")
        else:
            cv2.imwrite(str(path), np.full((h, w, 3), 100, np.uint8))


def test_a_folder_uses_its_frame_rate_for_timestamps(tmp_path: Path) -> None:
    write_folder(tmp_path / "f", [(64, 48)] * 5)
    frames = list(open_source(tmp_path / "f", start_time=START, fps=10.0))
    assert [f.timestamp_s for f in frames] == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])


def test_a_corrupt_frame_mid_stream_is_skipped_and_counted(tmp_path: Path) -> None:
    write_folder(tmp_path / "f", [(64, 48)] * 6, corrupt=3)
    source = open_source(tmp_path / "f", start_time=START, fps=10.0)
    frames = list(source)
    assert [f.index for f in frames] == [0, 1, 2, 4, 5]
    assert frames[3].timestamp_s == pytest.approx(0.4)
    assert source.stats.corrupt_frames == 1


def test_frames_of_the_wrong_size_are_skipped_and_counted(tmp_path: Path) -> None:
    write_folder(tmp_path / "f", [(64, 48), (64, 48), (32, 24), (64, 48)])
    source = open_source(tmp_path / "f", start_time=START, fps=10.0, expected_size=(64, 48))
    assert [f.index for f in source] == [0, 1, 3]
    assert source.stats.wrong_size_frames == 1


def test_a_source_with_only_wrong_sized_frames_is_reported(tmp_path: Path) -> None:
    write_folder(tmp_path / "f", [(32, 24)] * 3)
    source = open_source(tmp_path / "f", start_time=START, fps=10.0, expected_size=(64, 48))
    with pytest.raises(VideoOpenError, match="not 64×48"):
        list(source)


def test_a_folder_without_images_is_reported(tmp_path: Path) -> None:
    (tmp_path / "f").mkdir()
    with pytest.raises(VideoOpenError, match="no images"):
        open_source(tmp_path / "f", start_time=START, fps=10.0)


def test_timestamp_gaps_count_as_dropped_frames() -> None:
    from enforcement.video import FrameSource

    image = np.zeros((4, 4, 3), np.uint8)
    reader = iter([(0.0, image), (0.04, image), (0.2, image), (0.24, image)])
    source = FrameSource("test", 25.0, (4, 4), reader, start_time=START, expected_size=None)
    assert len(list(source)) == 4
    assert source.stats.dropped_frames == 3


def test_a_corrupt_frame_inside_a_clip_is_skipped_and_counted_once(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    rng = np.random.default_rng(0)
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"mp4v"), 25.0, (160, 120))
    for _ in range(50):
        noise = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
        writer.write(cv2.GaussianBlur(noise, (5, 5), 0))
    writer.release()
    # Overwrite one coded picture in the middle of the file with garbage.
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        packets = [(p.pos, p.size) for p in container.demux(stream) if p.size]
    position, size = packets[20]
    data = bytearray(clip.read_bytes())
    data[position : position + size] = rng.integers(0, 255, size, dtype=np.uint8).tobytes()
    clip.write_bytes(bytes(data))
    source = open_source(clip, start_time=START)
    frames = list(source)
    assert len(frames) == 49 and 20 not in [f.index for f in frames]
    assert frames[20].timestamp_s == pytest.approx(21 / 25, abs=1e-3)
    assert source.stats.corrupt_frames == 1 and source.stats.dropped_frames == 0


def _gop_clip(path: Path, frames: int, gop: int) -> None:
    """A clip where a bright bar stands at x = 2k in frame k; a key frame every ``gop``."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 128, 48, "yuv420p"
        stream.codec_context.gop_size = gop
        for k in range(frames):
            image = np.full((48, 128, 3), 60, np.uint8)
            image[:, 2 * k : 2 * k + 2] = 250
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.mark.parametrize(
    ("gop", "expected_frames"),
    [
        (5, [0, 10, 20, 35, 45, 55]),  # 12 key frames: 6 of them, evenly spread
        (250, [0, 10, 20, 30, 40, 50]),  # one key frame: every 10th frame decoded
    ],
)
def test_priming_samples_come_from_key_frames_when_the_clip_has_enough(
    tmp_path: Path, gop: int, expected_frames: list[int]
) -> None:
    clip = tmp_path / "clip.mp4"
    _gop_clip(clip, 60, gop)
    source = open_source(clip, start_time=START)
    samples = source.sample_images(count=6, span_s=2.4, size=(128, 48))
    bars = [int(np.argmax(s[:, :, 1].mean(axis=0))) // 2 for s in samples]
    assert bars == expected_frames
    assert next(iter(source)).index == 0  # the pre-scan leaves the source untouched


def test_rows_the_decoder_pads_are_read_without_their_padding(tmp_path: Path) -> None:
    clip = tmp_path / "narrow.mp4"
    rng = np.random.default_rng(5)
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 70, 46, "yuv420p"  # rows padded to 128
        for _ in range(4):
            image = rng.integers(0, 255, (46, 70, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with av.open(str(clip)) as container:
        expected = [f.to_ndarray(format="yuv420p") for f in container.decode(video=0)]
    frames = list(open_source(clip, start_time=START))
    assert len(frames) == len(expected) == 4
    for frame, planes in zip(frames, expected, strict=True):
        assert frame.size == (70, 46)
        assert np.array_equal(frame._i420, planes)
