//! Tests: story.
