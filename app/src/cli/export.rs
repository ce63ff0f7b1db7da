//! `edgetwin export events RUN.db --format parquet|csv --out DIR`: a run's events as Hive-partitioned files,
//! `DIR/dt=YYYY-MM-DD/events.parquet` (or `.csv`) by the UTC day of each event: the layout Athena, Spark and
//! DuckDB read as one table, for questions that outgrow one machine. Times become UTC instants, kinds their
//! names; the run's sampling rate goes along in `DIR/_run.json`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use rusqlite::{Connection, params};
use twin::events::EventKind;

use crate::store::events as events_store;

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// A run's events database as Hive-partitioned Parquet or CSV files.
    Events(ExportArgs),
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The events database a `run --events` wrote.
    pub db: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Parquet)]
    pub format: Format,
    /// The folder to write (made if missing; files of the same name are replaced).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Parquet,
    Csv,
}

/// Rows per Parquet row group.
const ROW_GROUP: usize = 1 << 18;

const SCHEMA: &str = "message events {
    REQUIRED INT64 time_utc_s;
    REQUIRED BYTE_ARRAY kind (UTF8);
    REQUIRED INT64 member;
    REQUIRED INT32 device;
    REQUIRED INT32 region;
    REQUIRED INT32 title;
    REQUIRED INT32 video;
    OPTIONAL INT32 file;
    OPTIONAL INT32 site;
    REQUIRED INT32 metro;
    REQUIRED DOUBLE value;
    REQUIRED DOUBLE stall_s;
}";

const HEADER: &str = "time_utc_s,kind,member,device,region,title,video,file,site,metro,value,stall_s";

/// A chunk of rows, column by column.
#[derive(Default)]
struct Columns {
    time: Vec<i64>,
    kind: Vec<ByteArray>,
    member: Vec<i64>,
    device: Vec<i32>,
    region: Vec<i32>,
    title: Vec<i32>,
    video: Vec<i32>,
    file: Vec<Option<i32>>,
    site: Vec<Option<i32>>,
    metro: Vec<i32>,
    value: Vec<f64>,
    stall: Vec<f64>,
}

impl Columns {
    fn len(&self) -> usize {
        self.time.len()
    }
}

pub fn run(c: ExportCommand) -> anyhow::Result<()> {
    let ExportCommand::Events(a) = c;
    let conn = events_store::open(&a.db)?;
    let meta = |key: &str| -> anyhow::Result<String> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .with_context(|| format!("{}: no {key} in its meta table", a.db.display()))
    };
    let start: chrono::DateTime<chrono::Utc> = meta("start_utc")?.parse().context("meta start_utc")?;
    let epoch = start.timestamp();
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let run = serde_json::json!({
        "scenario": meta("scenario")?, "seed": meta("seed")?, "start_utc": meta("start_utc")?,
        "sampling_rate": meta("sampling_rate")?.parse::<f64>().unwrap_or(1.0),
    });
    std::fs::write(a.out.join("_run.json"), serde_json::to_string_pretty(&run)?)?;
    // Each kind's table on its own (the view `events` over them all hands each row up through a co-routine).
    let mut days = std::collections::BTreeSet::new();
    for &kind in &EventKind::ALL {
        let mut stmt =
            conn.prepare(&format!("SELECT DISTINCT (t_s + ?1) / 86400 FROM {}", events_store::kind_table(kind)))?;
        for day in stmt.query_map([epoch], |r| r.get::<_, i64>(0))? {
            days.insert(day?);
        }
    }
    let mut total = 0u64;
    for day in days {
        let date = chrono::DateTime::from_timestamp(day * 86400, 0).context("a day out of range")?.date_naive();
        let dir = a.out.join(format!("dt={}", date.format("%Y-%m-%d")));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let rows = match a.format {
            Format::Parquet => write_parquet(&conn, epoch, day, &dir.join("events.parquet"))?,
            Format::Csv => write_csv(&conn, epoch, day, &dir.join("events.csv"))?,
        };
        println!("{}: {rows} events", dir.display());
        total += rows;
    }
    println!("{total} events exported to {}", a.out.display());
    Ok(())
}

