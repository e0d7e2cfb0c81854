"""Text-to-speech: eSpeak NG phonemes -> log-mel (non-autoregressive) -> waveform."""
