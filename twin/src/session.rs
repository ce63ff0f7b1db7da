//! Sessions in progress, kept per metro (the unit the engine hands to its worker threads) in a calendar ring of
//! minute buckets: a bucket holds the sessions whose playback ends in its minute, in chunks of sixteen, each
//! chunk's server accounts on a line of their own (all a scan for sessions on a busy or failed server reads).
//! Ends read a bucket's chunks front to back, and a new session is written at its bucket's end, so the memory a
//! minute touches comes in runs, not at random slots of one big slab. A session removed before its bucket comes
//! round keeps its slot, marked free, until it does; then the bucket's chunks are free for new sessions.
//!
//! A session plays whole minutes. While its server has room it costs nothing per minute: its bytes are
//! counted from its bitrate when something about it changes (`settle`). Only sessions on a busy or failed
//! server, or below the rung they started at, are visited minute by minute.

use crate::events::{Event, SessionMeta};

/// Calendar-ring length in minutes. A session ending further ahead is parked in the last bucket it can reach
/// and moved when that comes round.
pub const RING: usize = 256;

/// A session's place in its metro's store. A session keeps its slot until its bucket comes round (then it
/// ends, or moves to the bucket of its new end).
pub type Slot = u32;

/// Bytes a stream of 1 kbps moves in a minute.
pub const BYTES_PER_KBPS_MINUTE: u64 = 125 * 60;

/// The account of a session that has ended.
pub const FREE: u32 = u32::MAX;

const BINGES: u8 = 1;
/// Started while events were on (its member is known, sampled or not), and its member is sampled.
const RECORDED: u8 = 2;
const SAMPLED: u8 = 4;

/// One play in progress (its server account is kept in its chunk's accounts). Thirty-two bytes, so a session
/// never straddles two cache lines.
#[derive(Clone, Copy, Debug, Default)]
pub struct Session {
    pub device: u8,
    pub rendition: u8,
    /// The rendition it started at (a session switched down climbs back to it).
    pub target: u8,
    /// The candidate (index among its group's) it plays from, and how many entries of its steering list it
    /// has used.
    pub candidate: u8,
    pub entries: u8,
    /// `BINGES` (its member goes on to the next episode if they play it to its end), `RECORDED` and
    /// `SAMPLED`: a byte in the session, written with it, so the end of a session reads no other line.
    flags: u8,
    /// Its client group, as an index among its metro's (`World::metro_groups`).
    pub metro_group: u8,
    pub video: u32,
    /// Second (from the start) its playback ends, stalls included so far.
    pub end_s: u32,
    /// Bytes so far (the high 48 bits), counted up to the start of the settled minute, and that minute's low 16
    /// bits: it is never more than one minute ahead of the engine's nor 2^16 minutes (45 days) behind, so the
    /// engine's minute tells the rest.
    bytes_settled: u64,
    pub buffer_s: u16,
    pub stalled_s: u16,
    pub patience_s: u16,
    /// Access throughput, in units of 100 kbps.
    pub access_100kbps: u16,
}

impl Session {
    /// A new session at `rendition` on candidate `candidate` of its metro's group `metro_group`, ending at
    /// `end_s`; `binges`: its member goes on to the next episode if they play it to its end.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        metro_group: u8,
        video: u32,
        device: u8,
        rendition: u8,
        candidate: u8,
        end_s: u32,
        settled_minute: u32,
        buffer_s: u16,
        patience_s: u16,
        access_100kbps: u16,
        binges: bool,
    ) -> Session {
        Session {
            device,
            rendition,
            target: rendition,
            candidate,
            entries: 1,
            flags: if binges { BINGES } else { 0 },
            metro_group,
            video,
            end_s,
            bytes_settled: settled_minute as u16 as u64,
            buffer_s,
            stalled_s: 0,
            patience_s,
            access_100kbps,
        }
    }

    #[inline]
    pub fn binges(&self) -> bool {
        self.flags & BINGES != 0
    }

    /// Bytes delivered so far (counted up to the settled minute).
    #[inline]
    pub fn bytes(&self) -> u64 {
        self.bytes_settled >> 16
    }

    #[inline]
    pub fn add_bytes(&mut self, bytes: u64) {
        self.bytes_settled += bytes << 16;
    }

    /// The minute bytes are counted up to (the start of), as seen from minute `now`.
    #[inline]
    pub fn settled_minute(&self, now: u32) -> u32 {
        let ahead = now + 1;
        ahead - (ahead as u16).wrapping_sub(self.bytes_settled as u16) as u32
    }

    #[inline]
    pub fn set_settled_minute(&mut self, minute: u32) {
        self.bytes_settled = self.bytes_settled & !0xFFFF | minute as u16 as u64;
    }

    /// The first minute it no longer plays.
    #[inline]
    pub fn end_minute(&self) -> u32 {
        self.end_s.div_ceil(60)
    }

    /// Counts bytes up to the start of `minute` at `kbps`.
    #[inline]
    pub fn settle(&mut self, minute: u32, kbps: f64) {
        let settled = self.settled_minute(minute);
        if minute > settled {
            self.add_bytes((minute - settled) as u64 * kbps_minute_bytes(kbps));
            self.set_settled_minute(minute);
        }
    }
}

