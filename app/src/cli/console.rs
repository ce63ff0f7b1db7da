//! Opening the console window: on a scenario, or in mirror mode (the default scenario's twin to play forward
//! on, and the mirror of the deployment a configuration names).

use std::path::PathBuf;
use std::time::Instant;

use crate::cli::Args;
use crate::state::AutoRecord;
use crate::ui::control::Control;
use crate::ui::scenario_source::ScenarioSource;
use crate::ui::shell::ConsoleApp;

pub fn open(args: &Args, launched: Instant) -> anyhow::Result<()> {
    let source = args.scenario.clone().map_or(ScenarioSource::Default, ScenarioSource::File);
    let record = if args.no_record { AutoRecord::off() } else { AutoRecord::on() };
    window(source, None, record, args.exit_after_first_frame, launched)
}

/// The console in mirror mode on the deployment `config` names, its AWS mirror view open.
pub fn open_mirror(config: PathBuf) -> anyhow::Result<()> {
    window(ScenarioSource::Default, Some(config), AutoRecord::on(), false, Instant::now())
}

fn window(
    source: ScenarioSource,
    mirror: Option<PathBuf>,
    record: AutoRecord,
    exit: bool,
    launched: Instant,
) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1440.0, 900.0]).with_title("edgetwin"),
        ..Default::default()
    };
    eframe::run_native(
        "edgetwin",
        options,
        Box::new(move |cc| {
            let mut app = ConsoleApp::open(source, Some(cc.egui_ctx.clone()), record);
            if let Some(path) = mirror {
                app.handle(Control::ConnectMirror(path));
            }
            Ok(Box::new(FirstFrame { app, launched, exit, first_frame_ms: None, world_ms: None, reported: false }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the console window: {e}"))
}

/// Wraps the console to report (and optionally stop at) the first frame drawn, the first that shows the
/// scenario's world (drawn while the rest of it is built), and the first that shows the running twin.
struct FirstFrame {
    app: ConsoleApp,
    launched: Instant,
    exit: bool,
    first_frame_ms: Option<f64>,
    world_ms: Option<f64>,
    reported: bool,
}

impl eframe::App for FirstFrame {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        eframe::App::ui(&mut self.app, ui, frame);
        let ms = self.launched.elapsed().as_secs_f64() * 1000.0;
        let first = *self.first_frame_ms.get_or_insert(ms);
        let state = &self.app.state;
        let settled = state.twin.is_some() || state.load_error.is_some();
        if settled || state.loading.as_ref().is_some_and(|l| l.world.is_some()) {
            self.world_ms.get_or_insert(ms);
        }
        if settled && !self.reported {
            self.reported = true;
            let world = self.world_ms.unwrap_or(ms);
            tracing::info!("first frame after {first:.0} ms, world after {world:.0} ms, scenario after {ms:.0} ms");
            if self.exit {
                println!(
                    "first frame drawn {first:.0} ms after launch; the world on screen after {world:.0} ms; the \
                     running twin after {ms:.0} ms"
                );
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }
}
