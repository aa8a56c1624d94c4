"""`python -m coauthor` is the same as the `coauthor` command."""

from coauthor.cli import main

main()
