//! Build-time switches of the engine, as `cfg`s:
//! - `reserved_backing`: the target can reserve address space and commit it page by
//!   page (`Backing::Reserved`): 64-bit Linux, macOS and Windows.
//! - `engine_default_backing`: the backing every arena takes by default, from the
//!   environment variable `ENGINE_DEFAULT_BACKING` (`chunked` or `reserved`) at build
//!   time. Unset, plain arenas are chunked and frame arenas reserved. The test suite
//!   runs once with each value, so that both backings pass all of it.

use std::env;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(reserved_backing)");
    println!(
        "cargo::rustc-check-cfg=cfg(engine_default_backing, values(\"chunked\", \"reserved\"))"
    );
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=ENGINE_DEFAULT_BACKING");
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let width = env::var("CARGO_CFG_TARGET_POINTER_WIDTH").unwrap_or_default();
    if matches!(os.as_str(), "linux" | "macos" | "windows") && width == "64" {
        println!("cargo::rustc-cfg=reserved_backing");
    }
    match env::var("ENGINE_DEFAULT_BACKING") {
        Ok(value) if value == "chunked" || value == "reserved" => {
            println!("cargo::rustc-cfg=engine_default_backing=\"{value}\"");
        }
        Ok(value) if value.is_empty() => {}
        Ok(value) => panic!("ENGINE_DEFAULT_BACKING is `{value}`: use `chunked` or `reserved`"),
        Err(_) => {}
    }
}