/// Reads one UTC day's events in chunks, handing each to `sink`; returns the rows read. By kind, then in
/// arrival order (a kind's table holds its events in the order they were written: by `id`).
fn read_day(
    conn: &Connection,
    epoch: i64,
    day: i64,
    mut sink: impl FnMut(&Columns) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let mut chunk = Columns::default();
    let mut n = 0u64;
    for &kind in &EventKind::ALL {
        let mut stmt = conn.prepare(&format!(
            "SELECT t_s, member, device, region, title, video, file, site, metro, value, stall_s FROM {}
             WHERE (t_s + ?1) / 86400 = ?2 ORDER BY rowid",
            events_store::kind_table(kind)
        ))?;
        let mut rows = stmt.query(params![epoch, day])?;
        let name = ByteArray::from(kind.name());
        while let Some(r) = rows.next()? {
            chunk.time.push(r.get::<_, i64>(0)? + epoch);
            chunk.kind.push(name.clone());
            chunk.member.push(r.get(1)?);
            chunk.device.push(r.get(2)?);
            chunk.region.push(r.get(3)?);
            chunk.title.push(r.get(4)?);
            chunk.video.push(r.get(5)?);
            chunk.file.push(r.get(6)?);
            chunk.site.push(r.get(7)?);
            chunk.metro.push(r.get(8)?);
            chunk.value.push(r.get(9)?);
            chunk.stall.push(r.get(10)?);
            n += 1;
            if chunk.len() == ROW_GROUP {
                sink(&chunk)?;
                chunk = Columns::default();
            }
        }
    }
    if chunk.len() > 0 {
        sink(&chunk)?;
    }
    Ok(n)
}

fn write_parquet(conn: &Connection, epoch: i64, day: i64, path: &Path) -> anyhow::Result<u64> {
    let schema = Arc::new(parse_message_type(SCHEMA)?);
    let props = Arc::new(WriterProperties::builder().build());
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut writer = SerializedFileWriter::new(file, schema, props)?;
    let rows = read_day(conn, epoch, day, |c| {
        let mut group = writer.next_row_group()?;
        let mut column = 0;
        while let Some(mut col) = group.next_column()? {
            let optional = |v: &[Option<i32>]| -> (Vec<i32>, Vec<i16>) {
                (v.iter().flatten().copied().collect(), v.iter().map(|x| x.is_some() as i16).collect())
            };
            match column {
                0 => col.typed::<Int64Type>().write_batch(&c.time, None, None)?,
                1 => col.typed::<ByteArrayType>().write_batch(&c.kind, None, None)?,
                2 => col.typed::<Int64Type>().write_batch(&c.member, None, None)?,
                3 => col.typed::<Int32Type>().write_batch(&c.device, None, None)?,
                4 => col.typed::<Int32Type>().write_batch(&c.region, None, None)?,
                5 => col.typed::<Int32Type>().write_batch(&c.title, None, None)?,
                6 => col.typed::<Int32Type>().write_batch(&c.video, None, None)?,
                7 | 8 => {
                    let (values, defined) = optional(if column == 7 { &c.file } else { &c.site });
                    col.typed::<Int32Type>().write_batch(&values, Some(&defined), None)?
                }
                9 => col.typed::<Int32Type>().write_batch(&c.metro, None, None)?,
                10 => col.typed::<DoubleType>().write_batch(&c.value, None, None)?,
                _ => col.typed::<DoubleType>().write_batch(&c.stall, None, None)?,
            };
            col.close()?;
            column += 1;
        }
        group.close()?;
        Ok(())
    })?;
    writer.close().with_context(|| format!("writing {}", path.display()))?;
    Ok(rows)
}

fn write_csv(conn: &Connection, epoch: i64, day: i64, path: &Path) -> anyhow::Result<u64> {
    let mut out = BufWriter::new(File::create(path).with_context(|| format!("creating {}", path.display()))?);
    writeln!(out, "{HEADER}")?;
    let opt = |x: Option<i32>| x.map_or(String::new(), |v| v.to_string());
    let rows = read_day(conn, epoch, day, |c| {
        for i in 0..c.len() {
            writeln!(
                out,
                // `{:?}` writes a float as one ("0.0", not "0"), so a reader infers the column's type.
                "{},{},{},{},{},{},{},{},{},{},{:?},{:?}",
                c.time[i],
                std::str::from_utf8(c.kind[i].data()).unwrap_or("unknown"),
                c.member[i],
                c.device[i],
                c.region[i],
                c.title[i],
                c.video[i],
                opt(c.file[i]),
                opt(c.site[i]),
                c.metro[i],
                c.value[i],
                c.stall[i]
            )?;
        }
        Ok(())
    })?;
    out.flush().with_context(|| format!("writing {}", path.display()))?;
    Ok(rows)
}
