//! Shown instead of the views when a scenario cannot be loaded: the error, located to file:line:column.

use crate::state::AppState;

/// What the operator asked for from the error panel.
pub enum ErrorAction {
    None,
    OpenAnother,
    LoadDefault,
}

pub fn ui(ui: &mut egui::Ui, state: &AppState) -> ErrorAction {
    let mut action = ErrorAction::None;
    ui.add_space(24.0);
    ui.vertical_centered(|ui| {
        ui.heading("The scenario could not be loaded");
        ui.add_space(8.0);
        ui.label(format!("Source: {}", state.source));
    });
    ui.add_space(12.0);
    if let Some(err) = &state.load_error {
        egui::Frame::group(ui.style()).fill(ui.visuals().extreme_bg_color).show(ui, |ui| {
            ui.add(egui::Label::new(egui::RichText::new(err).monospace().color(ui.visuals().error_fg_color)).wrap());
        });
    }
    ui.add_space(12.0);
    ui.horizontal(|ui| {
        if ui.button("Open another scenario…").clicked() {
            action = ErrorAction::OpenAnother;
        }
        if ui.button("Load the default scenario").clicked() {
            action = ErrorAction::LoadDefault;
        }
    });
    action
}
