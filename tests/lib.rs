//! Shared helpers of the heartwire test suite.
