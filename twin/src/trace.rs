//! Request traces, interchangeable with libCacheSim: `oracleGeneral` (packed little-endian 24-byte records:
//! u32 time in s, u64 object id, u32 size in bytes, i64 1-based index of the next request to the same object
//! or -1) and CSV (`time_s,obj_id,size_bytes`, header optional).
//!
//! Reading streams: a [`TraceReader`] parses any `std::io::Read` (the app opens files and decompresses) in
//! blocks of at most [`BLOCK_RECORDS`] records, so memory stays bounded whatever the trace's length. Errors
//! name the file and the record (oracleGeneral) or line:column (CSV).

use std::collections::HashMap;
use std::io::{Read, Write};

use crate::cache::Access;
use crate::error::InputError;

/// One request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub time_s: u32,
    pub obj_id: u64,
    pub size_bytes: u32,
}

/// One record of a trace: a request and, where the format carries it (oracleGeneral), the 1-based index of the
/// next request for the same object (None: never again, or not known).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub request: Request,
    pub next_access: Option<u64>,
}

impl Record {
    pub fn access(&self) -> Access {
        Access {
            obj_id: self.request.obj_id,
            size_bytes: self.request.size_bytes as u64,
            next_access: self.next_access,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    OracleGeneral,
    Csv,
}

impl TraceFormat {
    /// Whether records carry each request's next access (what Belady needs).
    pub fn has_next_access(self) -> bool {
        self == TraceFormat::OracleGeneral
    }
}

const RECORD_BYTES: usize = 24;
/// Records per block: 64 Ki records, 1.5 MiB of oracleGeneral input, 2 MiB of records.
pub const BLOCK_RECORDS: usize = 1 << 16;
/// CSV input is read this much at a time.
const CSV_CHUNK_BYTES: usize = 1 << 20;
/// A CSV line longer than this is an error, so one endless line cannot take all memory.
const MAX_CSV_LINE_BYTES: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{file}: {source}")]
    Io { file: String, source: std::io::Error },
}

/// Parses a trace from any reader, one block at a time.
#[derive(Debug)]
pub struct TraceReader<R> {
    file: String,
    format: TraceFormat,
    input: R,
    /// Bytes read but not yet parsed, `buf[start..]`.
    buf: Vec<u8>,
    start: usize,
    at_end: bool,
    /// Records (oracleGeneral) or lines (CSV) consumed so far.
    consumed: u64,
}

impl<R: Read> TraceReader<R> {
    /// `file` names the input in errors.
    pub fn new(file: impl Into<String>, format: TraceFormat, input: R) -> TraceReader<R> {
        TraceReader { file: file.into(), format, input, buf: Vec::new(), start: 0, at_end: false, consumed: 0 }
    }

    /// Replaces `block`'s contents with the next records, at most `BLOCK_RECORDS`; empty once the trace ends.
    pub fn read_block(&mut self, block: &mut Vec<Record>) -> Result<(), TraceError> {
        block.clear();
        match self.format {
            TraceFormat::OracleGeneral => self.read_oracle_general(block),
            TraceFormat::Csv => self.read_csv(block),
        }
    }

    /// Moves the unparsed tail to the front and reads until `want` bytes are buffered or the input ends.
    fn fill(&mut self, want: usize) -> Result<(), TraceError> {
        self.buf.drain(..self.start);
        self.start = 0;
        if self.buf.len() < want && !self.at_end {
            let missing = (want - self.buf.len()) as u64;
            let got = (&mut self.input)
                .take(missing)
                .read_to_end(&mut self.buf)
                .map_err(|source| TraceError::Io { file: self.file.clone(), source })?;
            self.at_end = (got as u64) < missing;
        }
        Ok(())
    }

    /// Packed records. A truncated tail is an error that names the record, not a silent drop.
    fn read_oracle_general(&mut self, block: &mut Vec<Record>) -> Result<(), TraceError> {
        self.fill(BLOCK_RECORDS * RECORD_BYTES)?;
        let bytes = &self.buf[self.start..];
        let whole = bytes.len() / RECORD_BYTES;
        block.extend(bytes.chunks_exact(RECORD_BYTES).map(|r| {
            let field = |at: usize| <[u8; 8]>::try_from(&r[at..at + 8]).unwrap_or_default();
            let half = |at: usize| <[u8; 4]>::try_from(&r[at..at + 4]).unwrap_or_default();
            let next = i64::from_le_bytes(field(16));
            Record {
                request: Request {
                    time_s: u32::from_le_bytes(half(0)),
                    obj_id: u64::from_le_bytes(field(4)),
                    size_bytes: u32::from_le_bytes(half(12)),
                },
                next_access: (next > 0).then_some(next as u64),
            }
        }));
        self.start += whole * RECORD_BYTES;
        self.consumed += whole as u64;
        let trailing = self.buf.len() - self.start;
        if self.at_end && trailing > 0 {
            let record = self.consumed + 1;
            return Err(InputError {
                file: self.file.clone(),
                line: record as usize,
                column: 1,
                message: format!(
                    "record {record} is truncated: expected 24-byte oracleGeneral records, found {trailing} trailing bytes"
                ),
            }
            .into());
        }
        Ok(())
    }

