"""Two front-end checks of text-to-speech, printed as tables:

1. how often ``espeak_TextToPhonemes`` (what predict uses) gives the same phoneme sequence as
   the PHONEME events of synthesis (what the corpus's durations come from), on Shakespeare
   lines of 3-20 words;
2. Griffin-Lim with the mel filter bank's pseudo-inverse (ours) vs librosa's NNLS inversion:
   MCD, STOI and seconds per sentence on the true mels of a few sentences.

    python benchmarks/sweeps/tts_front_end.py [--lines 300] [--sentences 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from deeptasks.benchmarking import markdown_table
from deeptasks.common.metrics import speech_quality
from deeptasks.datasets import english_text, espeak, tts
from deeptasks.tasks.text_to_speech.inference import griffin_lim


def nnls_griffin_lim(mel: np.ndarray, iterations: int = 32) -> np.ndarray:
    import librosa

    magnitude = np.exp(np.concatenate([mel, mel[-1:]]).T)
    return librosa.feature.inverse.mel_to_audio(
        magnitude,
        sr=tts.SAMPLE_RATE,
        n_fft=tts.N_FFT,
        hop_length=tts.HOP,
        power=1.0,
        fmin=0.0,
        fmax=tts.F_MAX,
        n_iter=iterations,
        length=len(mel) * tts.HOP,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--sentences", type=int, default=2)
    args = parser.parse_args()
    lines = [s for s in english_text.shakespeare_lines() if 3 <= len(s.split()) <= 20]
    lines = lines[: 10 * args.lines : 10]
    same = sum(
        [n for n, _ in espeak.synthesize_phonemes(line)[2]] == espeak.text_to_phonemes(line)
        for line in lines
    )
    print(
        markdown_table(
            ("lines", "same sequence", "share"),
            [(str(len(lines)), str(same), f"{same / len(lines):.3f}")],
        )
    )
    rows = []
    for line in lines[: args.sentences]:
        spoken = tts.utterance(line, "en-us")
        reference = spoken["audio"] / 32768.0
        for name, invert in (("pseudo-inverse", griffin_lim), ("librosa NNLS", nnls_griffin_lim)):
            started = time.perf_counter()
            audio = invert(spoken["mel"], 32)
            seconds = time.perf_counter() - started
            mcd = speech_quality.compare(reference, audio, tts.SAMPLE_RATE)["mcd"]
            stoi = speech_quality.stoi(reference, audio, tts.SAMPLE_RATE)
            rows.append((line[:30], name, f"{mcd:.2f}", f"{stoi:.3f}", f"{seconds:.2f}"))
    print(markdown_table(("sentence", "inversion", "MCD dB", "STOI", "seconds"), rows))


if __name__ == "__main__":
    main()
