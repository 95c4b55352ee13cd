//! Tests: passes.
