"""Helpers shared by the test suite and the benchmarks: media generators, the fake transcription server."""
