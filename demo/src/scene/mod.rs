//! The simulated world: the current level's objects, the camera, and time. Nothing
//! here touches the GPU or a window.

pub mod build;
pub mod debris;
pub mod level;
pub mod level_defs;
pub mod level_format;
pub mod objects;
pub mod parallel;
pub mod rng;

use glam::Vec2;
use level::Level;

/// What the player does to the camera this frame (from keys, or nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CameraInput {
    /// Pan direction, each axis in -1..=1 (+y is up).
    pub pan: Vec2,
    /// Zoom direction: +1 zooms in, -1 out.
    pub zoom: f32,
}

/// A 2D camera: a centre and a zoom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// World position at the centre of the view.
    pub center: Vec2,
    /// Half the view's height in world units.
    pub half_height: f32,
}

impl Camera {
    /// Half the view's size in world units for a target of `aspect` (width / height).
    #[must_use]
    pub fn half_extent(&self, aspect: f32) -> Vec2 {
        Vec2::new(self.half_height * aspect, self.half_height)
    }
}

/// The current level, the camera and the clock.
#[derive(Debug)]
pub struct Scene {
    /// The level being played.
    pub level: Level,
    /// Its index in the level list.
    pub level_index: usize,
    /// The camera.
    pub camera: Camera,
    /// Seconds since the level started.
    pub time: f32,
    /// Whether the camera drifts by itself (the headless default).
    pub autopilot: bool,
}

/// Camera speed: view heights per second.
const PAN_SPEED: f32 = 0.8;
/// Zoom speed: e-folds per second.
const ZOOM_SPEED: f32 = 1.2;

impl Scene {
    /// A scene starting at `level`.
    #[must_use]
    pub fn new(level: Level, level_index: usize, autopilot: bool) -> Scene {
        let camera = Scene::start_camera(&level);
        Scene {
            level,
            level_index,
            camera,
            time: 0.0,
            autopilot,
        }
    }

    /// The camera a level starts with: centred, at the level's zoom.
    #[must_use]
    pub fn start_camera(level: &Level) -> Camera {
        Camera {
            center: Vec2::ZERO,
            half_height: level.record().view_half_height,
        }
    }

    /// Swaps in another level, resetting camera and clock; returns the old level
    /// (for the caller to unload).
    pub fn replace_level(&mut self, level: Level, level_index: usize) -> Level {
        self.camera = Scene::start_camera(&level);
        self.time = 0.0;
        self.level_index = level_index;
        std::mem::replace(&mut self.level, level)
    }

    /// Advances the world by `dt` seconds: objects move, the camera follows input
    /// (or the autopilot). Allocates nothing.
    pub fn update(&mut self, dt: f32, input: CameraInput) {
        let world = self.level.world_half_extent();
        objects::simulate(self.level.objects_mut(), world, dt);
        self.time += dt;
        let start = self.level.record().view_half_height;
        if self.autopilot {
            // A slow figure-of-eight over the middle of the world.
            let t = self.time * 0.15;
            self.camera.center = Vec2::new(t.sin(), (2.0 * t).sin() * 0.5) * world * 0.4;
        } else {
            self.camera.center += input.pan * self.camera.half_height * 2.0 * PAN_SPEED * dt;
            self.camera.center = self.camera.center.clamp(-world, world);
            self.camera.half_height *= (-input.zoom * ZOOM_SPEED * dt).exp();
        }
        self.camera.half_height = self
            .camera
            .half_height
            .clamp(start * 0.1, world.y.max(start) * 1.5);
    }
}
