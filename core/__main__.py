"""``python -m itsmhub``: the same as the ``itsmhub`` command."""

from .cli import main

main()
