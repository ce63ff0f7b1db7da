//! `edgetwin --screenshot PATH [--view NAME] [--after-sim-hours H] [SCENARIO]`: renders one view off-screen on
//! the CPU renderer (no window, no GPU) and saves it as PNG. The README's images are made with it.

use std::path::Path;

use anyhow::Context;
use egui_kittest::Harness;

use crate::cli::Args;
use crate::ui::ViewId;
use crate::ui::shell::{ConsoleApp, ScenarioSource};

pub fn save(args: &Args, path: &Path) -> anyhow::Result<()> {
    let view = ViewId::from_key(&args.view).with_context(|| {
        let names: Vec<&str> = ViewId::ALL.iter().filter(|v| v.available()).map(|v| v.key()).collect();
        format!("--view {}: expected one of {}", args.view, names.join(", "))
    })?;
    let (w, h) = parse_size(&args.size)?;
    let source = args.scenario.clone().map_or(ScenarioSource::Default, ScenarioSource::File);
    let mut twin = source.load().map_err(|e| anyhow::anyhow!(e))?;
    twin.advance_to(twin::SimTime((args.after_sim_hours.max(0.0) * 3600.0) as u64));
    let mut app = ConsoleApp::with_twin(twin, source.label(), None);
    app.state.view = view;
    let image = render(&mut app, w, h)?;
    image.save(path).with_context(|| format!("writing {}", path.display()))?;
    println!("{} view saved to {} ({}×{} px)", view.label(), path.display(), image.width(), image.height());
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
