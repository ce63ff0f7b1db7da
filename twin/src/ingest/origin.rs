//! The S3 origin: one bucket per origin region, holding objects by key with their sizes, and counting the
//! requests and bytes that go in and out. Ingest writes each title's renditions (CMAF: an init segment, media
//! segments and a playlist per rendition, a master playlist per codec family) and thumbnails under keys laid
//! out the way a real bucket would be (`object_keys`).

use std::collections::BTreeMap;

use serde::Serialize;

/// Seconds of media per CMAF segment (Apple's HLS authoring guidance and common practice: 4–6 s).
pub const SEGMENT_S: u32 = 4;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BucketStats {
    pub objects: u64,
    pub bytes: u64,
    pub puts: u64,
    pub gets: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// GET requests a second, and bytes out a second, booked in the last minute (plays' misses as they start,
    /// fills as each file arrives).
    pub gets_per_s: f64,
    pub out_bytes_per_s: f64,
}

#[derive(Clone, Debug)]
pub struct Bucket {
    pub name: String,
    pub region: String,
    objects: BTreeMap<String, u64>,
    pub stats: BucketStats,
    /// GETs and bytes read in the minute in progress.
    minute_gets: u64,
    minute_bytes: u64,
}

impl Bucket {
    /// An empty bucket `name` in `region`.
    pub fn new(name: &str, region: &str) -> Bucket {
        Bucket {
            name: name.to_string(),
            region: region.to_string(),
            objects: BTreeMap::new(),
            stats: BucketStats::default(),
            minute_gets: 0,
            minute_bytes: 0,
        }
    }

    /// A bucket as a listing found it (an inventory of a real one): its objects and bytes, no requests counted.
    pub fn from_listing(name: &str, region: &str, objects: impl IntoIterator<Item = (String, u64)>) -> Bucket {
        let mut b = Bucket::new(name, region);
        b.objects = objects.into_iter().collect();
        b.stats.objects = b.objects.len() as u64;
        b.stats.bytes = b.objects.values().sum();
        b
    }

    /// Its objects replaced by a listing (a mirrored deployment's inventory): the object and byte counts follow,
    /// the request counts go on.
    pub fn replace_objects(&mut self, objects: impl IntoIterator<Item = (String, u64)>) {
        self.objects = objects.into_iter().collect();
        self.stats.objects = self.objects.len() as u64;
        self.stats.bytes = self.objects.values().sum();
    }

    pub fn put(&mut self, key: String, bytes: u64) {
        let s = &mut self.stats;
        s.puts += 1;
        s.bytes_in += bytes;
        match self.objects.insert(key, bytes) {
            Some(old) => s.bytes = s.bytes - old + bytes,
            None => {
                s.objects += 1;
                s.bytes += bytes;
            }
        }
    }

    /// An object's size, counting the request and the bytes read.
    pub fn get(&mut self, key: &str) -> Option<u64> {
        self.stats.gets += 1;
        let bytes = *self.objects.get(key)?;
        self.stats.bytes_out += bytes;
        Some(bytes)
    }

    /// `gets` requests for `bytes` of its objects in all (segments read by misses and fills, counted without
    /// naming each).
    pub fn read(&mut self, gets: u64, bytes: u64) {
        self.stats.gets += gets;
        self.stats.bytes_out += bytes;
        self.minute_gets += gets;
        self.minute_bytes += bytes;
    }

    /// Ends a minute: its requests and bytes become the bucket's rates.
    pub fn end_minute(&mut self) {
        self.stats.gets_per_s = std::mem::take(&mut self.minute_gets) as f64 / 60.0;
        self.stats.out_bytes_per_s = std::mem::take(&mut self.minute_bytes) as f64 / 60.0;
    }

    /// Keys and sizes under `prefix` after `start_after`, at most `max` of them, in key order (as
    /// ListObjectsV2 pages them).
    pub fn list<'a>(&'a self, prefix: &'a str, start_after: &str, max: usize) -> impl Iterator<Item = (&'a str, u64)> {
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let from = if start_after.is_empty() || start_after < prefix {
            Included(prefix.to_string())
        } else {
            Excluded(start_after.to_string())
        };
        self.objects
            .range((from, Unbounded))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .take(max)
            .map(|(k, &v)| (k.as_str(), v))
    }
}

#[derive(Clone, Debug)]
pub struct Origin {
    pub buckets: Vec<Bucket>,
}

impl Origin {
    /// A bucket per origin region, named as a deployment would name it.
    pub fn new(regions: &[String]) -> Origin {
        Origin { buckets: regions.iter().map(|r| Bucket::new(&format!("edgetwin-origin-{r}"), r)).collect() }
    }

