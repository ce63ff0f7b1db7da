//! Request traces, interchangeable with libCacheSim: `oracleGeneral` (packed little-endian 24-byte records:
//! u32 time in s, u64 object id, u32 size in bytes, i64 1-based index of the next request to the same object
//! or -1) and CSV (`time_s,obj_id,size_bytes`, header optional). Errors name the file and the record or
//! line:column.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use crate::error::InputError;

/// One request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub time_s: u32,
    pub obj_id: u64,
    pub size_bytes: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    OracleGeneral,
    Csv,
}

const RECORD: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TraceError + '_ {
    move |source| TraceError::Io { path: path.display().to_string(), source }
}

pub fn read(path: &Path, format: TraceFormat) -> Result<Vec<Request>, TraceError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let name = path.display().to_string();
    Ok(match format {
        TraceFormat::OracleGeneral => parse_oracle_general(&name, &bytes)?,
        TraceFormat::Csv => {
            let text = String::from_utf8(bytes).map_err(|e| InputError {
                file: name.clone(),
                line: 1,
                column: 1,
                message: format!("not UTF-8 text: {e}"),
            })?;
            parse_csv(&name, &text)?
        }
    })
}

pub fn write(path: &Path, format: TraceFormat, requests: &[Request]) -> Result<(), TraceError> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(io(path))?);
    match format {
        TraceFormat::OracleGeneral => out.write_all(&to_oracle_general(requests)).map_err(io(path))?,
        TraceFormat::Csv => {
            writeln!(out, "time_s,obj_id,size_bytes").map_err(io(path))?;
            for r in requests {
                writeln!(out, "{},{},{}", r.time_s, r.obj_id, r.size_bytes).map_err(io(path))?;
            }
        }
    }
    out.flush().map_err(io(path))
}

/// Parses packed records. A truncated tail is an error that names the record, not a silent drop.
pub fn parse_oracle_general(file: &str, bytes: &[u8]) -> Result<Vec<Request>, InputError> {
    if !bytes.len().is_multiple_of(RECORD) {
        let whole = bytes.len() / RECORD;
        return Err(InputError {
            file: file.to_string(),
            line: whole + 1,
            column: 1,
            message: format!(
                "record {} is truncated: expected 24-byte oracleGeneral records, found {} trailing bytes",
                whole + 1,
                bytes.len() % RECORD
            ),
        });
    }
    Ok(bytes
        .chunks_exact(RECORD)
        .map(|r| Request {
            time_s: u32::from_le_bytes([r[0], r[1], r[2], r[3]]),
            obj_id: u64::from_le_bytes([r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11]]),
            size_bytes: u32::from_le_bytes([r[12], r[13], r[14], r[15]]),
        })
        .collect())
}

/// Packs requests as oracleGeneral, computing each one's next access (1-based request index, or -1).
pub fn to_oracle_general(requests: &[Request]) -> Vec<u8> {
    let mut next = vec![-1i64; requests.len()];
    let mut seen: HashMap<u64, usize> = HashMap::with_capacity(requests.len() / 4);
    for (i, r) in requests.iter().enumerate().rev() {
        if let Some(j) = seen.insert(r.obj_id, i) {
            next[i] = j as i64 + 1;
        }
    }
    let mut out = Vec::with_capacity(requests.len() * RECORD);
    for (r, n) in requests.iter().zip(next) {
        out.extend_from_slice(&r.time_s.to_le_bytes());
        out.extend_from_slice(&r.obj_id.to_le_bytes());
        out.extend_from_slice(&r.size_bytes.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
    }
    out
}

/// Parses `time_s,obj_id,size_bytes` lines; a first line that is not numbers is taken as a header.
pub fn parse_csv(file: &str, text: &str) -> Result<Vec<Request>, InputError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::with_capacity(3);
        let mut col = 0;
        for f in line.split(',') {
            fields.push((col, f.trim()));
            col += f.len() + 1;
        }
        if n == 0 && fields.first().is_some_and(|(_, f)| f.parse::<u64>().is_err()) {
            continue;
        }
        let err = |i: usize, what: &str| InputError {
            file: file.to_string(),
            line: n + 1,
            column: fields.get(i).map_or(line.len() + 1, |f| f.0 + 1),
            message: what.to_string(),
        };
        if fields.len() != 3 {
            return Err(err(
                fields.len().min(2),
                &format!("expected 3 fields time_s,obj_id,size_bytes, found {}", fields.len()),
            ));
        }
        out.push(Request {
            time_s: fields[0].1.parse().map_err(|_| err(0, "expected a time in whole seconds"))?,
            obj_id: fields[1].1.parse().map_err(|_| err(1, "expected an object id (unsigned integer)"))?,
            size_bytes: fields[2]
                .1
                .parse()
                .map_err(|_| err(2, "expected a size in bytes (unsigned 32-bit integer)"))?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oracle_general_round_trips_with_next_access() {
        let reqs: Vec<Request> = [(0, 7, 100), (1, 8, 50), (2, 7, 100), (3, 9, 10), (4, 8, 50)]
            .map(|(t, o, s)| Request { time_s: t, obj_id: o, size_bytes: s })
            .to_vec();
        let bytes = to_oracle_general(&reqs);
        assert_eq!(bytes.len(), 5 * 24);
        let next: Vec<i64> =
            bytes.chunks_exact(24).map(|r| i64::from_le_bytes(r[16..24].try_into().unwrap())).collect();
        assert_eq!(next, [3, 5, -1, -1, -1]);
        assert_eq!(parse_oracle_general("t.bin", &bytes).unwrap(), reqs);
        let e = parse_oracle_general("t.bin", &bytes[..50]).unwrap_err();
        assert!(e.to_string().starts_with("t.bin:3:1:") && e.message.contains("truncated"), "{e}");
    }

    #[test]
    fn csv_parses_with_or_without_header_and_locates_errors() {
        let a = parse_csv("t.csv", "time_s,obj_id,size_bytes\n0,1,10\n5,2,20\n").unwrap();
        let b = parse_csv("t.csv", "0,1,10\n5,2,20\n").unwrap();
        assert_eq!(a, b);
        let e = parse_csv("t.csv", "0,1,10\n5,x,20\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 3), "{e}");
        let e = parse_csv("t.csv", "0,1\n").unwrap_err();
        assert_eq!(e.line, 1);
    }
}