// The sessions in progress are most of a big run's memory.
const _: () = assert!(std::mem::size_of::<Session>() == 32);
// A metro has a group per ISP of its country.
const _: () = assert!(crate::scenario::MAX_ISPS_PER_COUNTRY <= u8::MAX as usize + 1);

/// Bytes of one minute at `kbps` (rounded down to a whole byte, the same wherever it is counted).
#[inline]
pub fn kbps_minute_bytes(kbps: f64) -> u64 {
    (kbps * BYTES_PER_KBPS_MINUTE as f64) as u64
}

/// The ring bucket of a session's end (or the furthest one, if its end is further), from minute `now`.
#[inline]
fn bucket_of(s: &Session, now: u32) -> usize {
    s.end_minute().clamp(now + 1, now + RING as u32 - 1) as usize % RING
}

/// Sessions a chunk holds.
const CHUNK: usize = 16;

/// A run of sessions of one bucket: eight cache lines, read front to back when the bucket comes round.
#[derive(Clone, Debug)]
#[repr(align(64))]
struct Chunk([Session; CHUNK]);

/// A chunk's server accounts (`FREE` where no session plays), a line of their own: a scan for the sessions on
/// a busy or failed server reads the accounts of every chunk in a row, and nothing else.
#[derive(Clone, Copy, Debug)]
#[repr(align(64))]
struct Accounts([u32; CHUNK]);

const _: () = assert!(std::mem::size_of::<Chunk>() == 8 * 64 && std::mem::size_of::<Accounts>() == 64);

/// Chunks of sessions, allocated a block at a time and never moved (a vector of chunks doubling as it grows
/// would copy them, and leave the allocator holding the room it grew out of), and their accounts.
#[derive(Clone, Debug, Default)]
struct Chunks {
    blocks: Vec<Box<[Chunk]>>,
    accounts: Vec<Accounts>,
    /// The chunk after each in its bucket (`NO_CHUNK` after the last).
    next: Vec<u32>,
}

const NO_CHUNK: u32 = u32::MAX;

/// Chunks a block holds (32 KiB).
const BLOCK: usize = 64;

impl Chunks {
    fn len(&self) -> usize {
        self.accounts.len()
    }

    /// A new chunk, with no session.
    fn push(&mut self) -> u32 {
        let c = self.len();
        if c == self.blocks.len() * BLOCK {
            self.blocks.push(vec![Chunk([Session::default(); CHUNK]); BLOCK].into_boxed_slice());
        }
        self.accounts.push(Accounts([FREE; CHUNK]));
        self.next.push(NO_CHUNK);
        c as u32
    }

    #[inline]
    fn sessions(&self, c: usize) -> &[Session; CHUNK] {
        &self.blocks[c / BLOCK][c % BLOCK].0
    }

    #[inline]
    fn sessions_mut(&mut self, c: usize) -> &mut [Session; CHUNK] {
        &mut self.blocks[c / BLOCK][c % BLOCK].0
    }

    /// Asks for all the lines of chunk `c`, its accounts and its link to the next chunk.
    #[inline]
    fn prefetch(&self, c: usize) {
        for pair in self.sessions(c).chunks(2) {
            crate::prefetch::prefetch(&pair[0]);
        }
        crate::prefetch::prefetch(&self.accounts[c]);
        crate::prefetch::prefetch(&self.next[c]);
    }

