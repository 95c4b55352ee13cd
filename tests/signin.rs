//! Tests: signin.