    pub fn bucket(&self, region: &str) -> Option<&Bucket> {
        self.buckets.iter().find(|b| b.region == region)
    }
}

/// A key-safe form of a title's name: lower case, words joined by '-'.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "untitled".into() } else { out }
}

/// Where a video's objects go in a bucket: `{title}/feature` for a movie, `{title}/sNNeNN` for an episode.
pub fn title_key(title: &str, episode: Option<(u16, u16)>) -> String {
    let video = match episode {
        Some((s, e)) => format!("s{s:02}e{e:02}"),
        None => "feature".into(),
    };
    format!("{}/{video}", slug(title))
}

/// Part `n` of `total` bytes cut into `parts` as even as whole bytes allow (the first ones a byte larger).
pub fn even_share(total: u64, parts: u64, n: u64) -> u64 {
    total / parts + (n < total % parts) as u64
}

/// The objects one rendition of a video is stored as: its init segment, one media segment per `SEGMENT_S` of
/// `duration_s` (the bytes spread evenly), and its playlist.
pub fn rendition_objects(prefix: &str, duration_s: u32, bytes: u64) -> Vec<(String, u64)> {
    let segments = duration_s.div_ceil(SEGMENT_S).max(1) as u64;
    let mut out = Vec::with_capacity(segments as usize + 2);
    out.push((format!("{prefix}/init.mp4"), 1_024));
    for n in 0..segments {
        out.push((format!("{prefix}/seg_{:05}.m4s", n + 1), even_share(bytes, segments, n)));
    }
    out.push((format!("{prefix}/playlist.m3u8"), 64 + 40 * segments));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_counts_what_goes_in_and_out_and_lists_by_prefix_in_pages() {
        let mut o = Origin::new(&["us-east-1".into(), "eu-west-1".into()]);
        let b = &mut o.buckets[0];
        assert_eq!(b.name, "edgetwin-origin-us-east-1");
        for (k, v) in rendition_objects("show/s01e01/avc/1080p_5800k", 10, 1000) {
            b.put(k, v);
        }
        b.put("show/s01e01/avc/master.m3u8".into(), 300);
        b.put("show/s01e01/avc/master.m3u8".into(), 200);
        // Init, 3 segments (334 + 333 + 333 bytes), playlist, master (replaced once).
        assert_eq!((b.stats.objects, b.stats.puts), (6, 7));
        assert_eq!(b.stats.bytes, 1024 + 1000 + (64 + 120) + 200);
        assert_eq!(b.get("show/s01e01/avc/1080p_5800k/seg_00001.m4s"), Some(334));
        assert_eq!(b.get("missing"), None);
        assert_eq!((b.stats.gets, b.stats.bytes_out), (2, 334));
        let page: Vec<&str> = b.list("show/s01e01/avc/1080p_5800k/", "", 2).map(|(k, _)| k).collect();
        assert_eq!(page, ["show/s01e01/avc/1080p_5800k/init.mp4", "show/s01e01/avc/1080p_5800k/playlist.m3u8"]);
        let next: Vec<&str> = b.list("show/s01e01/avc/1080p_5800k/", page[1], 10).map(|(k, _)| k).collect();
        assert_eq!(next.len(), 3);
        assert!(next.iter().all(|k| k.contains("/seg_")));
        assert_eq!(o.bucket("eu-west-1").map(|b| b.stats.objects), Some(0));
        // Reads counted in bulk, and a minute's make the rates.
        let b = &mut o.buckets[0];
        b.read(120, 6_000_000);
        b.end_minute();
        assert_eq!((b.stats.gets, b.stats.bytes_out), (122, 6_000_334));
        assert_eq!((b.stats.gets_per_s, b.stats.out_bytes_per_s), (2.0, 100_000.0));
        b.end_minute();
        assert_eq!(b.stats.gets_per_s, 0.0);
        // A bucket as an inventory found it: its objects and bytes, no requests.
        let listed = Bucket::from_listing("real", "eu-west-1", [("b".to_string(), 5), ("a".to_string(), 7)]);
        assert_eq!((listed.stats.objects, listed.stats.bytes, listed.stats.puts), (2, 12, 0));
        assert_eq!(listed.list("", "", 10).collect::<Vec<_>>(), [("a", 7), ("b", 5)]);
    }

    #[test]
    fn slugs_are_key_safe() {
        assert_eq!(slug("The Last Summer: Part II!"), "the-last-summer-part-ii");
        assert_eq!(slug("  ***  "), "untitled");
        assert_eq!(title_key("Dark: Origins", Some((2, 10))), "dark-origins/s02e10");
        assert_eq!(title_key("Heat", None), "heat/feature");
    }
}
