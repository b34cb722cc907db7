"""Running trials: the loop (`loop`), where trials run (`workers`), and the two searches on it,
`minimize` and `search`, with scikit-learn's `SpaceSearchCV` (`sklearn`, imported on first use)."""
