"""Sample tenant register and price table (invented households) for docs, demos and tests."""
