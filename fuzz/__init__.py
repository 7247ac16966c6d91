"""Coverage-guided fuzz targets (atheris) over every parser; see docs/fuzzing.md."""
