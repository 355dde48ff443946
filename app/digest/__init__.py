"""The weekly digest: a team's new signals, measures off goal, overdue work and tested changes."""
