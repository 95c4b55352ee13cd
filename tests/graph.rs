//! Tests: graph.
