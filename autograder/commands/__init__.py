"""`mgrade` subcommands that live in their own module (registered in `autograder.cli`)."""
