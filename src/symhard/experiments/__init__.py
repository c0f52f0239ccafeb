"""Experiments: specs, sweeps, executors and the Parquet store (the report and its figures: :mod:`symhard.report`)."""
