"""Dashboards: a team's run charts, coordinators' comparison, and exports."""
