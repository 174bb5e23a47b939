"""Storage on LanceDB: the one place that opens databases and owns table schemas."""
