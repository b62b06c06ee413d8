//! Every WGSL file in `shaders/` parses and validates with naga (no GPU needed),
//! has the entry points the demo's pipelines use, and its uniform blocks have the
//! sizes of the Rust types the demo uploads.

use std::path::{Path, PathBuf};

fn shader_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shaders")
}

fn shader_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shader_dir())
        .expect("shaders/ exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "wgsl"))
        .collect();
    files.sort();
    files
}

fn parse_and_validate(path: &Path) -> (naga::Module, naga::valid::ModuleInfo) {
    let source = std::fs::read_to_string(path).expect("shader is readable UTF-8");
    let module = naga::front::wgsl::parse_str(&source)
        .unwrap_or_else(|error| panic!("{}: {}", path.display(), error.emit_to_string(&source)));
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(&module)
    .unwrap_or_else(|error| panic!("{}: {}", path.display(), error.emit_to_string(&source)));
    (module, info)
}

#[test]
fn every_shader_parses_and_validates() {
    let files = shader_files();
    assert!(
        files.len() >= 2,
        "expected the demo's shaders in {}",
        shader_dir().display()
    );
    for path in &files {
        let (module, _) = parse_and_validate(path);
        let entry_points: Vec<(&str, naga::ShaderStage)> = module
            .entry_points
            .iter()
            .map(|entry| (entry.name.as_str(), entry.stage))
            .collect();
        assert!(
            entry_points.contains(&("vs_main", naga::ShaderStage::Vertex))
                && entry_points.contains(&("fs_main", naga::ShaderStage::Fragment)),
            "{}: the demo's pipelines need vs_main and fs_main, found {entry_points:?}",
            path.display()
        );
    }
}

#[test]
fn uniform_blocks_match_the_rust_types() {
    let expected = [
        ("FrameUniforms", size_of::<demo::gpu_types::FrameUniforms>()),
        ("DrawUniforms", size_of::<demo::gpu_types::DrawUniforms>()),
    ];
    let mut checked = 0;
    for path in shader_files() {
        let (module, _) = parse_and_validate(&path);
        let mut layouter = naga::proc::Layouter::default();
        layouter.update(module.to_ctx()).expect("layouts compute");
        for (handle, ty) in module.types.iter() {
            let Some(name) = ty.name.as_deref() else {
                continue;
            };
            if let Some(&(_, rust_size)) = expected.iter().find(|(n, _)| *n == name) {
                assert_eq!(
                    layouter[handle].size as usize,
                    rust_size,
                    "{}: struct {name} is {} bytes in WGSL but {rust_size} in demo::gpu_types",
                    path.display(),
                    layouter[handle].size
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 3,
        "expected FrameUniforms in both shaders and DrawUniforms in sprite.wgsl"
    );
}

#[test]
fn the_demo_compiles_the_same_sources() {
    // The demo embeds the shaders with include_str!; make sure they are these files.
    let sprite = std::fs::read_to_string(shader_dir().join("sprite.wgsl")).unwrap();
    let overlay = std::fs::read_to_string(shader_dir().join("overlay.wgsl")).unwrap();
    assert_eq!(sprite, demo::renderer::SPRITE_WGSL);
    assert_eq!(overlay, demo::renderer::OVERLAY_WGSL);
}
