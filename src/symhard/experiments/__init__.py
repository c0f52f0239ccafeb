"""Experiments: specs, sweeps, executors, the Parquet store, plots and the report."""
