"""Learners: the ensemble gradient-descent trainer, the SQ learner for invariant polynomials,
the SQ/CSQ separation experiment and baselines (one module each; import the module you need)."""
