//! The catalog: movies and series episodes, the bitrate ladder, and files (title × rung).

use serde::{Deserialize, Serialize};

use crate::rng::{Rng, Stream};
use crate::scenario::{Rung, Scenario};
use crate::world::{REGIONS, RegionId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TitleId(pub u32);

/// A file is one title encoded at one rung: `title × rungs + rung`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FileId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum TitleKind {
    Movie,
    Episode { series: u32, season: u16, episode: u16 },
}

#[derive(Clone, Debug)]
pub struct Title {
    pub name: String,
    pub kind: TitleKind,
    pub duration_s: u32,
    pub genre: u16,
    pub home_region: RegionId,
    /// Day (relative to the scenario start, may be negative) the title became or becomes available.
    pub release_day: f64,
    /// Global appeal from its Zipf rank (1 / rank^s), before regional taste and release effects.
    pub appeal: f64,
    /// Multiplier on appeal in each region (genre taste × the title's own regional spread × home boost).
    pub regional_taste: [f32; REGIONS.len()],
}

impl Title {
    pub fn is_movie(&self) -> bool {
        self.kind == TitleKind::Movie
    }
}

#[derive(Clone, Debug)]
pub struct Catalog {
    pub titles: Vec<Title>,
    pub ladder: Vec<Rung>,
    pub genres: Vec<String>,
}

impl Catalog {
    pub fn build(s: &Scenario) -> Catalog {
        let c = &s.catalog;
        let d = &s.demand;
        let mut rng = Rng::new(s.seed, Stream::Catalog, &[]);
        let n_movies = ((c.titles as f64 * c.movie_share).round() as usize).min(c.titles);
        let n_episodes = c.titles - n_movies;
        let per_season = c.episodes_per_season as usize;
        let n_series = n_episodes.div_ceil(per_season);

        // Movies and whole series compete for rank; a series' episodes share its rank.
        let works = n_movies + n_series;
        let mut rank: Vec<usize> = (0..works).collect();
        for i in (1..works).rev() {
            rank.swap(i, rng.below(i as u64 + 1) as usize);
        }
        // Regional taste for each genre: some genres travel better than others (anime in Asia, …).
        let genre_taste: Vec<[f64; REGIONS.len()]> =
            (0..c.genres.len()).map(|_| std::array::from_fn(|_| rng.lognormal(1.0, 0.35))).collect();

        let mut titles = Vec::with_capacity(c.titles);
        let release = |rng: &mut Rng| {
            if rng.f64() < c.recent_share {
                rng.range_f64(-c.recent_window_days, c.recent_window_days)
            } else {
                rng.range_f64(-c.back_catalog_days, -c.recent_window_days)
            }
        };
        let mut make = |rng: &mut Rng,
                        work: usize,
                        kind: TitleKind,
                        name: String,
                        minutes: [f64; 2],
                        release_day: f64,
                        genre: u16,
                        home: u8| {
            let spread = d.regional_taste_sigma;
            let regional_taste = std::array::from_fn(|r| {
                let home_boost = if r as u8 == home { d.home_region_boost } else { 1.0 };
                (genre_taste[genre as usize][r] * rng.lognormal(1.0, spread) * home_boost) as f32
            });
            let episode_decay = match kind {
                // Later episodes are watched less: viewers drop off through a season.
                TitleKind::Episode { episode, .. } => 0.92f64.powi(episode as i32 - 1),
                TitleKind::Movie => 1.0,
            };
            titles.push(Title {
                name,
                kind,
                duration_s: (rng.range_f64(minutes[0], minutes[1]) * 60.0).round() as u32,
                genre,
                home_region: RegionId(home),
                release_day,
                appeal: episode_decay / ((rank[work] + 1) as f64).powf(d.zipf_exponent),
                regional_taste,
            });
        };

        for w in 0..n_movies {
            let genre = rng.below(c.genres.len() as u64) as u16;
            let home = rng.below(REGIONS.len() as u64) as u8;
            let day = release(&mut rng);
            let name = title_name(&mut rng, w);
            make(&mut rng, w, TitleKind::Movie, name, c.movie_minutes, day, genre, home);
        }
        for series in 0..n_series {
            let genre = rng.below(c.genres.len() as u64) as u16;
            let home = rng.below(REGIONS.len() as u64) as u8;
            let day = release(&mut rng); // whole seasons drop at once
            let show = title_name(&mut rng, n_movies + series);
            let episodes = per_season.min(n_episodes - series * per_season);
            for e in 1..=episodes {
                let kind = TitleKind::Episode { series: series as u32, season: 1, episode: e as u16 };
                make(
                    &mut rng,
                    n_movies + series,
                    kind,
                    format!("{show} S1E{e:02}"),
                    c.episode_minutes,
                    day,
                    genre,
                    home,
                );
            }
        }
        Catalog { titles, ladder: c.ladder.clone(), genres: c.genres.clone() }
    }

