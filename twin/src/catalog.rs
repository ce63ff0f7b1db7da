//! The catalogue: titles (movies and series), the videos members play (a movie, or one episode of a season of
//! a series), and the files each video is stored as.
//!
//! A video is encoded once per rung of every codec family's ladder (AVC, HEVC, AV1 by default; a device plays
//! the first family it decodes), and carries one more file for its audio and text tracks (several audio
//! languages and formats, many subtitle languages). A play streams one video file and one audio track.
//!
//! Footprint per content-hour with the default ladders: AVC 20,170 kbps summed over its 10 rungs, HEVC 36,160
//! over 7, AV1 23,875 over 7: 80,205 kbps of video, 36.1 GB per hour (MB/hour ≈ kbps × 0.45); audio and text
//! 8 × 320 + 30 × 0.5 kbps, 1.2 GB per hour: about 37 GB per content-hour in all. One ladder of one codec (the
//! old fixed ladder) is a quarter of that.
//!
//! Files are laid out video-major: `video × files_per_video + rendition`, the audio and text file last; videos
//! are laid out title-major, so a title's files are one contiguous range.
//!
//! After the generated titles come the places ingest fills in a running twin (`[ingest] title_slots`), one
//! video each: every per-file table is sized at build, so a title ingested later takes a reserved place. Until
//! then a place is never released, has no running time and weighs nothing anywhere.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::region::{REGIONS, RegionId};
use crate::rng::{Rng, Stream};
use crate::scenario::Scenario;
use crate::time::SECONDS_PER_DAY;

/// A movie or a series: what operators pin, exclude and ingest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TitleId(pub u32);

/// What a member plays: a movie, or one episode of a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct VideoId(pub u32);

/// One stored file: a video at one rung of one codec, or a video's audio and text tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FileId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum TitleKind {
    Movie,
    Series { seasons: u16 },
}

#[derive(Clone, Debug)]
pub struct Title {
    pub name: String,
    pub kind: TitleKind,
    pub genre: u16,
    pub home_region: RegionId,
    /// When the title (for a series, its latest season) went or goes live, in seconds from the start (negative
    /// for the back catalogue).
    pub release_s: i64,
    /// Global appeal from its Zipf rank (1 / rank^s), before regional taste and release effects.
    pub appeal: f64,
    /// Multiplier on appeal in each region (genre taste × the title's own regional spread × home boost).
    pub regional_taste: [f32; REGIONS.len()],
    /// Its videos: `videos.start .. videos.end`.
    pub videos: Range<u32>,
}

impl Title {
    pub fn is_movie(&self) -> bool {
        self.kind == TitleKind::Movie
    }
}

#[derive(Clone, Debug)]
pub struct Video {
    pub title: TitleId,
    /// Season and episode numbers (1-based); 0 for a movie.
    pub season: u16,
    pub episode: u16,
    pub duration_s: u32,
    /// When it went or goes live, in seconds from the start.
    pub release_s: i64,
    /// Its share of its title's appeal: later episodes and older seasons are watched less.
    pub appeal: f64,
    /// Its files' size over the catalogue ladders' (1 but for an ingested title, whose job encoded it).
    pub size_scale: f64,
}

/// One encoding of a video: a codec family and a rung of its ladder.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendition {
    pub codec: u8,
    pub kbps: u32,
    pub resolution: String,
}

#[derive(Clone, Debug)]
pub struct Catalog {
    pub titles: Vec<Title>,
    pub videos: Vec<Video>,
    pub codecs: Vec<String>,
    /// Every codec's ladder, codec after codec, lowest rung first within each.
    pub renditions: Vec<Rendition>,
    /// `renditions` of each codec: `codec_renditions[c]` is a range into `renditions`.
    pub codec_renditions: Vec<Range<u32>>,
    pub genres: Vec<String>,
    /// Audio and text tracks: bytes per second of video stored, and bitrate a play streams.
    pub audio_bytes_per_s: u64,
    pub audio_stream_kbps: u32,
    /// The titles reserved for ingest (`Catalog::join`), after every generated one.
    pub slots: Range<u32>,
    /// The generator's regional taste for each genre (ground truth, as `Title::regional_taste`).
    genre_taste: Vec<[f64; REGIONS.len()]>,
    /// The home-region boost of the demand model, which a joining title's hinted regions get.
    home_region_boost: f64,
}

