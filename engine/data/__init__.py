"""Seeded dataset generators: nothing is downloaded at run time."""
