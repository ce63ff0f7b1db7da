//! Opening the console window.

use std::time::Instant;

use crate::cli::Args;
use crate::ui::scenario_source::ScenarioSource;
use crate::ui::shell::ConsoleApp;

pub fn open(args: &Args, launched: Instant) -> anyhow::Result<()> {
    let source = args.scenario.clone().map_or(ScenarioSource::Default, ScenarioSource::File);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1440.0, 900.0]).with_title("edgetwin"),
        ..Default::default()
    };
    let exit_after_first_frame = args.exit_after_first_frame;
    eframe::run_native(
        "edgetwin",
        options,
        Box::new(move |cc| {
            let app = ConsoleApp::open(source, Some(cc.egui_ctx.clone()));
            Ok(Box::new(FirstFrame {
                app,
                launched,
                exit: exit_after_first_frame,
                first_frame_ms: None,
                reported: false,
            }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the console window: {e}"))
}

/// Wraps the console to report (and optionally stop at) the first frame drawn and the first frame that shows
/// the loaded scenario.
struct FirstFrame {
    app: ConsoleApp,
    launched: Instant,
    exit: bool,
    first_frame_ms: Option<f64>,
    reported: bool,
}

impl eframe::App for FirstFrame {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        eframe::App::ui(&mut self.app, ui, frame);
        let ms = self.launched.elapsed().as_secs_f64() * 1000.0;
        let first = *self.first_frame_ms.get_or_insert(ms);
        let settled = self.app.state.twin.is_some() || self.app.state.load_error.is_some();
        if settled && !self.reported {
            self.reported = true;
            tracing::info!("first frame after {first:.0} ms, scenario on screen after {ms:.0} ms");
            if self.exit {
                println!("first frame drawn {first:.0} ms after launch; the scenario on screen after {ms:.0} ms");
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }
}
