//! The tests that visit every endpoint of the generated crate through its `EndpointVisitor`: each
//! instantiates the typed request and response of all of them, the heaviest code to compile of
//! the test suite. They are a binary of their own so that it compiles beside `it` on a second core.

mod canonical_bodies;
mod cli_meta;
mod spec_examples;
