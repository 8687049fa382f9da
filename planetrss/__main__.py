"""`python -m planetrss` runs the command line."""

from planetrss.cli import main

main()
