//! Real thumbnails from the origin folder (JPEGs the ffmpeg engine wrote): each job's folder listed once, each
//! still decoded once and kept as a texture.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use egui::{ColorImage, TextureHandle, TextureOptions};

/// Each (job, folder)'s stills, or why it could not be read; textures by file, or why one could not be shown.
#[derive(Default)]
pub struct Thumbnails {
    folders: HashMap<(u32, PathBuf), Result<Vec<PathBuf>, String>>,
    textures: HashMap<PathBuf, Result<TextureHandle, String>>,
}

impl Thumbnails {
    /// Shows up to `max` of the stills job `job` wrote in `dir`, in order, at `width` points each.
    pub fn show(&mut self, ui: &mut egui::Ui, job: u32, dir: &Path, max: usize, width: f32) {
        let listed = self.folders.entry((job, dir.to_path_buf())).or_insert_with(|| list(dir));
        let files = match listed {
            Ok(files) => files,
            Err(why) => {
                ui.weak(why.as_str());
                return;
            }
        };
        ui.horizontal_wrapped(|ui| {
            for path in files.iter().take(max) {
                let texture = self.textures.entry(path.clone()).or_insert_with(|| load(ui.ctx(), path));
                match texture {
                    Ok(t) => {
                        let size = t.size_vec2() * (width / t.size_vec2().x.max(1.0));
                        let name = path.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned());
                        ui.add(egui::Image::new((t.id(), size))).on_hover_text(name);
                    }
                    Err(why) => {
                        ui.weak(why.as_str());
                    }
                }
            }
        });
    }
}

/// The JPEGs in `dir`, in name order.
fn list(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("no thumbnails at {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).filter(|p| is_jpeg(p)).collect();
    files.sort();
    Ok(files)
}

fn is_jpeg(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
}

fn load(ctx: &egui::Context, path: &Path) -> Result<TextureHandle, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let image = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
        .map_err(|e| format!("{}: not a JPEG the console can read ({e})", path.display()))?
        .to_rgba8();
    let size = [image.width() as usize, image.height() as usize];
    let color = ColorImage::from_rgba_unmultiplied(size, image.as_raw());
    Ok(ctx.load_texture(path.display().to_string(), color, TextureOptions::LINEAR))
}
