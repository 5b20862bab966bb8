//! Workloads shared by the criterion benchmarks and the `ratio` report.
