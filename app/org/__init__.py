"""Networks, organisations, teams, users, memberships and sign-in."""
