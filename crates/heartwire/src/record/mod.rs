//! The record format (being built).
