"""HPH Tracker: improvement measurement for the HPH home-care pathway."""
