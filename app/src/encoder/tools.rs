//! Running ffmpeg and ffprobe: finding them, a clear error when they are missing or fail, and what ffprobe
//! says of a file.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use serde::Deserialize;

/// The Debian package that brings both tools.
pub const DEBIAN_PACKAGE: &str = "ffmpeg";

/// Checks that ffmpeg and ffprobe run, saying plainly what to install when they do not.
pub fn check_installed() -> anyhow::Result<()> {
    for tool in ["ffmpeg", "ffprobe"] {
        let ok = Command::new(tool).arg("-version").output().map(|o| o.status.success()).unwrap_or(false);
        if !ok {
            bail!(
                "{tool} is not installed (or not on PATH): the ffmpeg engine needs ffmpeg and ffprobe. On Debian or \
                 Ubuntu install the `{DEBIAN_PACKAGE}` package (`sudo apt-get install {DEBIAN_PACKAGE}`), or use \
                 `--engine modelled`"
            );
        }
    }
    Ok(())
}

/// Runs a tool with `args`; on failure, the error names `what` and ends with the tool's last lines of output.
pub fn run(tool: &str, args: &[String], what: &str) -> anyhow::Result<String> {
    let out = Command::new(tool).args(args).output().with_context(|| format!("{what}: could not start {tool}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        bail!("{what}: {tool} failed ({}): {}", out.status, tail.join(" / "));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned() + &stderr)
}

/// ffmpeg's arguments before the job's own: printing at `loglevel` ("error", or "info" for filters that print
/// results), never asking, `threads` decoder threads (0: as many as the machine has; the encoder's are set with
/// its other options).
pub fn ffmpeg_args(threads: usize, loglevel: &str) -> Vec<String> {
    let a = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", loglevel, "-y", "-threads"];
    a.into_iter().map(String::from).chain([threads.to_string()]).collect()
}

/// What ffprobe reads of a media file.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub duration_s: f64,
    pub video_codec: String,
    pub profile: String,
    pub level: i64,
    pub has_audio: bool,
    /// Video packets: their count and bytes.
    pub video_frames: u64,
    pub video_bytes: u64,
}

#[derive(Deserialize)]
struct ProbeJson {
    #[serde(default)]
    streams: Vec<StreamJson>,
    format: Option<FormatJson>,
    #[serde(default)]
    packets: Vec<PacketJson>,
}

#[derive(Deserialize)]
struct StreamJson {
    codec_type: Option<String>,
    codec_name: Option<String>,
    profile: Option<String>,
    level: Option<i64>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
}

#[derive(Deserialize)]
struct FormatJson {
    duration: Option<String>,
}

#[derive(Deserialize)]
struct PacketJson {
    size: Option<String>,
}

fn rate(r: &Option<String>) -> Option<f64> {
    let (n, d) = r.as_deref()?.split_once('/')?;
    let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
    (d > 0.0 && n > 0.0).then_some(n / d)
}

/// Probes `path`: its first video stream (required) and whether it has audio; with `packets`, the video
/// packets are counted too (what a segment really holds).
pub fn probe(path: &Path, packets: bool) -> anyhow::Result<Probe> {
    let mut args: Vec<String> =
        ["-v", "error", "-of", "json", "-show_streams", "-show_format"].map(String::from).into();
    if packets {
        args.extend(["-select_streams", "v:0", "-show_entries", "packet=size"].map(String::from));
    }
    args.push(path.display().to_string());
    let out = Command::new("ffprobe").args(&args).output().with_context(|| format!("{}: ffprobe", path.display()))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        bail!("{}: not a media file ffprobe can read: {}", path.display(), why.trim());
    }
    let json: ProbeJson = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("{}: ffprobe's answer could not be read", path.display()))?;
    let video = json
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video"))
        .with_context(|| format!("{}: has no video stream", path.display()))?;
    let (Some(width), Some(height)) = (video.width, video.height) else {
        bail!("{}: its video stream has no picture size", path.display());
    };
    let fps = rate(&video.avg_frame_rate).or_else(|| rate(&video.r_frame_rate)).unwrap_or(0.0);
    let duration_s = json.format.and_then(|f| f.duration).and_then(|d| d.parse().ok()).unwrap_or(0.0);
    let sizes = json.packets.iter().filter_map(|p| p.size.as_deref()?.parse::<u64>().ok());
    Ok(Probe {
        width,
        height,
        fps,
        duration_s,
        video_codec: video.codec_name.clone().unwrap_or_default(),
        profile: video.profile.clone().unwrap_or_default(),
        level: video.level.unwrap_or(0),
        has_audio: json.streams.iter().any(|s| s.codec_type.as_deref() == Some("audio")),
        video_frames: json.packets.len() as u64,
        video_bytes: sizes.sum(),
    })
}

/// The RFC 6381 codec string of an H.264 stream for a master playlist ("avc1.64001f" for High at 3.1).
pub fn avc_codec_string(profile: &str, level: i64) -> String {
    let p = match profile {
        "Baseline" | "Constrained Baseline" => 0x42,
        "Main" => 0x4d,
        "High 10" => 0x6e,
        _ => 0x64,
    };
    format!("avc1.{p:02x}00{:02x}", level.clamp(0, 255))
}

/// SSIM (as a share, and in dB) and PSNR of the log ffmpeg's `ssim` and `psnr` filters print.
pub fn parse_quality(log: &str) -> Option<(f64, f64, f64)> {
    let ssim_line = log.lines().find(|l| l.contains("SSIM ") && l.contains("All:"))?;
    let all = ssim_line.split("All:").nth(1)?.trim();
    let ssim: f64 = all.split_whitespace().next()?.parse().ok()?;
    let db: f64 = all.split('(').nth(1)?.trim_end_matches(')').trim().parse().ok()?;
    let psnr_line = log.lines().find(|l| l.contains("PSNR ") && l.contains("average:"))?;
    let psnr: f64 = psnr_line.split("average:").nth(1)?.split_whitespace().next()?.parse().ok()?;
    [ssim, db, psnr].iter().all(|x| x.is_finite()).then_some((ssim, db, psnr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_is_read_from_the_filters_log() {
        let log = "[Parsed_psnr_6 @ 0x1] PSNR y:45.93 u:44.32 v:44.40 average:45.347453 min:43.2 max:50.8\n\
                   [Parsed_ssim_5 @ 0x2] SSIM Y:0.996168 (24.165405) U:0.997 (25.6) V:0.998 (27.1) All:0.996663 (24.766473)";
        assert_eq!(parse_quality(log), Some((0.996663, 24.766473, 45.347453)));
        assert_eq!(parse_quality("no filters ran"), None);
        // PSNR of identical pictures is "inf": not a number the ladder can use.
        assert_eq!(parse_quality("SSIM All:1.000000 (inf)\nPSNR average:inf min:inf"), None);
    }

    #[test]
    fn codec_strings_follow_rfc_6381() {
        assert_eq!(avc_codec_string("High", 31), "avc1.64001f");
        assert_eq!(avc_codec_string("Main", 40), "avc1.4d0028");
        assert_eq!(avc_codec_string("Constrained Baseline", 30), "avc1.42001e");
    }
}
