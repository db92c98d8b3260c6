//! Helpers for netraf's end-to-end tests: network namespaces, veth pairs and exact frames.

pub mod corpus;
pub mod files;