    /// `time_s,obj_id,size_bytes` lines; a first line that does not start with a number is taken as a header.
    fn read_csv(&mut self, block: &mut Vec<Record>) -> Result<(), TraceError> {
        while block.len() < BLOCK_RECORDS {
            let pending = &self.buf[self.start..];
            let (line, rest_at) = match pending.iter().position(|&b| b == b'\n') {
                Some(end) => (&pending[..end], end + 1),
                None if self.at_end && pending.is_empty() => return Ok(()),
                None if self.at_end => (pending, pending.len()),
                None => {
                    if pending.len() > MAX_CSV_LINE_BYTES {
                        return Err(self.line_too_long().into());
                    }
                    self.fill(self.buf.len() - self.start + CSV_CHUNK_BYTES)?;
                    continue;
                }
            };
            if line.len() > MAX_CSV_LINE_BYTES {
                return Err(self.line_too_long().into());
            }
            let line_no = self.consumed as usize + 1;
            if let Some(request) = parse_csv_line(&self.file, line_no, line)? {
                block.push(Record { request, next_access: None });
            }
            self.start += rest_at;
            self.consumed += 1;
        }
        Ok(())
    }

    fn line_too_long(&self) -> InputError {
        InputError {
            file: self.file.clone(),
            line: self.consumed as usize + 1,
            column: MAX_CSV_LINE_BYTES + 1,
            message: format!("line is longer than {MAX_CSV_LINE_BYTES} bytes: expected time_s,obj_id,size_bytes"),
        }
    }
}

/// One CSV line: None for a blank line or the header (a first line whose first field is not a number).
fn parse_csv_line(file: &str, line_no: usize, line: &[u8]) -> Result<Option<Request>, InputError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    // (byte offset, trimmed text) of the first four fields; a fourth is an error.
    let mut fields = [(0usize, &line[..0]); 4];
    let mut count = 0;
    let mut at = 0;
    for field in line.split(|&b| b == b',') {
        if let Some(slot) = fields.get_mut(count) {
            *slot = (at, field.trim_ascii());
        }
        count += 1;
        at += field.len() + 1;
    }
    if line_no == 1 && parse_u64(fields[0].1).is_none() {
        return Ok(None);
    }
    // Columns count characters, as editors show them.
    let column = |offset: usize| String::from_utf8_lossy(&line[..offset.min(line.len())]).chars().count() + 1;
    let err = |offset: usize, message: String| InputError {
        file: file.to_string(),
        line: line_no,
        column: column(offset),
        message,
    };
    if count != 3 {
        // Point at the missing field (the line's end) or the first extra one.
        let offset = if count > 3 { fields[3].0 } else { line.len() };
        return Err(err(offset, format!("expected 3 fields time_s,obj_id,size_bytes, found {count}")));
    }
    let time_s = parse_u64(fields[0].1).and_then(|v| u32::try_from(v).ok());
    let obj_id = parse_u64(fields[1].1);
    let size_bytes = parse_u64(fields[2].1).and_then(|v| u32::try_from(v).ok());
    Ok(Some(Request {
        time_s: time_s
            .ok_or_else(|| err(fields[0].0, "expected a time in whole seconds (unsigned 32-bit integer)".into()))?,
        obj_id: obj_id.ok_or_else(|| err(fields[1].0, "expected an object id (unsigned 64-bit integer)".into()))?,
        size_bytes: size_bytes
            .ok_or_else(|| err(fields[2].0, "expected a size in bytes (unsigned 32-bit integer)".into()))?,
    }))
}

/// Decimal digits only; None if empty, not digits, or over u64::MAX.
fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        let d = d.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(d as u64)
    })
}

/// Reads a whole trace into memory: for small traces and tests; replay streams with `TraceReader` instead.
pub fn read_all(file: &str, format: TraceFormat, input: impl Read) -> Result<Vec<Record>, TraceError> {
    let mut reader = TraceReader::new(file, format, input);
    let (mut all, mut block) = (Vec::new(), Vec::new());
    loop {
        reader.read_block(&mut block)?;
        if block.is_empty() {
            return Ok(all);
        }
        all.append(&mut block);
    }
}

