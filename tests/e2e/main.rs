//! End-to-end tests: the real `prov` binary on real files, real keys, the real ledger files.
#![forbid(unsafe_code)]

mod bad_input;
mod claims;
mod cli_edges;
mod cli_json;
mod cli_pages;
mod conformance;
mod containers;
mod crash;
mod dkim;
mod documents;
mod environment;
mod errors;
mod forge;
mod fork;
mod full_disk;
mod hostile;
mod injection;
mod integrity;
mod key_encryption;
mod key_file;
mod manifest;
mod manifest_formats;
mod messages;
mod publish;
mod readers;
mod review_cli;
mod review_content;
mod review_tiles;
mod similar;
mod timestamps;
mod walk_races;
mod walkthrough;
mod web;
mod witness;
