"""The core every feature builds on: what a report is reached by (its tokens) and the links
that point people at it. Features import from here; the core imports no feature."""
