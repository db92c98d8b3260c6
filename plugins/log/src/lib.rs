//! The log plugin (to be built).
