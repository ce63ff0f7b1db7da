//! The ffmpeg ingest engine, for real: a generated 20-second source encoded into every rung of the AVC ladder
//! and thumbnails, each segment and playlist read back with ffprobe; per-title ladders cheaper for an easy
//! source than for a hard one at equal SSIM; a missing ffmpeg named with its Debian package.

use std::path::{Path, PathBuf};
use std::process::Command;

use edgetwin::encoder::{self, EncodeReport, EncodeSpec, SourceSpec, tools};
use twin::ingest::Ladder;
use twin::ingest::job::{THUMBNAIL_EVERY_S, THUMBNAIL_SIZES};

fn origin(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edgetwin-ffmpeg-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    dir
}

/// The default scenario's AVC ladder, (kbps, height) per rung.
fn avc_rungs() -> Vec<(u32, u32)> {
    encoder::avc_rungs(&twin::Twin::default_scenario().unwrap().model().catalog)
}

fn spec(source: SourceSpec, ladder: Ladder, origin: &Path) -> EncodeSpec {
    EncodeSpec {
        source,
        title: "Test Pattern".into(),
        episode: None,
        ladder,
        rungs: avc_rungs(),
        chunk_s: 4.0,
        workers: 2,
        split: true,
        origin: origin.to_path_buf(),
    }
}

fn encode(spec: &EncodeSpec) -> EncodeReport {
    encoder::encode(spec, &|_, _, _| {}).unwrap_or_else(|e| panic!("{e:#}"))
}

