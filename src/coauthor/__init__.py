"""coauthor."""
