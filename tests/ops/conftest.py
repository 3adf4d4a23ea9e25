"""Fixtures of the operations tests: the real-time tests' simulation home and the batch tests' generated dataset."""

from tests.batch.conftest import generated_dataset  # noqa: F401  (fixtures, used by name)
from tests.sim.conftest import sim_home  # noqa: F401
