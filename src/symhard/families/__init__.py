"""The hard families of the paper, one module per result, and their registry.

A family is one module of this package (a :class:`~symhard.families.base.Family` subclass that
declares its parameters, group, bound, certificate and experiment task) plus one line of
:data:`REGISTRY`. ``symhard check``, ``symhard families``, spec validation, ``symhard bench`` and
the docs' family table are generated from the declarations. The registry names module paths,
so listing the families imports nothing heavy (``symhard --help`` stays fast and torch-free).

A family outside this package registers itself at import with
:func:`~symhard.families.base.register_family` (for instance a module named in a spec's
``imports``).
"""

#: name -> "module:Class" of every built-in family (one line per family).
REGISTRY: dict[str, str] = {
    "boolean-parity": "symhard.families.boolean:BooleanParity",
    "boolean-random": "symhard.families.boolean:BooleanRandom",
    "gnn-degree-parity": "symhard.families.gnn_degree_parity:GNNDegreeParity",
    "gnn-features": "symhard.families.gnn_features:GNNFeatures",
    "cnn": "symhard.families.cnn:CNNFamily",
    "frames": "symhard.families.frames:FramesFamily",
    "polynomials": "symhard.families.polynomials:PolynomialsFamily",
}

__all__ = ["REGISTRY"]
