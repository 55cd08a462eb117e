"""Data files shipped with the parser (a package so that wheels include them)."""
