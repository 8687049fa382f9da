"""`python -m planetrss` and the `planetrss` command: the command line.

Ctrl-C while the command line is still being imported gets the same one line and exit
status as later (the CLI itself handles it from then on).
"""

import sys


def main() -> None:
    try:
        from planetrss.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("planetrss: interrupted\n")
        sys.exit(130)
    cli_main()


# Guarded: worker processes started by `spawn` import this module as __mp_main__.
if __name__ == "__main__":
    main()
