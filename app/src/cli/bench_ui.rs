//! `edgetwin bench-ui`: CPU time per console frame (layout + tessellation), headless, per view. Prints figures;
//! asserts none.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use connectors::mirror::{SourceState, now_s};

use super::{build_twin, load_scenario, non_negative_span};
use crate::ui::control::Control;
use crate::ui::shell::ConsoleApp;
use crate::ui::views::{REGISTERED, map};

#[derive(Args, Debug)]
pub struct BenchUiArgs {
    /// Scenario file, or `default` for the embedded default.
    #[arg(default_value = "assets/scenarios/netflix-scale.toml")]
    pub scenario: PathBuf,
    /// Simulated hours to run before measuring, so the map has traffic to draw.
    #[arg(long, default_value_t = 1.0, value_parser = non_negative_span)]
    pub after_sim_hours: f64,
    /// Frames measured per view.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub frames: u32,
    /// Mirror the deployment this configuration names (the emulator's demo: `mirror CONFIG --create-demo`
    /// first), and measure every view again with what it observed drawn over the twin. Without it, the AWS
    /// mirror view is measured unconnected.
    #[arg(long, value_name = "CONFIG")]
    pub mirror: Option<PathBuf>,
}

/// Longest the mirror is given to poll each of its sources once.
const MIRROR_FIRST_POLL: Duration = Duration::from_secs(60);

pub fn bench_ui(a: BenchUiArgs) -> anyhow::Result<()> {
    let mut twin = build_twin(load_scenario(&a.scenario, None)?, None)?;
    twin.advance_minutes((a.after_sim_hours * 60.0).round() as u64);
    let sites = twin.model().world.sites.len();
    let name = twin.model().scenario.name.clone();
    let ctx = egui::Context::default();
    let mut app = ConsoleApp::with_twin(twin, name.clone(), None);
    println!("scenario {name}: {sites} sites; window 1600×900 points; {} frames per view", a.frames);
    measure_views(&ctx, &mut app, a.frames, "");
    if let Some(config) = &a.mirror {
        app.handle(Control::ConnectMirror(config.clone()));
        let session = app.state.mirror.session.as_ref().ok_or_else(|| {
            anyhow::anyhow!("{}", app.state.mirror.error.clone().unwrap_or_else(|| "the mirror did not start".into()))
        })?;
        let waited = Instant::now();
        while session.mirror.state().sources.iter().any(|s| s.state(now_s()) == SourceState::Waiting) {
            if waited.elapsed() > MIRROR_FIRST_POLL {
                anyhow::bail!("{}: some sources gave nothing in {MIRROR_FIRST_POLL:?}", config.display());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let state = session.mirror.state();
        println!("mirroring {} ({}): every view again, overlaid", state.name, state.worst(now_s()).label());
        drop(state);
        measure_views(&ctx, &mut app, a.frames, " (mirrored)");
    }
    Ok(())
}

/// A part of a view measured on its own: its name, and for the map, its centre (lon, lat) and zoom.
type Case = (&'static str, Option<([f32; 2], f32)>);

/// Every registered view in turn (the map twice: the whole world, with sites merged into clusters, and Europe
/// close up, with every site drawn), in the state a first look finds it.
fn measure_views(ctx: &egui::Context, app: &mut ConsoleApp, frames: u32, suffix: &str) {
    for view in REGISTERED {
        let cases: &[Case] = if view.id == map::VIEW.id {
            // Zoom 0 fits the world on the first frame.
            &[("world", Some(([10.0, 20.0], 0.0))), ("Europe", Some(([10.0, 50.0], 40.0)))]
        } else {
            &[("", None)]
        };
        for &(part, map_view) in cases {
            app.state.view = view.id;
            if let (Some((center, zoom)), Some(map)) = (map_view, app.state.find_view_mut::<map::MapView>()) {
                (map.center, map.zoom) = (center, zoom);
            }
            let label = if part.is_empty() { view.label.to_string() } else { format!("{}, {part}", view.label) };
            let times = frame_times(ctx, app, frames);
            let mean = times.iter().sum::<f64>() / times.len() as f64;
            println!(
                "{:>26}: mean {:.2} ms, p95 {:.2} ms, max {:.2} ms per frame (layout + tessellation)",
                format!("{label}{suffix}"),
                mean,
                times[times.len() * 95 / 100],
                times[times.len() - 1]
            );
        }
    }
}

/// CPU time of `frames` frames (after five that build fonts and caches), sorted.
fn frame_times(ctx: &egui::Context, app: &mut ConsoleApp, frames: u32) -> Vec<f64> {
    let mut times = Vec::with_capacity(frames as usize);
    for i in 0..frames + 5 {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 900.0))),
            time: Some(i as f64 / 60.0),
            ..Default::default()
        };
        let t = Instant::now();
        let mut out = ctx.run_ui(input, |ui| app.show(ui));
        let primitives = ctx.tessellate(out.shapes, out.pixels_per_point);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        std::hint::black_box(primitives);
        // No renderer takes the font atlas's updates here (egui asserts they are not dropped unseen).
        out.textures_delta.clear();
        if i >= 5 {
            times.push(ms);
        }
    }
    times.sort_by(|x, y| x.total_cmp(y));
    times
}
