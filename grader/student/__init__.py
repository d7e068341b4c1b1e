"""What a student runs: `bpcourse start`, `check`, `explore`, and the JupyterLab they open."""