/// The release time of a reserved place that no title has joined yet.
pub const UNRELEASED: i64 = i64::MAX;

/// A title joining a reserved place: what its delivery and its job say.
pub struct Joining<'a> {
    pub name: &'a str,
    /// `None` for a movie; (season, episode) for an episode.
    pub episode: Option<(u16, u16)>,
    pub genre: u16,
    pub regions: &'a [RegionId],
    pub duration_s: u32,
    pub release_s: i64,
    /// The job's bytes over what the catalogue's rungs up to its source give the same running time (per-title
    /// encoding, modelled or real, makes it differ from 1). A joined title keeps every rendition of the
    /// catalogue's file layout, each sized by this scale: rungs above its source are sized as if encoded.
    pub size_scale: f64,
}

/// A file's role within its video.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Video { rendition: u8 },
    AudioText,
}

impl Catalog {
    pub fn build(s: &Scenario) -> Catalog {
        let c = &s.catalog;
        let d = &s.demand;
        let mut rng = Rng::new(s.seed, Stream::Catalog, &[]);
        let n_movies = ((c.titles as f64 * c.movie_share).round() as usize).min(c.titles);
        let works = c.titles;

        // Movies and whole series compete for rank; a series' episodes share its appeal.
        let mut rank: Vec<usize> = (0..works).collect();
        for i in (1..works).rev() {
            rank.swap(i, rng.below(i as u64 + 1) as usize);
        }
        // Regional taste for each genre: some genres travel better than others (anime in Asia, …).
        let genre_taste: Vec<[f64; REGIONS.len()]> =
            (0..c.genres.len()).map(|_| std::array::from_fn(|_| rng.lognormal(1.0, 0.35))).collect();
        let release_hour_s = (c.release_hour_utc * 3600.0).round() as i64;
        let release = |rng: &mut Rng| {
            let day = if rng.f64() < c.recent_share {
                rng.range_f64(-c.recent_window_days, c.recent_window_days)
            } else {
                rng.range_f64(-c.back_catalog_days, -c.recent_window_days)
            };
            day.floor() as i64 * SECONDS_PER_DAY as i64 + release_hour_s
        };
        let between = |rng: &mut Rng, r: [u32; 2]| r[0] + rng.below((r[1] - r[0] + 1) as u64) as u32;

        let mut titles = Vec::with_capacity(works);
        let mut videos = Vec::new();
        for (w, &rank) in rank.iter().enumerate() {
            let movie = w < n_movies;
            let genre = rng.below(c.genres.len() as u64) as u16;
            let home = rng.below(REGIONS.len() as u64) as u8;
            let release_s = release(&mut rng);
            let regional_taste = std::array::from_fn(|r| {
                let home_boost = if r as u8 == home { d.home_region_boost } else { 1.0 };
                (genre_taste[genre as usize][r] * rng.lognormal(1.0, d.regional_taste_sigma) * home_boost) as f32
            });
            let first = videos.len() as u32;
            let title = TitleId(w as u32);
            let name = title_name(&mut rng, w);
            let kind = if movie {
                let duration_s = (rng.range_f64(c.movie_minutes[0], c.movie_minutes[1]) * 60.0).round() as u32;
                videos.push(Video {
                    title,
                    season: 0,
                    episode: 0,
                    duration_s,
                    release_s,
                    appeal: 1.0,
                    size_scale: 1.0,
                });
                TitleKind::Movie
            } else {
                let seasons = between(&mut rng, c.seasons_per_series);
                for season in 1..=seasons {
                    // Assumed: a season a year, each older one watched 30% less; within a season, each episode
                    // 8% less than the one before (viewers drop off through a season).
                    let age_seasons = (seasons - season) as i64;
                    let season_release = release_s - age_seasons * 365 * SECONDS_PER_DAY as i64;
                    let season_appeal = 0.7f64.powi(age_seasons as i32);
                    for episode in 1..=between(&mut rng, c.episodes_per_season) {
                        let duration_s =
                            (rng.range_f64(c.episode_minutes[0], c.episode_minutes[1]) * 60.0).round() as u32;
                        videos.push(Video {
                            title,
                            season: season as u16,
                            episode: episode as u16,
                            duration_s,
                            release_s: season_release,
                            appeal: season_appeal * 0.92f64.powi(episode as i32 - 1),
                            size_scale: 1.0,
                        });
                    }
                }
                TitleKind::Series { seasons: seasons as u16 }
            };
            titles.push(Title {
                name,
                kind,
                genre,
                home_region: RegionId(home),
                release_s,
                appeal: 1.0 / ((rank + 1) as f64).powf(d.zipf_exponent),
                regional_taste,
                videos: first..videos.len() as u32,
            });
        }

        // Places for titles ingest adds later, drawn from a stream of their own so the generated catalogue is
        // the same with any number of them. Assumed: what a studio delivers is a new original or a marketed
        // release, its rank log-uniform over the top tenth of the catalogue.
        let mut slot_rng = Rng::new(s.seed, Stream::Catalog, &[1]);
        let first_slot = titles.len() as u32;
        let top = (works as f64 / 10.0).max(1.0);
        for k in 0..s.ingest.title_slots {
            let title = TitleId(titles.len() as u32);
            let rank = top.powf(slot_rng.f64());
            let spread = std::array::from_fn(|_| slot_rng.lognormal(1.0, d.regional_taste_sigma) as f32);
            titles.push(Title {
                name: format!("(ingest place {})", k + 1),
                kind: TitleKind::Movie,
                genre: 0,
                home_region: RegionId(0),
                release_s: UNRELEASED,
                appeal: 1.0 / rank.powf(d.zipf_exponent),
                regional_taste: spread,
                videos: videos.len() as u32..videos.len() as u32 + 1,
            });
            videos.push(Video {
                title,
                season: 0,
                episode: 0,
                duration_s: 0,
                release_s: UNRELEASED,
                appeal: 1.0,
                size_scale: 1.0,
            });
        }

        let mut renditions = Vec::new();
        let mut codec_renditions = Vec::new();
        for (ci, codec) in c.codecs.iter().enumerate() {
            let from = renditions.len() as u32;
            renditions.extend(codec.ladder.iter().map(|r| Rendition {
                codec: ci as u8,
                kbps: r.kbps,
                resolution: r.resolution.clone(),
            }));
            codec_renditions.push(from..renditions.len() as u32);
        }
        let slots = first_slot..titles.len() as u32;
        let a = &c.audio;
        let audio_kbps = a.tracks as f64 * a.track_kbps + a.subtitle_tracks as f64 * a.subtitle_kbps;
        Catalog {
            titles,
            videos,
            codecs: c.codecs.iter().map(|k| k.name.clone()).collect(),
            renditions,
            codec_renditions,
            genres: c.genres.clone(),
            audio_bytes_per_s: (audio_kbps * 125.0).round() as u64,
            audio_stream_kbps: a.stream_kbps,
            slots,
            genre_taste,
            home_region_boost: d.home_region_boost,
        }
    }

