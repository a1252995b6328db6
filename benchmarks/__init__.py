"""Side-by-side speed benchmarks of minitorch against PyTorch CPU, reported as ratios."""
