// Instanced 2D meshes: one draw per (layer, mesh, material) run of the sorted
// visible list. Per-vertex data is the level's mesh (uploaded once per level);
// per-instance data and both uniform blocks come from the frame's GPU upload ring.
// Layouts match demo/src/gpu_types.rs (checked by tests/shaders.rs).

struct FrameUniforms {
    // xy: camera centre (world units), zw: half extent of the view (world units).
    camera: vec4<f32>,
    // x, y: target size in pixels; z: time in seconds; w: unused.
    viewport: vec4<f32>,
}

struct DrawUniforms {
    // Material colour, linear RGBA.
    color: vec4<f32>,
    // x: edge darkening (0..1), y: pulse amplitude, z: pulse speed (rad/s), w: unused.
    params: vec4<f32>,
}

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var<uniform> draw: DrawUniforms;

struct VertexIn {
    // Mesh vertex, in mesh units (the mesh fits a unit circle).
    @location(0) local: vec2<f32>,
    // 0 at the mesh centre, 1 on its outline.
    @location(1) edge: f32,
    // Instance: world position, scale, rotation (radians), tint (unorm8x4).
    @location(2) position: vec2<f32>,
    @location(3) scale: f32,
    @location(4) rotation: f32,
    @location(5) tint: vec4<f32>,
}

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec4<f32>,
    @location(1) edge: f32,
}

@vertex
fn vs_main(in: VertexIn) -> VertexOut {
    let c = cos(in.rotation);
    let s = sin(in.rotation);
    let rotated = vec2<f32>(c * in.local.x - s * in.local.y, s * in.local.x + c * in.local.y);
    // Materials may pulse; the phase comes from the rotation so neighbours differ.
    let pulse = 1.0 + draw.params.y * sin(frame.viewport.z * draw.params.z + in.rotation * 3.0);
    let world = in.position + rotated * in.scale * pulse;
    let ndc = (world - frame.camera.xy) / frame.camera.zw;

    var out: VertexOut;
    out.clip = vec4<f32>(ndc, 0.0, 1.0);
    out.color = draw.color * in.tint;
    out.edge = in.edge;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let shade = 1.0 - draw.params.x * in.edge * in.edge;
    return vec4<f32>(in.color.rgb * shade, in.color.a);
}
