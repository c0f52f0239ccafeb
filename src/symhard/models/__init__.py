"""Invariant architectures with an explicit leading ensemble axis ``M``.

Every model here holds ``M`` independent parameter sets (each parameter has shape
``[M, ...]``) and evaluates them in one batched call: ``forward(*inputs) -> [M, B]``. Inputs
may be shared by all members (``[B, ...]``) or given per member (``[M, B, ...]``). Graphs are
dense (PyTorch Geometric's dense layout): adjacency ``A[B, n, n]``, node features
``X[B, n, d]``. The modules are imported by name (``symhard.models.gnn``, ...); this package
imports none of them.
"""
