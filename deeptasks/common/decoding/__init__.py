"""Sequence decoding shared by the speech and language tasks.

One module per family: ``ctc`` (greedy and beam search over per-frame character
probabilities) and ``seq2seq`` (greedy and beam search for encoder-decoder models).
"""
