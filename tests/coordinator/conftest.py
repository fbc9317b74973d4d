"""The coordinator tests' fixtures (defined in coordinator_fakes)."""

from tests.coordinator.coordinator_fakes import coordinator, fleet, settings  # noqa: F401