#[test]
fn a_generated_source_is_encoded_into_every_rung_and_thumbnail_and_ffprobe_reads_each_segment() {
    let dir = origin("fixed");
    let source = SourceSpec::Pattern { seconds: 20.0, width: 1280, height: 720, fps: 24.0, hard: false };
    let r = encode(&spec(source, Ladder::Fixed, &dir));
    assert_eq!((r.width, r.height, r.duration_s.round()), (1280, 720, 20.0));
    assert_eq!(r.chunks, 5, "4 s chunks of a 20 s source");
    // Every rung at or below the source's 720p, in order.
    let expected: Vec<(u32, u32)> = avc_rungs().into_iter().filter(|&(_, h)| h <= 720).collect();
    let got: Vec<(u32, u32)> = r.renditions.iter().map(|x| (x.target_kbps, x.height)).collect();
    assert_eq!(got, expected);
    let base = dir.join(&r.title_key);
    let master = std::fs::read_to_string(base.join("avc/master.m3u8")).unwrap();
    for x in &r.renditions {
        let folder = dir.join(&x.key);
        // The picture keeps the source's shape: 16:9 at the rung's height, an even width.
        let width = ((x.height as f64 * 16.0 / 9.0 / 2.0).round() * 2.0) as u32;
        assert!(width.abs_diff(x.width) <= 2, "{} wide at {}p", x.width, x.height);
        assert_eq!(x.segments, 5, "{}: 4 s segments of 20 s", x.key);
        for n in 1..=x.segments {
            // A segment as a player reads it: after its init segment.
            let mut body = std::fs::read(folder.join("init.mp4")).unwrap();
            body.extend(std::fs::read(folder.join(format!("seg_{n:05}.m4s"))).unwrap());
            let joined = dir.join("probe.mp4");
            std::fs::write(&joined, body).unwrap();
            let p = tools::probe(&joined, true).unwrap();
            assert_eq!((p.video_codec.as_str(), p.width, p.height), ("h264", x.width, x.height), "{} #{n}", x.key);
            let kbps = p.video_bytes as f64 * 8.0 / 1000.0 / (p.video_frames as f64 / 24.0);
            let off = (kbps / x.target_kbps as f64 - 1.0).abs();
            assert!(off < 0.2, "{} segment {n}: {kbps:.0} kbps against {}", x.key, x.target_kbps);
        }
        // The media playlist, read by ffprobe's HLS reader: the rung's picture and 20 s.
        let p = tools::probe(&folder.join("playlist.m3u8"), false).unwrap();
        assert_eq!((p.width, p.height, p.duration_s.round()), (x.width, x.height, 20.0), "{}", x.key);
        assert!((x.kbps / x.target_kbps as f64 - 1.0).abs() < 0.2, "{}: {:.0} kbps", x.key, x.kbps);
        assert!(x.ssim > 0.9 && x.psnr > 25.0, "{}: SSIM {} PSNR {}", x.key, x.ssim, x.psnr);
        let line = format!("RESOLUTION={}x{}", x.width, x.height);
        let name = x.key.rsplit('/').next().unwrap();
        assert!(master.contains(&line) && master.contains(&format!("{name}/playlist.m3u8")), "{master}");
    }
    // Quality rises with the rung at each resolution.
    for w in r.renditions.windows(2).filter(|w| w[0].height == w[1].height) {
        assert!(w[1].ssim_db > w[0].ssim_db, "{} vs {}", w[0].key, w[1].key);
    }
    // The master playlist, read by ffprobe: every variant's picture, and the audio.
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_type,width,height", "-of", "csv=p=0"])
        .arg(base.join("avc/master.m3u8"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let streams = String::from_utf8_lossy(&out.stdout);
    for x in &r.renditions {
        assert!(streams.contains(&format!("video,{},{}", x.width, x.height)), "{streams}");
    }
    assert!(streams.contains("audio"), "{streams}");
    // Thumbnails: a still every 10 s at each size, each a JPEG of that size.
    assert_eq!(r.thumbnails.len(), THUMBNAIL_SIZES.len());
    for &(w, h, stills, _) in &r.thumbnails {
        assert_eq!(stills, 20u32.div_ceil(THUMBNAIL_EVERY_S), "{w}x{h}");
        for n in 1..=stills {
            let p = tools::probe(&base.join(format!("thumbnails/{w}x{h}/{n:05}.jpg")), false).unwrap();
            assert_eq!((p.width, p.height), (w, h));
        }
    }
    assert!(!dir.join(".work").join(&r.title_key).exists(), "the work folder is cleared");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn per_title_gives_the_easy_source_a_cheaper_ladder_than_the_hard_one_at_equal_ssim() {
    let ladder = |hard: bool| {
        let dir = origin(if hard { "hard" } else { "easy" });
        let source = SourceSpec::Pattern { seconds: 8.0, width: 1280, height: 720, fps: 24.0, hard };
        let r = encode(&spec(source, Ladder::PerTitle, &dir));
        std::fs::remove_dir_all(&dir).ok();
        r
    };
    let (easy, hard) = (ladder(false), ladder(true));
    // The hull: quality rises with bitrate, at a falling rate.
    for r in [&easy, &hard] {
        assert_eq!(r.trials.len(), 5 * 4, "5 resolutions up to 720p × 4 CRFs");
        assert!(r.hull.windows(2).all(|w| w[1].kbps > w[0].kbps && w[1].ssim_db > w[0].ssim_db));
    }
    // Each quality target both reach: the easy source's rung costs less.
    let mut compared = 0;
    for ((target, e), (target_h, h)) in easy.choices.iter().zip(&hard.choices) {
        assert_eq!(target, target_h);
        if e.ssim_db >= *target && h.ssim_db >= *target {
            assert!(e.kbps < h.kbps, "at {target:.1} dB: easy {:.0} kbps, hard {:.0} kbps", e.kbps, h.kbps);
            compared += 1;
        }
    }
    assert!(compared >= 3, "{compared} targets reached by both");
    let sum = |r: &EncodeReport| r.renditions.iter().map(|x| x.bytes).sum::<u64>();
    assert!(sum(&easy) < sum(&hard), "{} vs {} bytes", sum(&easy), sum(&hard));
}

#[test]
fn the_cli_prints_the_ladder_the_quality_of_each_rung_and_the_encode_speed() {
    let dir = origin("cli");
    let out = Command::new(env!("CARGO_BIN_EXE_edgetwin"))
        .args(["ingest", "--synthetic", "4", "--engine", "ffmpeg", "--resolution", "640x360", "--origin"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    for expected in ["ladder chosen (avc)", "SSIM dB", "PSNR", "thumbnails 320x180", "encode speed:", "× real time"] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    // 240p and 288p, the rungs up to a 360p source.
    assert!(text.contains("426x240") && text.contains("512x288") && !text.contains("x384"), "{text}");
    assert!(dir.join("synthetic-easy/feature/avc/master.m3u8").is_file());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_missing_ffmpeg_is_named_with_its_debian_package() {
    let out = Command::new(env!("CARGO_BIN_EXE_edgetwin"))
        .args(["ingest", "--synthetic", "5", "--engine", "ffmpeg"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ffmpeg is not installed") && err.contains("apt-get install ffmpeg"), "{err}");
}

#[test]
fn a_file_that_is_not_video_is_refused_with_what_ffprobe_said() {
    let dir = origin("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("broken.mp4");
    std::fs::write(&bad, b"not a video at all").unwrap();
    let err = encoder::encode(&spec(SourceSpec::File(bad.clone()), Ladder::Fixed, &dir), &|_, _, _| {})
        .map(|_| ())
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("broken.mp4") && msg.contains("not a media file ffprobe can read"), "{msg}");
    std::fs::remove_dir_all(&dir).ok();
}
