//! `edgetwin bench-ui`: CPU time per console frame (layout + tessellation), headless, per view. Prints figures;
//! asserts none.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{build_twin, load_scenario, non_negative_span};
use crate::ui::shell::ConsoleApp;
use crate::ui::views::{fill, map, placement, qoe};

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
}

pub fn bench_ui(a: BenchUiArgs) -> anyhow::Result<()> {
    let mut twin = build_twin(load_scenario(&a.scenario, None)?, None)?;
    twin.advance_minutes((a.after_sim_hours * 60.0).round() as u64);
    let sites = twin.model().world.sites.len();
    let name = twin.model().scenario.name.clone();
    let ctx = egui::Context::default();
    let mut app = ConsoleApp::with_twin(twin, name.clone(), None);
    println!("scenario {name}: {sites} sites; window 1600×900 points; {} frames per view", a.frames);
    // The whole world (sites merged into clusters), Europe close up (every site drawn), the QoE plots, the
    // placement heat map and the fill Gantt.
    let cases = [
        ("map, world", map::VIEW.id, None),
        ("map, Europe", map::VIEW.id, Some(([10.0, 50.0], 40.0))),
        ("QoE", qoe::VIEW.id, None),
        ("placement", placement::VIEW.id, None),
        ("fill", fill::VIEW.id, None),
    ];
    for (label, view, map_view) in cases {
        app.state.view = view;
        if let (Some((center, zoom)), Some(map)) = (map_view, app.state.find_view_mut::<map::MapView>()) {
            (map.center, map.zoom) = (center, zoom);
        }
        let mut times = Vec::with_capacity(a.frames as usize);
        for i in 0..a.frames + 5 {
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
                times.push(ms); // the first frames build fonts and caches
            }
        }
        times.sort_by(|x, y| x.total_cmp(y));
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        println!(
            "{label:>12}: mean {:.2} ms, p95 {:.2} ms, max {:.2} ms per frame (layout + tessellation)",
            mean,
            times[times.len() * 95 / 100],
            times[times.len() - 1]
        );
    }
    Ok(())
}