    fn heap_bytes(&self) -> usize {
        self.blocks.len() * BLOCK * std::mem::size_of::<Chunk>()
            + self.blocks.capacity() * 8
            + self.accounts.capacity() * std::mem::size_of::<Accounts>()
    }
}

/// A new session waiting for `flush` to write it at the end of its bucket.
#[derive(Clone, Copy, Debug)]
struct Filed {
    session: Session,
    account: u32,
    bucket: u8,
}

#[inline]
fn slot(chunk: u32, index: usize) -> Slot {
    chunk * CHUNK as u32 + index as u32
}

#[inline]
fn place(slot: Slot) -> (usize, usize) {
    (slot as usize / CHUNK, slot as usize % CHUNK)
}

/// One metro's sessions.
#[derive(Clone, Debug)]
pub struct MetroSessions {
    chunks: Chunks,
    free_chunks: Vec<u32>,
    /// Bucket `minute % RING` holds the sessions whose last minute is `minute − 1`, in chunks chained through
    /// `Chunks::next` in the order they filled: its first chunk, its last, and how many sessions the last holds
    /// (`CHUNK` when a new session needs a new chunk). Dense, so they stay in cache while `flush` writes the new
    /// sessions.
    first_chunk: Vec<u32>,
    last_chunk: Vec<u32>,
    last_len: Vec<u8>,
    /// New sessions not yet written at the end of their bucket, and the metadata of those whose member is
    /// sampled (in the same order): `flush` writes them in one tight pass, with each bucket's end asked for
    /// ahead (it is rarely in cache, and a pass lets the misses overlap).
    filed: Vec<Filed>,
    filed_meta: Vec<SessionMeta>,
    /// While events are on: what the events of sessions whose member is sampled need, by slot.
    meta: Vec<SessionMeta>,
    /// Sessions below the rendition they started at (entries may be stale: a session moved, or a slot reused).
    degraded: Vec<Slot>,
    /// Live sessions.
    pub count: u32,
    /// The metro's events of the minute, while events are on.
    pub events: Vec<Event>,
    /// Members going on to their next episode: those starting next minute (every post-play countdown), and
    /// those back from a break, in a ring of minute buckets by when they start; and the continuations started
    /// beyond the fresh arrivals they stand in for (taken from the next minutes').
    binge_next: Vec<Continuation>,
    binge: BingeRing,
    pub binge_debt: u32,
}

/// Continuations a ring bucket's block holds (three lines: most buckets end in a part-filled block).
const BINGE_BLOCK: usize = 8;

/// Members back from a break, in a ring of minute buckets. Each bucket is a chain of blocks from one pool, so
/// filing one reads no list header and allocates nothing once the pool has grown to what waits at once.
#[derive(Clone, Debug)]
struct BingeRing {
    blocks: Vec<[Continuation; BINGE_BLOCK]>,
    /// The block after each in its bucket (`NO_CHUNK` after the last).
    next: Vec<u32>,
    free: Vec<u32>,
    /// Per bucket: its first and last block (`NO_CHUNK` for none) and how many the last holds.
    first: Vec<u32>,
    last: Vec<u32>,
    last_len: Vec<u8>,
}

impl Default for BingeRing {
    fn default() -> Self {
        BingeRing {
            blocks: Vec::new(),
            next: Vec::new(),
            free: Vec::new(),
            first: vec![NO_CHUNK; BINGE_RING],
            last: vec![0; BINGE_RING],
            last_len: vec![BINGE_BLOCK as u8; BINGE_RING],
        }
    }
}

impl BingeRing {
    fn push(&mut self, b: usize, c: Continuation) {
        let mut n = self.last_len[b] as usize;
        if n == BINGE_BLOCK {
            let block = self.free.pop().unwrap_or_else(|| {
                self.blocks.push([c; BINGE_BLOCK]);
                self.next.push(NO_CHUNK);
                (self.blocks.len() - 1) as u32
            });
            self.next[block as usize] = NO_CHUNK;
            if self.first[b] == NO_CHUNK {
                self.first[b] = block;
            } else {
                self.next[self.last[b] as usize] = block;
            }
            self.last[b] = block;
            n = 0;
        }
        self.blocks[self.last[b] as usize][n] = c;
        self.last_len[b] = n as u8 + 1;
    }

