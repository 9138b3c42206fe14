from hypothesis import settings

# Deterministic fuzzing: the same examples on every run (CI must not be flaky), no per-example
# deadline (the first call of a Numba kernel includes its compilation).
settings.register_profile("fastrisk", deadline=None, max_examples=30, derandomize=True)
settings.load_profile("fastrisk")