    /// The first reserved place no title has joined yet.
    pub fn free_slot(&self) -> Option<TitleId> {
        self.slots.clone().map(TitleId).find(|&t| self.is_free_slot(t))
    }

    /// Why `title` names no title that commands can act on (none such, or a place no title has joined yet).
    pub fn title_error(&self, title: TitleId) -> Option<String> {
        if title.0 as usize >= self.titles.len() {
            Some(format!("no title {} (the catalogue has {})", title.0, self.titles.len() - self.free_slots()))
        } else if self.is_free_slot(title) {
            Some(format!("title {} is a place reserved for ingest that no title has joined yet", title.0))
        } else {
            None
        }
    }

    /// Reserved places no title has joined yet.
    pub fn free_slots(&self) -> usize {
        self.slots.clone().filter(|&t| self.is_free_slot(TitleId(t))).count()
    }

    /// Whether `title` is a reserved place no title has joined yet (nothing to show or plan).
    pub fn is_free_slot(&self, title: TitleId) -> bool {
        self.slots.contains(&title.0) && self.titles[title.0 as usize].release_s == UNRELEASED
    }

    /// A title takes the reserved place `slot`: its metadata from the delivery, its regional taste from its
    /// genre and the regions it is made for (as a generated title's home region), its appeal the place's own.
    pub fn join(&mut self, slot: TitleId, j: &Joining) {
        assert!(
            self.is_free_slot(slot) && j.release_s != UNRELEASED,
            "{slot:?} is not a free place, or never released"
        );
        let t = &mut self.titles[slot.0 as usize];
        let genre_taste = self.genre_taste[j.genre as usize];
        for (r, taste) in t.regional_taste.iter_mut().enumerate() {
            let hinted = j.regions.iter().any(|h| h.0 as usize == r);
            let boost = if hinted { self.home_region_boost } else { 1.0 };
            *taste = (*taste as f64 * genre_taste[r] * boost) as f32;
        }
        t.name = j.name.to_string();
        t.genre = j.genre;
        t.home_region = j.regions.first().copied().unwrap_or(RegionId(0));
        t.release_s = j.release_s;
        let (season, episode) = j.episode.unwrap_or((0, 0));
        // An episode joins as a series of its one season (its season number stays on the video).
        t.kind = if j.episode.is_some() { TitleKind::Series { seasons: 1 } } else { TitleKind::Movie };
        let v = &mut self.videos[t.videos.start as usize];
        (v.season, v.episode, v.duration_s, v.release_s, v.size_scale) =
            (season, episode, j.duration_s, j.release_s, j.size_scale);
    }