    /// Appends bucket `b`'s continuations to `out`, in the order they were filed, and empties it.
    fn take(&mut self, b: usize, out: &mut Vec<Continuation>) {
        let mut block = std::mem::replace(&mut self.first[b], NO_CHUNK);
        let last_len = std::mem::replace(&mut self.last_len[b], BINGE_BLOCK as u8) as usize;
        while block != NO_CHUNK {
            let next = self.next[block as usize];
            let n = if next == NO_CHUNK { last_len } else { BINGE_BLOCK };
            out.extend_from_slice(&self.blocks[block as usize][..n]);
            self.free.push(block);
            block = next;
        }
    }

    fn heap_bytes(&self) -> usize {
        self.blocks.capacity() * std::mem::size_of::<[Continuation; BINGE_BLOCK]>()
            + (self.next.capacity() + self.free.capacity() + 2 * BINGE_RING) * 4
            + BINGE_RING
    }
}

/// Minutes the continuation ring spans: more than the longest break between episodes.
const BINGE_RING: usize = 256;
const _: () = assert!(crate::demand::BREAK_GAP_S[1] < ((BINGE_RING - 2) * 60) as f64);

/// A member who finished an episode and starts the next at `due_s`, on the same device and access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Continuation {
    pub due_s: u32,
    pub video: u32,
    /// Its client group, as an index among its metro's.
    pub metro_group: u8,
    pub device: u8,
    pub access_100kbps: u16,
    /// After the post-play countdown (else after a break).
    pub autoplay: bool,
    /// Whether its member is known to events (the episode before started while they were on), and if so the
    /// member, if sampled.
    pub recorded: bool,
    pub member: Option<u32>,
}

impl Default for MetroSessions {
    fn default() -> Self {
        MetroSessions {
            chunks: Chunks::default(),
            free_chunks: Vec::new(),
            first_chunk: vec![NO_CHUNK; RING],
            last_chunk: vec![0; RING],
            last_len: vec![CHUNK as u8; RING],
            filed: Vec::new(),
            filed_meta: Vec::new(),
            meta: Vec::new(),
            degraded: Vec::new(),
            count: 0,
            events: Vec::new(),
            binge_next: Vec::new(),
            binge: BingeRing::default(),
            binge_debt: 0,
        }
    }
}

impl MetroSessions {
    /// Heap bytes held: the chunks and their lists, the events metadata and the degraded list.
    pub fn heap_bytes(&self) -> usize {
        self.chunks.heap_bytes()
            + (self.free_chunks.capacity() + self.chunks.next.capacity()) * 4
            + (self.meta.capacity() + self.filed_meta.capacity()) * std::mem::size_of::<SessionMeta>()
            + self.filed.capacity() * std::mem::size_of::<Filed>()
            + self.degraded.capacity() * 4
            + self.events.capacity() * std::mem::size_of::<Event>()
            + self.binge_next.capacity() * std::mem::size_of::<Continuation>()
            + self.binge.heap_bytes()
    }

    #[inline]
    pub fn session(&self, slot: Slot) -> &Session {
        let (c, i) = place(slot);
        &self.chunks.sessions(c)[i]
    }

    #[inline]
    pub fn session_mut(&mut self, slot: Slot) -> &mut Session {
        let (c, i) = place(slot);
        &mut self.chunks.sessions_mut(c)[i]
    }

    /// The server account a session plays from.
    #[inline]
    pub fn account(&self, slot: Slot) -> u32 {
        let (c, i) = place(slot);
        self.chunks.accounts[c].0[i]
    }

    #[inline]
    pub fn set_account(&mut self, slot: Slot, account: u32) {
        let (c, i) = place(slot);
        self.chunks.accounts[c].0[i] = account;
    }

    /// Forgets which sessions' members are known to events (events were turned off).
    pub fn forget_members(&mut self) {
        for c in 0..self.chunks.len() {
            for s in self.chunks.sessions_mut(c) {
                s.flags &= !(RECORDED | SAMPLED);
            }
        }
        (self.meta, self.events) = (Vec::new(), Vec::new());
    }

    /// Files a member going on to their next episode, for its minute (from the next minute on: this minute's
    /// plays have started).
    pub fn push_binge(&mut self, c: Continuation, now: u32) {
        let minute = (c.due_s / 60).max(now + 1);
        if minute == now + 1 {
            self.binge_next.push(c);
        } else {
            self.binge.push(minute as usize % BINGE_RING, c);
        }
    }

