// The statistics overlay: coloured rectangles in pixel coordinates (bars, and the
// pixels of a 5x7 bitmap font), one instance each, drawn as 4-vertex strips.
// Layouts match demo/src/gpu_types.rs (checked by tests/shaders.rs).

struct FrameUniforms {
    camera: vec4<f32>,
    // x, y: target size in pixels; z: time in seconds; w: unused.
    viewport: vec4<f32>,
}

@group(0) @binding(0) var<uniform> frame: FrameUniforms;

struct RectIn {
    @builtin(vertex_index) corner_index: u32,
    // x, y: top-left corner in pixels; z, w: width and height in pixels.
    @location(0) rect: vec4<f32>,
    // sRGB-encoded colour with alpha (unorm8x4), like CSS colours.
    @location(1) color: vec4<f32>,
}

struct RectOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec4<f32>,
}

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let low = c / 12.92;
    let high = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, c <= vec3<f32>(0.04045));
}

@vertex
fn vs_main(in: RectIn) -> RectOut {
    let corner = vec2<f32>(f32(in.corner_index & 1u), f32(in.corner_index >> 1u));
    let pixel = in.rect.xy + corner * in.rect.zw;
    let ndc = vec2<f32>(pixel.x / frame.viewport.x * 2.0 - 1.0, 1.0 - pixel.y / frame.viewport.y * 2.0);

    var out: RectOut;
    out.clip = vec4<f32>(ndc, 0.0, 1.0);
    out.color = vec4<f32>(srgb_to_linear(in.color.rgb), in.color.a);
    return out;
}

@fragment
fn fs_main(in: RectOut) -> @location(0) vec4<f32> {
    return in.color;
}
