//! `edgetwin --screenshot PATH [--view NAME] [--after-sim-hours H] [SCENARIO]`: renders one view off-screen on
//! the CPU renderer (no window, no GPU) and saves it as PNG. The README's images are made with it.

use std::path::Path;

use anyhow::Context;
use egui_kittest::Harness;

use crate::cli::{Args, build_twin, load_scenario};
use crate::ui::scenario_source::ScenarioSource;
use crate::ui::shell::ConsoleApp;
use crate::ui::views;

pub fn save(args: &Args, path: &Path) -> anyhow::Result<()> {
    let (w, h) = parse_size(&args.size)?;
    let source = args.scenario.clone().map_or(ScenarioSource::Default, ScenarioSource::File);
    let mut twin = build_twin(load_scenario(args.scenario.as_deref().unwrap_or(Path::new("default")), None)?, None)?;
    twin.advance_to(twin::SimTime((args.after_sim_hours * 3600.0) as u64));
    let mut app = ConsoleApp::with_twin(twin, source.label(), None);
    app.state.view = args.view;
    let image = render(&mut app, w, h)?;
    image.save(path).with_context(|| format!("writing {}", path.display()))?;
    let label = views::spec(args.view).map_or(args.view.key(), |v| v.label);
    println!("{label} view saved to {} ({}×{} px)", path.display(), image.width(), image.height());
    Ok(())
}

/// Renders the console as it stands, a few frames in so layouts have settled.
pub fn render(app: &mut ConsoleApp, width: f32, height: f32) -> anyhow::Result<image::RgbaImage> {
    let mut harness = Harness::builder()
        .with_size([width, height])
        // City names come from GeoNames in every script; the default fonts cannot draw them all.
        .allow_missing_glyphs()
        .wgpu()
        .build_ui_state(|ui, app| app.show(ui), app);
    harness.run_steps(4);
    harness.render().map_err(|e| anyhow::anyhow!("rendering failed: {e}"))
}

fn parse_size(s: &str) -> anyhow::Result<(f32, f32)> {
    let parsed = s.split_once('x').and_then(|(w, h)| Some((w.parse::<f32>().ok()?, h.parse::<f32>().ok()?)));
    match parsed {
        Some((w, h)) if (200.0..=8000.0).contains(&w) && (200.0..=8000.0).contains(&h) => Ok((w, h)),
        _ => anyhow::bail!("--size {s}: expected WIDTHxHEIGHT in points, each 200..8000, such as 1600x900"),
    }
}