    /// The members going on to their next episode in minute `now`, into `out` (emptied first).
    pub fn take_binge(&mut self, now: u32, out: &mut Vec<Continuation>) {
        out.clear();
        std::mem::swap(&mut self.binge_next, out);
        self.binge.take(now as usize % BINGE_RING, out);
    }

    /// Whether a session started while events were on.
    pub fn recorded(&self, slot: Slot) -> bool {
        self.session(slot).flags & RECORDED != 0
    }

    /// A session's events metadata, if its member is sampled.
    #[inline]
    pub fn sampled(&self, slot: Slot) -> Option<SessionMeta> {
        (self.session(slot).flags & SAMPLED != 0).then(|| self.meta[slot as usize])
    }

    /// Files a new session on `account`, due to end at `session.end_minute()`; `now` is the current minute. While
    /// events are on, `members` says whether its member is sampled, and if so what its events need. It is in
    /// its bucket after the next `flush`.
    pub fn insert(&mut self, mut session: Session, account: u32, now: u32, members: Option<Option<SessionMeta>>) {
        if let Some(sampled) = members {
            session.flags |= RECORDED;
            if let Some(meta) = sampled {
                session.flags |= SAMPLED;
                self.filed_meta.push(meta);
            }
        }
        self.count += 1;
        self.filed.push(Filed { session, account, bucket: bucket_of(&session, now) as u8 });
    }

    /// Writes the new sessions at the end of their buckets. The scans and the ends of a minute run it first.
    pub fn flush(&mut self) {
        const AHEAD: usize = 8;
        let mut filed = std::mem::take(&mut self.filed);
        let mut metas = 0;
        for i in 0..filed.len() {
            if let Some(ahead) = filed.get(i + AHEAD) {
                let b = ahead.bucket as usize;
                let n = self.last_len[b] as usize;
                if n < CHUNK {
                    let c = self.last_chunk[b] as usize;
                    crate::prefetch::prefetch(&self.chunks.sessions(c)[n]);
                    crate::prefetch::prefetch(&self.chunks.accounts[c]);
                }
            }
            let Filed { session, account, bucket } = filed[i];
            let meta = (session.flags & SAMPLED != 0).then(|| {
                metas += 1;
                self.filed_meta[metas - 1]
            });
            self.push(bucket as usize, session, account, meta);
        }
        filed.clear();
        self.filed = filed;
        self.filed_meta.clear();
    }

    /// Writes a session at the end of bucket `b`.
    #[inline]
    fn push(&mut self, b: usize, session: Session, account: u32, meta: Option<SessionMeta>) -> Slot {
        let mut n = self.last_len[b] as usize;
        if n == CHUNK {
            let c = self.free_chunks.pop().unwrap_or_else(|| self.chunks.push());
            self.chunks.next[c as usize] = NO_CHUNK;
            if self.first_chunk[b] == NO_CHUNK {
                self.first_chunk[b] = c;
            } else {
                self.chunks.next[self.last_chunk[b] as usize] = c;
            }
            self.last_chunk[b] = c;
            n = 0;
        }
        self.last_len[b] = n as u8 + 1;
        let c = self.last_chunk[b];
        self.chunks.sessions_mut(c as usize)[n] = session;
        self.chunks.accounts[c as usize].0[n] = account;
        let slot = slot(c, n);
        if let Some(meta) = meta {
            if self.meta.len() <= slot as usize {
                self.meta.resize(slot as usize + 1, SessionMeta::default());
            }
            self.meta[slot as usize] = meta;
        }
        slot
    }

    /// Ends a session (its slot is let go when its bucket comes round).
    pub fn remove(&mut self, slot: Slot) {
        self.set_account(slot, FREE);
        self.count -= 1;
    }

    /// Notes that a session went below the rendition it started at.
    pub fn mark_degraded(&mut self, slot: Slot) {
        self.degraded.push(slot);
    }

