"""`python -m planetrss` runs the command line."""

from planetrss.cli import main

# Guarded: worker processes started by `spawn` import this module as __mp_main__.
if __name__ == "__main__":
    main()
