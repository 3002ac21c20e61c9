//! The command format (being built).
