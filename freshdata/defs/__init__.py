"""The thin Dagster layer: each asset calls one function of a domain module and reports its counts."""