    /// Files per video: one per rendition, and the audio and text file.
    pub fn files_per_video(&self) -> usize {
        self.renditions.len() + 1
    }

    pub fn file_count(&self) -> usize {
        self.videos.len() * self.files_per_video()
    }

    /// The file of `video` at `rendition`.
    #[inline]
    pub fn file(&self, video: VideoId, rendition: usize) -> FileId {
        FileId(video.0 * self.files_per_video() as u32 + rendition as u32)
    }

    /// The audio and text file of `video`.
    #[inline]
    pub fn audio_file(&self, video: VideoId) -> FileId {
        FileId(video.0 * self.files_per_video() as u32 + self.renditions.len() as u32)
    }

    pub fn video_of(&self, file: FileId) -> VideoId {
        VideoId(file.0 / self.files_per_video() as u32)
    }

    pub fn title_of(&self, file: FileId) -> TitleId {
        self.videos[self.video_of(file).0 as usize].title
    }

    pub fn kind_of(&self, file: FileId) -> FileKind {
        let r = file.0 as usize % self.files_per_video();
        if r == self.renditions.len() { FileKind::AudioText } else { FileKind::Video { rendition: r as u8 } }
    }

    /// Every file of a title, in order.
    pub fn files_of(&self, title: TitleId) -> impl Iterator<Item = FileId> + use<> {
        let v = &self.titles[title.0 as usize].videos;
        let per = self.files_per_video() as u32;
        (v.start * per..v.end * per).map(FileId)
    }

    /// Every file of a video, in order.
    pub fn files_of_video(&self, video: VideoId) -> Range<u32> {
        let per = self.files_per_video() as u32;
        video.0 * per..(video.0 + 1) * per
    }

    /// Size of a file: bitrate × duration (MB/hour ≈ kbps × 0.45), or its audio and text tracks.
    pub fn file_size_bytes(&self, file: FileId) -> u64 {
        let v = &self.videos[self.video_of(file).0 as usize];
        match self.kind_of(file) {
            FileKind::Video { rendition } => {
                let kbps = self.renditions[rendition as usize].kbps as u64;
                let kbps = if v.size_scale == 1.0 { kbps } else { (kbps as f64 * v.size_scale).round() as u64 };
                kbps * 125 * v.duration_s as u64
            }
            FileKind::AudioText => self.audio_bytes_per_s * v.duration_s as u64,
        }
    }

