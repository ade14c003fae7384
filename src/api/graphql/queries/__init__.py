"""Query fields, grouped by caller."""