/// Writes requests as a trace; oracleGeneral gets each request's next access.
pub fn write(out: &mut impl Write, format: TraceFormat, requests: &[Request]) -> std::io::Result<()> {
    match format {
        TraceFormat::OracleGeneral => out.write_all(&to_oracle_general(requests))?,
        TraceFormat::Csv => {
            writeln!(out, "time_s,obj_id,size_bytes")?;
            for r in requests {
                writeln!(out, "{},{},{}", r.time_s, r.obj_id, r.size_bytes)?;
            }
        }
    }
    out.flush()
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
    let mut out = Vec::with_capacity(requests.len() * RECORD_BYTES);
    for (r, n) in requests.iter().zip(next) {
        out.extend_from_slice(&r.time_s.to_le_bytes());
        out.extend_from_slice(&r.obj_id.to_le_bytes());
        out.extend_from_slice(&r.size_bytes.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests(records: &[Record]) -> Vec<Request> {
        records.iter().map(|r| r.request).collect()
    }

    #[test]
    fn oracle_general_round_trips_with_next_access() {
        let reqs: Vec<Request> = [(0, 7, 100), (1, 8, 50), (2, 7, 100), (3, 9, 10), (4, 8, 50)]
            .map(|(t, o, s)| Request { time_s: t, obj_id: o, size_bytes: s })
            .to_vec();
        let bytes = to_oracle_general(&reqs);
        assert_eq!(bytes.len(), 5 * 24);
        let records = read_all("t.bin", TraceFormat::OracleGeneral, &bytes[..]).unwrap();
        assert_eq!(requests(&records), reqs);
        let next: Vec<Option<u64>> = records.iter().map(|r| r.next_access).collect();
        assert_eq!(next, [Some(3), Some(5), None, None, None]);
        let e = read_all("t.bin", TraceFormat::OracleGeneral, &bytes[..50]).unwrap_err();
        assert!(e.to_string().starts_with("t.bin:3:1: record 3 is truncated"), "{e}");
    }

    #[test]
    fn csv_parses_with_or_without_header_and_locates_errors() {
        let read = |text: &str| read_all("t.csv", TraceFormat::Csv, text.as_bytes());
        let a = read("time_s,obj_id,size_bytes\n0,1,10\n5,2,20\n").unwrap();
        let b = read("0,1,10\r\n\n 5 , 2,20").unwrap();
        assert_eq!(a, b);
        assert_eq!(a[1].request, Request { time_s: 5, obj_id: 2, size_bytes: 20 });
        let at = |text: &str| match read(text) {
            Err(TraceError::Input(e)) => (e.line, e.column, e.message),
            other => panic!("{other:?}"),
        };
        assert_eq!(at("0,1,10\n5,x,20\n"), (2, 3, "expected an object id (unsigned 64-bit integer)".into()));
        assert_eq!(at("0,1\n").1, 4, "a missing field is located at the line's end");
        assert_eq!(at("0,1,10,4\n").1, 8, "an extra field is located at its start");
        assert_eq!(at("0,1,5000000000\n"), (1, 5, "expected a size in bytes (unsigned 32-bit integer)".into()));
        assert_eq!(at("0,é,1\n").1, 3, "columns count characters");
        let long = format!("0,1,{}\n", "1".repeat(MAX_CSV_LINE_BYTES));
        assert!(at(&long).2.contains("longer than"), "{:?}", at(&long));
    }

    #[test]
    fn blocks_are_bounded_and_lines_count_across_them() {
        let n = BLOCK_RECORDS + 10;
        let text: String = (0..n).map(|i| format!("{i},{},1\n", i % 7)).collect();
        let mut reader = TraceReader::new("t.csv", TraceFormat::Csv, text.as_bytes());
        let mut block = Vec::new();
        reader.read_block(&mut block).unwrap();
        assert_eq!(block.len(), BLOCK_RECORDS);
        reader.read_block(&mut block).unwrap();
        assert_eq!(block.len(), 10);
        assert_eq!(block[9].request.time_s as usize, n - 1);
        reader.read_block(&mut block).unwrap();
        assert!(block.is_empty());
        let bad = format!("{text}1,2,x\n");
        match read_all("t.csv", TraceFormat::Csv, bad.as_bytes()) {
            Err(TraceError::Input(e)) => assert_eq!((e.line, e.column), (n + 1, 5)),
            other => panic!("{other:?}"),
        }
    }
}
