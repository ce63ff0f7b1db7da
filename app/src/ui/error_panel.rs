//! Shown instead of the views when there is no twin to show: a scenario that could not be loaded (its error
//! located to file:line:column), or a twin that stopped on a bug.

use super::control::Control;
use super::scenario_source::ScenarioSource;
use crate::worker::Request;

/// What went wrong, for the panel.
pub struct Problem<'a> {
    pub heading: &'a str,
    /// Where the scenario came from.
    pub source: &'a str,
    pub message: &'a str,
    /// The scenario itself is fine: offer to start it over with this seed (as Reset in the top bar does).
    pub reset_seed: Option<u64>,
}

pub fn ui(ui: &mut egui::Ui, problem: &Problem, controls: &mut Vec<Control>) {
    ui.add_space(24.0);
    ui.vertical_centered(|ui| {
        ui.heading(problem.heading);
        ui.add_space(8.0);
        ui.label(format!("Source: {}", problem.source));
    });
    ui.add_space(12.0);
    egui::Frame::group(ui.style()).fill(ui.visuals().extreme_bg_color).show(ui, |ui| {
        let text = egui::RichText::new(problem.message).monospace().color(ui.visuals().error_fg_color);
        ui.add(egui::Label::new(text).wrap());
    });
    ui.add_space(12.0);
    ui.horizontal(|ui| {
        if let Some(seed) = problem.reset_seed
            && ui.button("Start over").on_hover_text(format!("Start the scenario over with seed {seed}")).clicked()
        {
            controls.push(Request::Reset { seed }.into());
        }
        if ui.button("Open another scenario…").clicked() {
            controls.push(Control::PickScenarioFile);
        }
        if ui.button("Load the default scenario").clicked() {
            controls.push(Control::Open(ScenarioSource::Default));
        }
    });
}
