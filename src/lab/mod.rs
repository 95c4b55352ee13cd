//! Training labs: scenario files and their runner (work in progress).
