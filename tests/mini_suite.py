"""A two-task suite of small built-in tasks, for the tests that run a suite through the executors
(``tests/test_bench_suite.py``: a process pool; ``tests/test_cluster.py``: a two-node Ray cluster)."""

MINI_SUITE = """
version = "mini"
description = "two small built-in tasks, for the executors and the cluster"
seeds = [0, 1]
harness_seed = 0
n_test = 128
success_threshold = 0.1

[budget]
samples = 400
steps = 80
batch_size = 32
lrs = [1e-2, 3e-2]
baseline_width = 8
val_fraction = 0.2

[invariance]
samples = 16
tol = 1e-4

[[task]]
id = "boolean-n6-hard"
task = "boolean"
role = "hard"
value = 6

[[task]]
id = "boolean-n8-control"
task = "boolean"
role = "control"
value = 8
"""
