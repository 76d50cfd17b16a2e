"""The exit codes of every ``finops`` command, as ``pulumi preview`` uses them."""

EXIT_OK = 0          # clean, or advisory violations only
EXIT_VIOLATION = 1   # a mandatory violation, or a refused cost increase
EXIT_BAD_INPUT = 2   # bad input: one line naming the file and key, never a traceback
