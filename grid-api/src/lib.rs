//! # gridmap
//!
//! The `gridmap` command-line tool and HTTP service. This crate is glue: it parses
//! arguments ([`cli`]), runs commands ([`commands`]) that pipe importer output into the
//! store, partition villages and serve the map over HTTP ([`http`]).
#![forbid(unsafe_code)]

// first, so that `outln!` is in scope in every module below
#[macro_use]
pub mod output;

pub mod cli;
pub mod commands;
pub mod http;
pub mod progress;
