"""Developer tools for tests and benchmarks; nothing here is needed by users of coauthor."""
