"""'Hva er viktig for deg?' conversations, PSFS goals and ratings."""
