"""Where denial rows come from: Athena, the embedded DuckDB engine, or a file of rows."""
