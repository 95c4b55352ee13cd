//! Tests: directory.
