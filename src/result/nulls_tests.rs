//! Tests of [`NullReasons`].

use super::*;

#[test]
fn placeholder() {}
