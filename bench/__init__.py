"""Performance harness (DESIGN.md, "Performance budget"): reports numbers, asserts nothing."""
