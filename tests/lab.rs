//! Tests: lab.
