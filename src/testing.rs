//! proptest strategies for downstream property tests (feature `proptest`).
