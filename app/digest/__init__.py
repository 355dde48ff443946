"""The weekly digest of a team (page card, e-mail, `hph digest send`) and its storyboard."""
