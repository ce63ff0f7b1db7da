//! The fuzz targets: one per parser of user input. Each feeds bytes to the parser exactly as the app does and
//! returns a coarse outcome (success, or the error message with its numbers removed), which the engine uses to
//! keep inputs that behave in a new way. A new parser (edits files, mirror configs) is one more `Target` in `ALL`
//! with its seeds and tokens.

use twin::cache::{Belady, Capacity, OnlinePolicy, Policy, ReplayStats};
use twin::trace::{Record, TraceFormat, TraceReader};

pub struct Target {
    pub name: &'static str,
    pub about: &'static str,
    /// The starting corpus.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// Pieces of the format the mutator splices in.
    pub tokens: &'static [&'static [u8]],
    /// Mutants are cut to this many bytes.
    pub max_len: usize,
    /// Runs one input; returns its outcome's signature.
    pub run: fn(&[u8]) -> u64,
}

pub const ALL: &[Target] = &[
    Target {
        name: "scenario",
        about: "scenario TOML through twin::Scenario::parse",
        seeds: scenario_seeds,
        tokens: &[
            b"\n[world]\n",
            b"\n[catalog]\n",
            b"\n[demand]\n",
            b"\n[placement]\n",
            b"\n[fill]\n",
            b"[[",
            b"]]",
            b" = ",
            b"\"",
            b"'''",
            b"#",
            b"1e308",
            b"-1",
            b"nan",
            b"inf",
            b"0.0",
            b"18446744073709551616",
            b"true",
            b"{",
            b"}",
            b"2026-11-23T00:00:00Z",
            b"\\u0000",
        ],
        max_len: 16 << 10,
        run: scenario,
    },
    Target {
        name: "edits",
        about: "what-if edits TOML through twin::whatif::Edits::parse",
        seeds: edits_seeds,
        tokens: &[
            b"\n[[edit]]\n",
            b"kind = ",
            b"\"site_down\"",
            b"\"policy\"",
            b"\"scaling\"",
            b"at_hours = ",
            b"site = ",
            b"cluster = ",
            b" = ",
            b"\"",
            b"-1",
            b"nan",
            b"inf",
            b"1e308",
            b"18446744073709551616",
            b"{",
            b"}",
        ],
        max_len: 4 << 10,
        run: edits,
    },
    Target {
        name: "oracle_general",
        about: "oracleGeneral trace bytes through twin::trace::TraceReader",
        seeds: oracle_general_seeds,
        tokens: &[],
        max_len: 16 << 10,
        run: oracle_general,
    },
    Target {
        name: "csv",
        about: "CSV trace text through twin::trace::TraceReader",
        seeds: csv_seeds,
        tokens: &[
            b",",
            b"\n",
            b"\r\n",
            b" ",
            b"time_s,obj_id,size_bytes",
            b"4294967296",
            b"18446744073709551616",
            b"-1",
        ],
        max_len: 16 << 10,
        run: csv,
    },
    Target {
        name: "replay",
        about: "oracleGeneral records replayed through every cache policy, in object and byte mode",
        seeds: oracle_general_seeds,
        tokens: &[],
        max_len: 4 << 10,
        run: replay,
    },
];

pub fn find(name: &str) -> Option<&'static Target> {
    ALL.iter().find(|t| t.name == name)
}

/// FNV-1a of an outcome's description, leaving out digits and anything quoted (so line and column numbers,
/// or the unknown key an error names, do not count as new behaviour).
fn signature(description: &str) -> u64 {
    let mut quoted = false;
    description
        .bytes()
        .filter(|&b| {
            let quote = b == b'`' || b == b'"';
            quoted ^= quote;
            !quoted && !quote && !b.is_ascii_digit()
        })
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

fn scenario_seeds() -> Vec<Vec<u8>> {
    [
        twin::DEFAULT_SCENARIO,
        include_str!("../../assets/scenarios/lp-small.toml"),
        include_str!("../../assets/scenarios/netflix-scale.toml"),
    ]
    .map(|s| s.as_bytes().to_vec())
    .to_vec()
}

fn scenario(data: &[u8]) -> u64 {
    match twin::Scenario::parse("fuzz.toml", &String::from_utf8_lossy(data)) {
        Ok(_) => signature("ok"),
        Err(e) => signature(&e.message),
    }
}

fn edits_seeds() -> Vec<Vec<u8>> {
    let mixed = "[[edit]]\nkind = \"site_down\"\nsite = 3\nat_hours = 1.5\n\n[[edit]]\nkind = \"pin\"\ntitle = 2\n\
                 cluster = 1\n\n[[edit]]\nkind = \"scaling\"\nregion = \"us-east-1\"\nmin = 4\n";
    vec![include_str!("../../assets/edits/lru-everywhere.toml").as_bytes().to_vec(), mixed.as_bytes().to_vec()]
}

fn edits(data: &[u8]) -> u64 {
    match twin::whatif::Edits::parse("fuzz.toml", &String::from_utf8_lossy(data)) {
        Ok(_) => signature("ok"),
        Err(e) => signature(&e.message),
    }
}

fn oracle_general_seeds() -> Vec<Vec<u8>> {
    vec![include_bytes!("../corpus/oracle_general/reference-head.bin").to_vec()]
}

fn csv_seeds() -> Vec<Vec<u8>> {
    vec![include_bytes!("../corpus/csv/reference-head.csv").to_vec(), b"0,1,10\r\n\n 5 , 2,20".to_vec()]
}

/// Reads a whole trace block by block; the records, or the error's signature.
fn read(format: TraceFormat, data: &[u8]) -> Result<Vec<Record>, u64> {
    let mut reader = TraceReader::new("fuzz", format, data);
    let (mut all, mut block) = (Vec::new(), Vec::new());
    loop {
        match reader.read_block(&mut block) {
            Ok(()) if block.is_empty() => return Ok(all),
            Ok(()) => all.append(&mut block),
            Err(e) => return Err(signature(&e.to_string())),
        }
    }
}

fn outcome(format: TraceFormat, data: &[u8]) -> u64 {
    match read(format, data) {
        Ok(records) => signature(&format!("ok {}", records.len().min(4))),
        Err(sig) => sig,
    }
}

fn oracle_general(data: &[u8]) -> u64 {
    outcome(TraceFormat::OracleGeneral, data)
}

fn csv(data: &[u8]) -> u64 {
    outcome(TraceFormat::Csv, data)
}

/// Every policy over the records (whatever their sizes and next accesses), with capacities taken from the
/// input, in both modes; the outcome is whether each policy ever missed and hit.
fn replay(data: &[u8]) -> u64 {
    let Ok(records) = read(TraceFormat::OracleGeneral, data) else { return 0 };
    let objects = Capacity::Objects(data.len() as u64 % 7 + 1);
    let bytes = Capacity::Bytes(records.first().map_or(1, |r| r.request.size_bytes as u64 * 3 / 2 + 1));
    let mut description = String::new();
    for capacity in [objects, bytes] {
        let mut run = |policy: &mut dyn Policy| {
            let mut stats = ReplayStats::default();
            twin::cache::replay(policy, capacity, records.iter().map(Record::access), &mut stats);
            description.push(if stats.misses == stats.requests { 'm' } else { 'h' });
        };
        for p in OnlinePolicy::ALL {
            run(&mut p.cache(capacity));
        }
        run(&mut Belady::new(capacity));
    }
    signature(&description)
}
