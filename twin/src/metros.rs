//! The metros table (assets/metros.csv): every city of 100,000+ people, from GeoNames (CC BY 4.0) via
//! assets/extract.py, with its continent, coordinates, population and time zone.

use chrono_tz::Tz;

use crate::error::InputError;
use crate::region::{REGIONS, RegionId};

pub const METROS_CSV: &str = include_str!("../../assets/metros.csv");
pub const METROS_FILE: &str = "assets/metros.csv";

#[derive(Clone, Debug)]
pub struct Metro {
    pub name: String,
    pub country: String,
    pub region: RegionId,
    pub lat: f64,
    pub lon: f64,
    pub population: u64,
    pub tz: Tz,
    /// Members living here (set when the world is built).
    pub members: f64,
}

/// Parses the metros table (header + rows: name,country,continent,lat,lon,population,timezone), most
/// populous first. Errors name the file, line and column.
pub fn load_metros(text: &str, file: &str) -> Result<Vec<Metro>, InputError> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += line.len();
        let line = line.trim_end_matches(['\n', '\r']);
        if n == 0 || line.is_empty() {
            continue;
        }
        let fields = split_csv_line(line);
        let err = |field: usize, what: &str| {
            let col = fields.get(field).map_or(line.len(), |f| f.0);
            InputError::at_offset(file, text, line_start + col, what.to_string())
        };
        if fields.len() != 7 {
            return Err(err(fields.len().min(6), &format!("7 comma-separated fields, found {}", fields.len())));
        }
        let f = |i: usize| fields[i].1.as_str();
        let region = REGIONS
            .iter()
            .position(|r| r.0 == f(2))
            .ok_or_else(|| err(2, "a continent code (NA, SA, EU, AF, AS, OC)"))?;
        let lat: f64 = f(3)
            .parse()
            .ok()
            .filter(|v: &f64| (-90.0..=90.0).contains(v))
            .ok_or_else(|| err(3, "a latitude in [-90, 90]"))?;
        let lon: f64 = f(4)
            .parse()
            .ok()
            .filter(|v: &f64| (-180.0..=180.0).contains(v))
            .ok_or_else(|| err(4, "a longitude in [-180, 180]"))?;
        let population: u64 = f(5).parse().map_err(|_| err(5, "a population (whole number)"))?;
        let tz: Tz = f(6).parse().map_err(|_| err(6, "an IANA time zone such as Europe/Paris"))?;
        out.push(Metro {
            name: f(0).to_string(),
            country: f(1).to_string(),
            region: RegionId(region as u8),
            lat,
            lon,
            population,
            tz,
            members: 0.0,
        });
    }
    Ok(out)
}

/// Splits one CSV line into (byte column, unquoted value), honouring "quoted, fields" and "" escapes.
fn split_csv_line(line: &str) -> Vec<(usize, String)> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    let mut quoted = false;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' if quoted && chars.peek().map(|p| p.1) == Some('"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => {
                fields.push((start, std::mem::take(&mut cur)));
                start = i + 1;
            }
            _ => cur.push(c),
        }
    }
    fields.push((start, cur));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_metros_parse() {
        let metros = load_metros(METROS_CSV, METROS_FILE).expect("asset parses");
        assert!(metros.len() > 6000);
        assert_eq!(metros[0].name, "Shanghai");
        assert!(metros.windows(2).all(|w| w[0].population >= w[1].population));
        assert!(metros.iter().any(|m| m.name.contains(',')), "quoted names survive");
    }

    #[test]
    fn bad_metro_rows_are_located() {
        let text = "name,country,continent,lat,lon,population,timezone\nParis,FR,EU,48.85,2.35,2100000,Europe/Paris\nX,FR,EU,91.0,2.0,5,Europe/Paris\n";
        let e = load_metros(text, "m.csv").unwrap_err();
        assert_eq!((e.line, e.column), (3, 9), "{e}");
        let text = "h\n\"A, B\",FR,EU,1,2,3,Mars/Olympus\n";
        let e = load_metros(text, "m.csv").unwrap_err();
        assert_eq!((e.line, e.column), (2, 20), "{e}");
        assert!(e.message.contains("time zone"));
    }
}
