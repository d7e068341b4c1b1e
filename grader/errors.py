"""The one exception type the CLI turns into a one-line message instead of a traceback."""


class CourseError(Exception):
    """A problem a person can fix: the message names it and says how, in one or two sentences."""
