"""What the course notebooks import: test helpers with worded messages, and (as steps land) datasets,
plots and widgets. Nothing here implements a graded function: answers live in `solutions/` only."""