    /// A short label for a file: "avc 5800 kbps 1920x1080", or "audio & text".
    pub fn file_label(&self, file: FileId) -> String {
        match self.kind_of(file) {
            FileKind::Video { rendition } => {
                let r = &self.renditions[rendition as usize];
                format!("{} {} kbps {}", self.codecs[r.codec as usize], r.kbps, r.resolution)
            }
            FileKind::AudioText => "audio & text".to_string(),
        }
    }

    pub fn total_bytes(&self) -> u64 {
        (0..self.file_count() as u32).map(|f| self.file_size_bytes(FileId(f))).sum()
    }

    /// Hours of content: every video once.
    pub fn content_hours(&self) -> f64 {
        self.videos.iter().map(|v| v.duration_s as f64).sum::<f64>() / 3600.0
    }

    /// Seasons across all series.
    pub fn seasons(&self) -> usize {
        self.titles
            .iter()
            .map(|t| match t.kind {
                TitleKind::Series { seasons } => seasons as usize,
                TitleKind::Movie => 0,
            })
            .sum()
    }

    /// The highest rendition of `codec` at or below `kbps` (the lowest when none is).
    pub fn rendition_at_most(&self, codec: usize, kbps: f64) -> usize {
        let range = &self.codec_renditions[codec];
        let ladder = &self.renditions[range.start as usize..range.end as usize];
        range.start as usize + ladder.iter().rposition(|r| r.kbps as f64 <= kbps).unwrap_or(0)
    }
}

const ADJECTIVES: [&str; 24] = [
    "Silent", "Crimson", "Last", "Hidden", "Broken", "Golden", "Midnight", "Wild", "Frozen", "Electric", "Distant",
    "Burning", "Lost", "Hollow", "Iron", "Velvet", "Northern", "Savage", "Quiet", "Bright", "Restless", "Paper",
    "Glass", "Salt",
];
const NOUNS: [&str; 24] = [
    "Harbor", "Kingdom", "Signal", "Orchard", "Frontier", "Witness", "Garden", "Empire", "River", "Protocol", "Summer",
    "Archive", "Circuit", "Crown", "Tide", "Mirror", "Station", "Canyon", "Ledger", "Lantern", "Island", "Verdict",
    "Engine", "Pilgrim",
];

