"""What the course notebooks import: test helpers with worded messages, and (as steps land) datasets,
plots and widgets. Nothing here implements a graded function: answers live in `solutions/` only."""

from bp_helpers.i18n import translate_plot_text

translate_plot_text()  # a Korean course labels every plot in Korean, whichever helper its notebook imports
