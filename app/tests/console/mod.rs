//! What the console's UI tests share: a private runtime directory for Mesa's EGL and an empty data folder, the
//! harness that renders the console on the CPU (Mesa llvmpipe), and waiting for the twin's worker.
#![allow(dead_code)]

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;
use std::sync::Once;
use std::time::{Duration, Instant};

use edgetwin::ui::shell::ConsoleApp;
use egui_kittest::{Harness, SnapshotOptions};
use twin::Twin;

pub const SIZE: [f32; 2] = [1400.0, 860.0];

/// Mesa's EGL looks for a Wayland display first, and libwayland prints "XDG_RUNTIME_DIR is invalid or not
/// set" each time it finds no runtime directory: give the tests a private one, as a login session would, before
/// the first renderer starts (and before any other thread could read the environment). And an empty data
/// folder, for the what-if history.
pub fn private_runtime_dir() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if !std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| Path::new(&d).is_dir()) {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-runtime");
            if !dir.is_dir() {
                std::fs::DirBuilder::new().mode(0o700).create(&dir).expect("creating the tests' runtime directory");
            }
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                .expect("a private runtime directory");
            // SAFETY: the first harness calls this before any renderer (or other thread of ours) reads the
            // environment.
            unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
        }
        // The what-if view keeps its history under XDG_DATA_HOME: an empty one for the tests, not the user's.
        let data = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("xdg-data-{}", std::process::id()));
        std::fs::remove_dir_all(&data).ok();
        // SAFETY: as above.
        unsafe { std::env::set_var("XDG_DATA_HOME", &data) };
    });
}

pub fn harness(mut app: ConsoleApp) -> Harness<'static, ConsoleApp> {
    private_runtime_dir();
    // The frame time differs from run to run: snapshots leave it out.
    app.state.show_frame_time = false;
    Harness::builder()
        .with_size(SIZE)
        // Site names come from GeoNames in every script; the bundled fonts cannot draw them all.
        .allow_missing_glyphs()
        .wgpu()
        .build_ui_state(|ui, app: &mut ConsoleApp| app.show(ui), app)
}

/// The default scenario after `hours` simulated hours, paused: every frame shows the same data.
pub fn console_after(hours: u64) -> ConsoleApp {
    let mut twin = Twin::default_scenario().expect("default scenario builds");
    twin.advance_minutes(hours * 60);
    ConsoleApp::with_twin(twin, "default".into(), None)
}

/// Steps frames until `cond` holds, for at most a minute; the twin worker publishes on its own thread.
pub fn step_until(h: &mut Harness<'_, ConsoleApp>, what: &str, cond: impl Fn(&ConsoleApp) -> bool) {
    step_until_within(h, what, Duration::from_secs(60), cond);
}

/// Steps frames until `cond` holds, for at most `limit`.
pub fn step_until_within(
    h: &mut Harness<'_, ConsoleApp>,
    what: &str,
    limit: Duration,
    cond: impl Fn(&ConsoleApp) -> bool,
) {
    let deadline = Instant::now() + limit;
    while !cond(h.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
    h.run_steps(2);
}

pub fn sim_minutes(app: &ConsoleApp) -> u64 {
    app.state.twin.as_ref().map_or(0, |t| t.latest().snapshot.time.minutes())
}

/// Tolerates small differences in rendering from run to run.
pub fn snapshot_options() -> SnapshotOptions {
    SnapshotOptions::new().max_failed_pixels(600)
}
