"""The network's overview: units x measures with Making Data Count icons, and bright spots."""
