//! Seeded input mutation: a small splitmix64 generator (so a run is reproduced by its seed alone) and a
//! mutator stacking 1 to 8 byte-level edits, dictionary tokens and splices from the corpus.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Bytes that often sit on parsers' edges.
const INTERESTING_BYTES: [u8; 12] = [0, 1, 0x7f, 0x80, 0xff, b'0', b'9', b'\n', b'\r', b',', b'"', b'-'];
/// Little-endian integers at the edges of u32, i64 and u64 (sizes, ids and next-access fields).
const INTERESTING_INTS: [u64; 8] = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0x8000_0000_0000_0000, u64::MAX, 24, 1 << 40];

/// Applies a stack of random edits to `input`, keeping it at most `max_len` bytes.
pub fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>], tokens: &[&[u8]], max_len: usize) {
    for _ in 0..1 + rng.below(8) {
        let len = input.len();
        let at = rng.below(len + 1);
        match rng.below(10) {
            0 if len > 0 => input[at.min(len - 1)] ^= 1 << rng.below(8),
            1 if len > 0 => input[at.min(len - 1)] = rng.next_u64() as u8,
            2 if len > 0 => input[at.min(len - 1)] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())],
            3 => {
                let end = (at + 1 + rng.below(16)).min(len);
                input.drain(at.min(end)..end);
            }
            4 => {
                let bytes: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next_u64() as u8).collect();
                input.splice(at..at, bytes);
            }
            5 if len > 0 => {
                // Duplicate a piece of the input somewhere else (repeats lines, records, tables).
                let from = rng.below(len);
                let piece = input[from..(from + 1 + rng.below(64)).min(len)].to_vec();
                input.splice(at..at, piece);
            }
            6 if !corpus.is_empty() => {
                // Splice in a piece of another input.
                let other = &corpus[rng.below(corpus.len())];
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let piece = &other[from..(from + 1 + rng.below(256)).min(other.len())];
                    input.splice(at..at, piece.iter().copied());
                }
            }
            7 if !tokens.is_empty() => {
                let token = tokens[rng.below(tokens.len())];
                input.splice(at..at, token.iter().copied());
            }
            8 => {
                let value = INTERESTING_INTS[rng.below(INTERESTING_INTS.len())].to_le_bytes();
                let width = [1, 2, 4, 8][rng.below(4)];
                let end = (at + width).min(len);
                input.splice(at..end, value[..width].iter().copied());
            }
            9 => input.truncate(at),
            _ => {}
        }
    }
    input.truncate(max_len);
}