    pub fn rungs(&self) -> usize {
        self.ladder.len()
    }

    pub fn file_count(&self) -> usize {
        self.titles.len() * self.ladder.len()
    }

    pub fn file(&self, title: TitleId, rung: usize) -> FileId {
        FileId(title.0 * self.ladder.len() as u32 + rung as u32)
    }

    pub fn title_of(&self, file: FileId) -> TitleId {
        TitleId(file.0 / self.ladder.len() as u32)
    }

    pub fn rung_of(&self, file: FileId) -> usize {
        file.0 as usize % self.ladder.len()
    }

    /// Size of a file: bitrate × duration (MB/hour ≈ kbps × 0.45).
    pub fn file_size_bytes(&self, file: FileId) -> u64 {
        let t = &self.titles[self.title_of(file).0 as usize];
        self.ladder[self.rung_of(file)].kbps as u64 * 125 * t.duration_s as u64
    }

    pub fn total_bytes(&self) -> u64 {
        (0..self.file_count() as u32).map(|f| self.file_size_bytes(FileId(f))).sum()
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
    fn files_map_to_titles_and_rungs() {
        let s = crate::test_support::small_scenario();
        let c = Catalog::build(&s);
        assert_eq!(c.titles.len(), s.catalog.titles);
        let f = c.file(TitleId(7), 3);
        assert_eq!((c.title_of(f), c.rung_of(f)), (TitleId(7), 3));
        // 4300 kbps for one hour ≈ 4300 × 0.45 MB.
        let mb_per_hour: f64 = 4300.0 * 125.0 * 3600.0 / 1e6;
        assert!((mb_per_hour - 4300.0 * 0.45).abs() / mb_per_hour < 0.01);
        let movies = c.titles.iter().filter(|t| t.kind == TitleKind::Movie).count();
        assert_eq!(movies, (s.catalog.titles as f64 * s.catalog.movie_share).round() as usize);
        assert!(c.titles.iter().all(|t| t.appeal > 0.0 && t.duration_s >= 60));
    }
}

// Queries for the console's views (branch console-views). The views reach files only through `files_of` and
// `title_of`, so a new file layout changes nothing outside the catalog.
impl Catalog {
    /// The files of one title, one per rung of the ladder.
    pub fn files_of(&self, title: TitleId) -> impl Iterator<Item = FileId> + use<> {
        let rungs = self.ladder.len() as u32;
        (title.0 * rungs..(title.0 + 1) * rungs).map(FileId)
    }
}

#[cfg(test)]
mod files_of_tests {
    use super::*;

    #[test]
    fn every_file_belongs_to_exactly_the_title_that_lists_it() {
        let c = Catalog::build(&crate::test_support::small_scenario());
        let mut seen = vec![0u32; c.file_count()];
        for t in (0..c.titles.len() as u32).map(TitleId) {
            let files: Vec<FileId> = c.files_of(t).collect();
            assert_eq!(files.len(), c.rungs(), "{t:?}");
            for f in files {
                assert_eq!(c.title_of(f), t);
                seen[f.0 as usize] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "each file is listed once");
    }
}