    /// The live sessions below the rendition they started at, once each, in order of slot; drops entries that
    /// went stale or climbed back. Entries on accounts `held_back` picks (servers a session cannot climb on) are
    /// kept for a later minute without reading their session: at the evening peak most are there.
    pub fn take_degraded(&mut self, out: &mut Vec<Slot>, held_back: impl Fn(usize) -> bool) {
        out.clear();
        let mut list = std::mem::take(&mut self.degraded);
        // Sorted but for the entries added since the last minute: a stable sort finds that run and merges.
        list.sort();
        list.dedup();
        // The entries scatter over the metro's chunks: each one's lines are asked for `AHEAD` entries before.
        const AHEAD: usize = 8;
        let mut kept = 0;
        for i in 0..list.len() {
            if let Some(&ahead) = list.get(i + AHEAD) {
                let (c, k) = place(ahead);
                crate::prefetch::prefetch(&self.chunks.accounts[c]);
                crate::prefetch::prefetch(&self.chunks.sessions(c)[k]);
            }
            let slot = list[i];
            let account = self.account(slot);
            if account == FREE {
                continue;
            }
            if !held_back(account as usize) {
                let s = self.session(slot);
                if s.rendition >= s.target {
                    continue;
                }
                out.push(slot);
            }
            list[kept] = slot;
            kept += 1;
        }
        list.truncate(kept);
        self.degraded = list;
    }

    /// Calls `visit` for each live session whose account `on` picks, in order of slot (`visit` may end the
    /// session, switch it, or move it to another account).
    pub fn visit_on(&mut self, on: impl Fn(usize) -> bool, mut visit: impl FnMut(&mut MetroSessions, Slot, usize)) {
        self.flush();
        // The accounts are read in a row; the sessions picked are asked for two chunks ahead.
        const AHEAD: usize = 2;
        for c in 0..self.chunks.len() {
            if let Some(ahead) = self.chunks.accounts.get(c + AHEAD) {
                for (i, &account) in ahead.0.iter().enumerate() {
                    if account != FREE && on(account as usize) {
                        crate::prefetch::prefetch(&self.chunks.sessions(c + AHEAD)[i]);
                    }
                }
            }
            for i in 0..CHUNK {
                let account = self.chunks.accounts[c].0[i];
                if account != FREE && on(account as usize) {
                    visit(self, slot(c as u32, i), account as usize);
                }
            }
        }
    }

    /// Hands `end` each session whose playback ended with minute `now` (its last minute), reading its bucket
    /// front to back; sessions pushed later by stalls (or parked there from further ahead) move to the bucket
    /// of their end. The bucket's chunks are then free.
    pub fn take_ended(&mut self, now: u32, mut end: impl FnMut(&mut MetroSessions, Slot)) {
        self.flush();
        let next = now + 1;
        let b = next as usize % RING;
        let first = std::mem::replace(&mut self.first_chunk[b], NO_CHUNK);
        let last_len = std::mem::replace(&mut self.last_len[b], CHUNK as u8) as usize;
        let mut c = first;
        while c != NO_CHUNK {
            let ahead = self.chunks.next[c as usize];
            if ahead != NO_CHUNK {
                self.chunks.prefetch(ahead as usize);
            }
            let n = if ahead == NO_CHUNK { last_len } else { CHUNK };
            for i in 0..n {
                let account = self.chunks.accounts[c as usize].0[i];
                if account == FREE {
                    continue;
                }
                if self.chunks.sessions(c as usize)[i].end_minute() <= next {
                    end(self, slot(c, i));
                } else {
                    self.move_on(slot(c, i), account, now);
                }
            }
            c = ahead;
        }
        let mut c = first;
        while c != NO_CHUNK {
            self.chunks.accounts[c as usize] = Accounts([FREE; CHUNK]);
            self.free_chunks.push(c);
            c = self.chunks.next[c as usize];
        }
    }

