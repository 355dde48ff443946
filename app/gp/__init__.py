"""The GP's part of the pathway: a one-page summary for the GP review (HPH 3)."""
