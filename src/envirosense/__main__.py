"""``python -m envirosense`` runs the command line."""

from envirosense.cli.app import main

main()
