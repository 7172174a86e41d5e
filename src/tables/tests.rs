//! Tests of the CSV tables.
