//! Tests: policy.
