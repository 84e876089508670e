"""The engines that add scored records into sums by cell: compiled (Cython) or numpy."""
