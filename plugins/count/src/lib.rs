//! The count plugin (to be built).
