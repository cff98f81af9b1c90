//! The API docs, readable without signing in.

pub mod pages;
