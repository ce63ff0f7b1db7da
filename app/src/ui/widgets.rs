//! Drawing pieces more than one view uses, so the same thing looks the same everywhere.

use egui::{Color32, Sense, Vec2};
use twin::fill::FillTier;

/// A healthy site, and the low end of load ramps.
pub const HEALTHY: Color32 = Color32::from_rgb(70, 200, 110);

/// The title the operator picked: its column in the placement heat map, the ring round sites holding it.
pub const TITLE_HIGHLIGHT: Color32 = Color32::from_rgb(255, 90, 200);

/// Fills by source tier: the fill Gantt's bars and the map's fill flows.
pub fn tier_color(tier: FillTier) -> Color32 {
    match tier {
        FillTier::Peer => Color32::from_rgb(90, 200, 120),
        FillTier::Tier => Color32::from_rgb(80, 150, 250),
        FillTier::Origin => Color32::from_rgb(250, 150, 50),
    }
}

/// A legend entry: a small square of `color`, then `text`.
pub fn swatch(ui: &mut egui::Ui, color: Color32, text: &str) {
    let (rect, _) = ui.allocate_exact_size(Vec2::splat(10.0), Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
    ui.label(text);
}
