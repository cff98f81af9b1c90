//! The integration tests: one binary (cheaper to link than one per file),
//! one module per area. Each test drives the real router on a fresh SQLite
//! file, or the real binary for the CLI.

#[allow(dead_code)]
mod common;

mod accounts;
mod cli;
mod developer_page;
mod flash;
mod instances;
mod invitations;
mod keys;
mod lifecycle;
mod members;
mod notify;
mod outage;
mod plans;
mod requests;
mod rest_api;
mod schema;
mod search;
mod sessions;
mod site;
mod sync;
mod two_factor;
mod usage;
mod webhooks;
