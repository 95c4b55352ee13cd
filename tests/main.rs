//! tapsim's integration tests: one binary, one module per area. Tests are named after
//! the spec's rule ids (see docs/rules.md).

#![allow(missing_docs)]

mod common;

mod audit;
mod b2;
mod concurrency;
mod directory;
mod drafts;
mod fidelity;
mod graph;
mod model;
mod passes;
mod policy;
mod secrets;
mod signin;
mod strength;
