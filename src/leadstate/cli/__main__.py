"""`python -m leadstate.cli`."""

from leadstate.cli import main

main()
