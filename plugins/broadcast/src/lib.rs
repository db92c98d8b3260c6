//! The broadcast plugin (to be built).
