"""Measures: catalogue, SQL aggregation, stored measure items, manual measures and annotations."""

# Registers the session hook that keeps stored measure items current on every write; any use
# of the tables (the application, the command line, migrations, tests) loads this package.
from app.measures import item_store as item_store

# ... and the hooks that keep the stored counts exact in the same transaction.
from app.measures import stored_counts as stored_counts