fn title_name(rng: &mut Rng, work: usize) -> String {
    let a = ADJECTIVES[rng.below(ADJECTIVES.len() as u64) as usize];
    let n = NOUNS[rng.below(NOUNS.len() as u64) as usize];
    // The work number keeps names unique whatever the catalogue size.
    format!("The {a} {n} {}", work + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_map_to_videos_titles_and_renditions() {
        let s = crate::test_support::small_scenario();
        let c = Catalog::build(&s);
        assert_eq!(c.titles.len(), s.catalog.titles + s.ingest.title_slots as usize);
        assert_eq!(c.slots, s.catalog.titles as u32..c.titles.len() as u32);
        assert!(c.videos.len() > c.titles.len(), "series have episodes");
        let v = VideoId(7);
        let f = c.file(v, 3);
        assert_eq!((c.video_of(f), c.kind_of(f)), (v, FileKind::Video { rendition: 3 }));
        assert_eq!(c.kind_of(c.audio_file(v)), FileKind::AudioText);
        assert_eq!(c.title_of(f), c.videos[7].title);
        // A title's files are its videos' files; every file belongs to the one title that lists it.
        let mut seen = vec![0u32; c.file_count()];
        for t in (0..c.titles.len() as u32).map(TitleId) {
            let files: Vec<FileId> = c.files_of(t).collect();
            assert_eq!(files.len(), c.titles[t.0 as usize].videos.len() * c.files_per_video());
            for f in files {
                assert_eq!(c.title_of(f), t);
                seen[f.0 as usize] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "each file is listed once");
        // 4300 kbps for one hour ≈ 4300 × 0.45 MB.
        let mb_per_hour: f64 = 4300.0 * 125.0 * 3600.0 / 1e6;
        assert!((mb_per_hour - 4300.0 * 0.45).abs() / mb_per_hour < 0.01);
        let movies = c.titles[..c.slots.start as usize].iter().filter(|t| t.is_movie()).count();
        assert_eq!(movies, (s.catalog.titles as f64 * s.catalog.movie_share).round() as usize);
        let generated = &c.videos[..c.titles[c.slots.start as usize].videos.start as usize];
        assert!(generated.iter().all(|v| v.duration_s >= 60 && v.appeal > 0.0));
        // Seasons and episodes within their ranges; episodes of a season share its release.
        for t in c.titles.iter().filter(|t| !t.is_movie()) {
            let TitleKind::Series { seasons } = t.kind else { unreachable!() };
            assert!((1..=s.catalog.seasons_per_series[1] as u16).contains(&seasons));
            let last = &c.videos[t.videos.end as usize - 1];
            assert_eq!((last.season, last.release_s), (seasons, t.release_s));
        }
    }

    #[test]
    fn a_title_joins_the_first_free_place_with_its_metadata_taste_and_sizes() {
        let s = crate::test_support::small_scenario();
        let mut c = Catalog::build(&s);
        let slot = c.free_slot().unwrap();
        assert_eq!(slot.0, c.slots.start);
        let (before, free) = (c.titles[slot.0 as usize].regional_taste, c.free_slots());
        let file = c.files_of(slot).next().unwrap();
        assert_eq!(c.file_size_bytes(file), 0, "a free place has no running time");
        assert!(c.title_error(slot).unwrap().contains("reserved for ingest"));
        let eu = RegionId(2);
        let joining = Joining {
            name: "Harbor Lights",
            episode: Some((3, 4)),
            genre: 1,
            regions: &[eu],
            duration_s: 3000,
            release_s: 7200,
            size_scale: 0.5,
        };
        c.join(slot, &joining);
        let t = &c.titles[slot.0 as usize];
        assert_eq!(
            (t.name.as_str(), t.genre, t.kind, t.release_s),
            ("Harbor Lights", 1, TitleKind::Series { seasons: 1 }, 7200)
        );
        let v = &c.videos[t.videos.start as usize];
        assert_eq!((v.season, v.episode, v.duration_s, v.release_s), (3, 4, 3000, 7200));
        // Its taste: the place's own spread × its genre's, and the home boost where it is made for.
        for (r, (&was, &now)) in before.iter().zip(&t.regional_taste).enumerate() {
            let boost = if r == 2 { s.demand.home_region_boost } else { 1.0 };
            let expected = was as f64 * c.genre_taste[1][r] * boost;
            assert!((now as f64 / expected - 1.0).abs() < 1e-6, "region {r}");
        }
        assert_eq!(t.home_region, eu);
        // Half the ladder's bytes; the next place is the next free one.
        assert_eq!(c.file_size_bytes(file), (c.renditions[0].kbps as f64 * 0.5).round() as u64 * 125 * 3000);
        assert_eq!((c.free_slots(), c.free_slot().map(|t| t.0)), (free - 1, Some(slot.0 + 1)));
        assert_eq!(c.title_error(slot), None);
    }

    #[test]
    #[should_panic(expected = "is not a free place")]
    fn a_place_is_joined_once() {
        let mut c = Catalog::build(&crate::test_support::small_scenario());
        let slot = c.free_slot().unwrap();
        let j =
            Joining { name: "A", episode: None, genre: 0, regions: &[], duration_s: 60, release_s: 0, size_scale: 1.0 };
        c.join(slot, &j);
        c.join(slot, &j);
    }

    #[test]
    fn the_footprint_per_content_hour_is_as_documented() {
        let c = Catalog::build(&crate::test_support::small_scenario());
        let per_hour_gb = c.total_bytes() as f64 / c.content_hours() / 1e9;
        assert!((36.0..38.5).contains(&per_hour_gb), "{per_hour_gb} GB per content-hour");
        // The devices' codecs pick renditions within their family.
        let av1 = c.codecs.iter().position(|n| n == "av1").unwrap();
        let r = c.rendition_at_most(av1, 1800.0);
        assert_eq!((c.renditions[r].codec as usize, c.renditions[r].kbps), (av1, 1250));
        assert_eq!(c.renditions[c.rendition_at_most(av1, 10.0)].kbps, 375, "never below the lowest rung");
    }
}