    /// Moves a session to the bucket of its end, as seen from minute `now`.
    fn move_on(&mut self, from: Slot, account: u32, now: u32) {
        let session = *self.session(from);
        let meta = (session.flags & SAMPLED != 0).then(|| self.meta[from as usize]);
        let degraded = session.rendition < session.target;
        let to = self.push(bucket_of(&session, now), session, account, meta);
        if degraded {
            self.degraded.push(to);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session ending at `end_s`, known by its video.
    fn session(video: u32, end_s: u32) -> Session {
        Session::new(0, video, 0, 1, 0, end_s, 0, 0, 60, 100, false)
    }

    /// The videos of the sessions that ended with minute `now`, ended.
    fn ended(m: &mut MetroSessions, now: u32) -> Vec<u32> {
        let mut out = Vec::new();
        m.take_ended(now, |m, slot| {
            out.push(m.session(slot).video);
            m.remove(slot);
        });
        out
    }

    #[test]
    fn continuations_start_in_their_minute_in_the_order_they_were_filed() {
        let mut m = MetroSessions::default();
        let due = |video: u32, minute: u32| Continuation {
            due_s: minute * 60 + 30,
            video,
            metro_group: 0,
            device: 0,
            access_100kbps: 100,
            autoplay: false,
            recorded: false,
            member: None,
        };
        // Minute 0: one due now (taken next minute, plays of this one have started), 40 (several blocks)
        // after a break in minute 5, one in minute 7.
        m.push_binge(due(1, 0), 0);
        for v in 0..40 {
            m.push_binge(due(100 + v, 5), 0);
        }
        m.push_binge(due(2, 7), 0);
        let mut out = Vec::new();
        let mut taken = |m: &mut MetroSessions, now: u32| {
            m.take_binge(now, &mut out);
            out.iter().map(|c| c.video).collect::<Vec<u32>>()
        };
        assert_eq!(taken(&mut m, 1), [1]);
        assert!(taken(&mut m, 2).is_empty());
        assert_eq!(taken(&mut m, 5), (100..140).collect::<Vec<u32>>());
        assert_eq!(taken(&mut m, 7), [2]);
        let blocks = m.binge.blocks.len();
        assert_eq!(blocks, 40usize.div_ceil(BINGE_BLOCK) + 1);
        assert_eq!(m.binge.free.len(), blocks);
        // A full turn of the ring later, the same bucket reuses the freed blocks.
        for v in 0..40 {
            m.push_binge(due(200 + v, 5 + BINGE_RING as u32), 8);
        }
        assert_eq!(taken(&mut m, 5 + BINGE_RING as u32), (200..240).collect::<Vec<u32>>());
        assert_eq!(m.binge.blocks.len(), blocks);
    }

    #[test]
    fn sessions_end_in_their_minute_in_the_order_they_were_filed() {
        let mut m = MetroSessions::default();
        m.insert(session(1, 3 * 60), 7, 0, None); // plays minutes 0, 1, 2
        m.insert(session(2, 60), 7, 0, None);
        m.insert(session(3, 10 * RING as u32 * 60), 7, 0, None);
        m.insert(session(4, 3 * 60 - 1), 7, 0, None);
        m.insert(session(5, 2 * 60), 7, 0, None);
        assert_eq!(m.count, 5);
        assert_eq!(ended(&mut m, 0), [2]);
        // A stall pushes `1` a minute later: it moves to the bucket of its new end.
        let mut slots = Vec::new();
        m.visit_on(|a| a == 7, |m, slot, _| slots.push((m.session(slot).video, slot)));
        let one = slots.iter().find(|&&(v, _)| v == 1).unwrap().1;
        m.session_mut(one).end_s += 60;
        // `5` is removed early: it stays in its bucket, skipped, until that comes round.
        let five = slots.iter().find(|&&(v, _)| v == 5).unwrap().1;
        m.remove(five);
        assert_eq!(ended(&mut m, 1), Vec::<u32>::new());
        assert_eq!(ended(&mut m, 2), [4]);
        assert_eq!(ended(&mut m, 3), [1]);
        // A session ending beyond the ring is parked in its last bucket, and moved until its end comes.
        let mut far = Vec::new();
        for now in 4..10 * RING as u32 + 1 {
            far.extend(ended(&mut m, now).into_iter().map(|v| (now, v)));
        }
        assert_eq!(far, [(10 * RING as u32 - 1, 3)]);
        assert_eq!(m.count, 0);
        // A bucket that came round lets its chunks go.
        assert!(m.first_chunk.iter().all(|&c| c == NO_CHUNK));
        assert_eq!(m.free_chunks.len(), m.chunks.len());
    }

    #[test]
    fn a_visit_sees_the_sessions_on_the_picked_accounts_and_may_move_them() {
        let mut m = MetroSessions::default();
        for (video, account) in [(1, 7), (2, 8), (3, 7)] {
            m.insert(session(video, 600), account, 0, None);
        }
        let mut seen = Vec::new();
        m.visit_on(
            |a| a == 7,
            |m, slot, account| {
                seen.push((m.session(slot).video, account));
                m.set_account(slot, 9);
            },
        );
        assert_eq!(seen, [(1, 7), (3, 7)]);
        let mut on_nine = Vec::new();
        m.visit_on(|a| a == 9, |m, slot, _| on_nine.push(m.session(slot).video));
        assert_eq!(on_nine, [1, 3]);
    }

    #[test]
    fn bytes_are_counted_across_the_wrap_of_the_settled_minute() {
        let start = u16::MAX as u32 - 2;
        let mut s = Session::new(0, 0, 0, 1, 0, (start + 10) * 60, start, 0, 60, 100, false);
        assert_eq!(s.settled_minute(start), start);
        s.settle(start + 5, 8000.0);
        assert_eq!(s.bytes(), 5 * kbps_minute_bytes(8000.0));
        assert_eq!(s.settled_minute(start + 5), start + 5);
        // A throttled minute is counted to its end, one minute ahead.
        s.add_bytes(1);
        s.set_settled_minute(start + 6);
        assert_eq!(s.settled_minute(start + 5), start + 6);
        s.settle(start + 6, 8000.0);
        assert_eq!(s.bytes(), 5 * kbps_minute_bytes(8000.0) + 1);
        // A long 4K session passes what 32 bits hold.
        s.settle(start + 6 + 240, 16_000.0);
        assert_eq!(s.bytes(), 5 * kbps_minute_bytes(8000.0) + 1 + 240 * kbps_minute_bytes(16_000.0));
        assert!(s.bytes() > u32::MAX as u64);
    }

    /// The videos `take_degraded` lists.
    fn degraded(m: &mut MetroSessions) -> Vec<u32> {
        let mut out = Vec::new();
        m.take_degraded(&mut out, |_| false);
        out.iter().map(|&slot| m.session(slot).video).collect()
    }

    #[test]
    fn degraded_sessions_are_listed_until_they_climb_back_or_end_and_follow_a_move() {
        let mut m = MetroSessions::default();
        for video in 1..=3 {
            m.insert(session(video, 600), 1, 0, None);
        }
        let mut slots = Vec::new();
        m.visit_on(|_| true, |_, slot, _| slots.push(slot));
        for &slot in &slots {
            m.session_mut(slot).rendition = 0;
            m.mark_degraded(slot);
            m.mark_degraded(slot);
        }
        assert_eq!(degraded(&mut m), [1, 2, 3], "once each");
        m.session_mut(slots[0]).rendition = 1; // climbed back
        m.remove(slots[1]); // ended
        // A stall moves `3` beyond its bucket: it is listed at its new place.
        m.session_mut(slots[2]).end_s += 3600;
        for now in 0..10 {
            ended(&mut m, now);
        }
        // A new session at its target takes the first slot of the chunk they left.
        m.insert(session(4, (10 + RING as u32) * 60), 1, 11, None);
        m.flush();
        assert_eq!(m.session(slots[0]).video, 4);
        assert_eq!(degraded(&mut m), [3]);
        // On a server it cannot climb on, it is kept but not listed.
        let mut out = Vec::new();
        m.take_degraded(&mut out, |account| account == 1);
        assert!(out.is_empty());
        assert_eq!(degraded(&mut m), [3]);
    }

    #[test]
    fn a_sampled_members_metadata_stays_with_its_session_and_goes_when_events_stop() {
        let mut m = MetroSessions::default();
        let meta = SessionMeta { member: 42, start_s: 0, duration_s: 600, start_rebuffer_ms: 0 };
        m.insert(session(1, 600), 1, 0, Some(None));
        m.insert(session(2, 600), 1, 0, Some(Some(meta)));
        m.insert(session(3, 600), 1, 0, None);
        let mut seen = Vec::new();
        m.visit_on(
            |_| true,
            |m, slot, _| seen.push((m.session(slot).video, m.recorded(slot), m.sampled(slot).map(|t| t.member))),
        );
        assert_eq!(seen, [(1, true, None), (2, true, Some(42)), (3, false, None)]);
        // Moved by a stall, it keeps its metadata.
        m.visit_on(|_| true, |m, slot, _| m.session_mut(slot).end_s += 3600);
        for now in 0..10 {
            ended(&mut m, now);
        }
        let mut moved = Vec::new();
        m.visit_on(|_| true, |m, slot, _| moved.push(m.sampled(slot).map(|t| t.member)));
        assert_eq!(moved, [None, Some(42), None]);
        m.forget_members();
        let mut after = Vec::new();
        m.visit_on(|_| true, |m, slot, _| after.push((m.recorded(slot), m.sampled(slot).is_some())));
        assert_eq!(after, [(false, false); 3]);
    }
}
