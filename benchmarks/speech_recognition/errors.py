"""What a speech recognition run gets wrong: on the test split, per accent group, the word
substitutions, deletions and insertions (``jiwer``'s alignment), how many substituted
words are not words of the LM text at all (misspellings a lexicon could catch), and the
most frequent substitutions, greedy and with beam search + the run's language models.

    python benchmarks/speech_recognition/errors.py --workdir runs/bench-sr-v9/blstm-benchmark [--top 15]
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from pathlib import Path

from deeptasks.benchmarking import markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    import jiwer

    from deeptasks.common.metrics.speech import cer
    from deeptasks.runs import load_run
    from deeptasks.tasks.speech_recognition import data, decoding, inference

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="a finished speech_recognition run")
    parser.add_argument("--top", type=int, default=15, help="substitutions listed per group")
    args = parser.parse_args()

    _, cfg, model = load_run(Path(args.workdir))
    audio, references, rows = data.examples(cfg, "test")
    scores = inference.logits(model, audio)
    vocabulary = {word for text in data.lm_texts(cfg) for word in text.split()}
    decoders = {"greedy": decoding.decode, "beam + LM": decoding.decoder_with_lm(cfg)}
    table, listed = [], []
    for name, decoder in decoders.items():
        hypotheses = decoder(scores)
        for group in sorted({row.get("group", "all") for row in rows}):
            chosen = [k for k, row in enumerate(rows) if row.get("group", "all") == group]
            refs, hyps = [references[k] for k in chosen], [hypotheses[k] for k in chosen]
            words = jiwer.process_words(refs, hyps)
            substituted: Counter = Counter()
            for chunks, ref, hyp in zip(words.alignments, words.references, words.hypotheses):
                for chunk in (c for c in chunks if c.type == "substitute"):
                    said = ref[chunk.ref_start_idx : chunk.ref_end_idx]
                    heard = hyp[chunk.hyp_start_idx : chunk.hyp_end_idx]
                    substituted.update(zip(said, heard))
            outside = sum(n for (_, heard), n in substituted.items() if heard not in vocabulary)
            table.append(
                [name, group, str(len(chosen)), f"{100 * cer(refs, hyps):.1f}%"]
                + [f"{100 * words.wer:.1f}%", str(words.substitutions), str(words.deletions)]
                + [str(words.insertions), str(outside)]
            )
            common = ", ".join(f"{a}->{b} {n}" for (a, b), n in substituted.most_common(args.top))
            listed.append(f"{name}, {group}: {common}")
    print(f"{args.workdir}: test split, {len(audio)} utterances")
    header = ["decoding", "group", "n", "CER", "WER", "subst.", "deleted", "inserted"]
    print(markdown_table([*header, "subst. not in LM text"], table))
    print("\nmost frequent substitutions (said->heard count):")
    print("\n".join(listed))


if __name__ == "__main__":
    main()
