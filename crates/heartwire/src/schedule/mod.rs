//! The schedule format (being built).
