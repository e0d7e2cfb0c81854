"""The one exception type for mistakes a user can fix."""


class UserError(Exception):
    """A problem caused by user input: the message names it and says how to fix it.

    The CLI prints the message on one line and exits with code 2, without a traceback.
    """
