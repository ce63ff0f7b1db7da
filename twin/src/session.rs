//! Sessions in progress, kept per metro (the unit the engine hands to its worker threads): a slab of sessions,
//! each slot's server account beside it (all a scan for sessions on a busy or failed server reads), the
//! sessions switched below their starting rung, and a calendar ring of minute buckets saying which end when.
//! A bucket lists its sessions' slots and is let go once its minute is done, so the ring holds four bytes a
//! session; a session removed before its bucket comes round keeps its slot, unused, until it does.
//!
//! A session plays whole minutes. While its server has room it costs nothing per minute: its bytes are
//! counted from its bitrate when something about it changes (`settle`). Only sessions on a busy or failed
//! server, or below the rung they started at, are visited minute by minute.

use crate::events::{Event, SessionMeta};

/// Calendar-ring length in minutes. A session ending further ahead is parked in the last bucket it can reach
/// and re-filed when that comes round.
pub const RING: usize = 256;

/// Bytes a stream of 1 kbps moves in a minute.
pub const BYTES_PER_KBPS_MINUTE: u64 = 125 * 60;

/// The account of a free slot.
pub const FREE: u32 = u32::MAX;

const IN_RING: u8 = 1;
const BINGES: u8 = 2;

/// One play in progress (its server account is kept beside it, in `MetroSessions::accounts`). Thirty-two bytes,
/// so a session never straddles two cache lines.
#[derive(Clone, Debug)]
pub struct Session {
    /// Bumped when the slot is freed, so stale degraded entries are recognised (they are looked at every minute,
    /// long before a slot comes round 256 times).
    generation: u8,
    pub device: u8,
    pub rendition: u8,
    /// The rendition it started at (a session switched down climbs back to it).
    pub target: u8,
    /// The candidate (index among its group's) it plays from, and how many entries of its steering list it
    /// has used.
    pub candidate: u8,
    pub entries: u8,
    /// `IN_RING` (a ring bucket lists it) and `BINGES` (its member goes on to the next episode if they play it
    /// to its end): a byte in the session, written with it, so the end of a session reads no other line.
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
            generation: 0,
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

    #[inline]
    fn in_ring(&self) -> bool {
        self.flags & IN_RING != 0
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
fn bucket_of(s: &Session, now: u32) -> u32 {
    s.end_minute().clamp(now + 1, now + RING as u32 - 1) % RING as u32
}

/// A (slot, generation) pair, packed.
#[inline]
fn entry(slot: u32, generation: u8) -> u64 {
    (slot as u64) << 16 | generation as u64
}

#[inline]
fn unpack(e: u64) -> (u32, u8) {
    ((e >> 16) as u32, e as u8)
}

/// One metro's sessions.
#[derive(Clone, Debug)]
pub struct MetroSessions {
    /// Each slot's server account, `FREE` for a free slot.
    pub accounts: Vec<u32>,
    pub slots: Vec<Session>,
    free: Vec<u32>,
    /// Slots of sessions removed early, freed as their bucket comes round (kept between minutes for its room).
    released: Vec<u32>,
    /// `ring[minute % RING]`: the sessions whose last minute is `minute − 1`; and how many the bucket held
    /// when it last came round (a new bucket reserves that much).
    ring: Vec<Vec<u32>>,
    ring_last: Vec<u32>,
    /// (bucket, slot) filed but not yet in their bucket: `flush` pushes them in one tight pass, with each
    /// bucket's tail asked for ahead (a bucket's tail is rarely in cache, and a pass lets the misses overlap).
    pending: Vec<(u32, u32)>,
    /// Sessions below the rendition they started at (entries may be stale).
    degraded: Vec<u64>,
    /// Live sessions.
    pub count: u32,
    /// While events are on: which slots hold a sampled member's session (a bit each, so the question asked of
    /// every session stays in cache), what their events need, and the metro's events of the minute.
    pub sampled_slots: SlotBits,
    /// Which slots' sessions started while events were on (their member is known, sampled or not).
    pub recorded_slots: SlotBits,
    pub meta: Vec<SessionMeta>,
    pub events: Vec<Event>,
    /// Members going on to their next episode: those starting next minute (every post-play countdown), and
    /// those back from a break, in a ring of minute buckets by when they start; and the continuations started
    /// beyond the fresh arrivals they stand in for (taken from the next minutes').
    binge_next: Vec<Continuation>,
    binge: Vec<Vec<Continuation>>,
    pub binge_debt: u32,
}

/// A bit per slot (a bit, so a question asked of every session stays in cache).
#[derive(Clone, Debug, Default)]
pub struct SlotBits(Vec<u64>);

impl SlotBits {
    #[inline]
    pub fn get(&self, slot: u32) -> bool {
        self.0.get(slot as usize / 64).is_some_and(|w| w >> (slot % 64) & 1 == 1)
    }

    #[inline]
    pub fn set(&mut self, slot: u32, on: bool) {
        let (word, bit) = (slot as usize / 64, 1u64 << (slot % 64));
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        if on { self.0[word] |= bit } else { self.0[word] &= !bit }
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
            accounts: Vec::new(),
            slots: Vec::new(),
            free: Vec::new(),
            released: Vec::new(),
            ring: vec![Vec::new(); RING],
            ring_last: vec![0; RING],
            pending: Vec::new(),
            degraded: Vec::new(),
            count: 0,
            sampled_slots: SlotBits::default(),
            recorded_slots: SlotBits::default(),
            meta: Vec::new(),
            events: Vec::new(),
            binge_next: Vec::new(),
            binge: vec![Vec::new(); BINGE_RING],
            binge_debt: 0,
        }
    }
}

impl MetroSessions {
    /// Heap bytes held: slots and their accounts, the ring, and the free and degraded lists.
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Session>()
            + self.accounts.capacity() * 4
            + self.ring.iter().map(|b| b.capacity() * 4).sum::<usize>()
            + (self.free.capacity() + self.released.capacity()) * 4
            + self.pending.capacity() * 8
            + self.degraded.capacity() * 8
            + (self.sampled_slots.0.capacity() + self.recorded_slots.0.capacity()) * 8
            + self.meta.capacity() * std::mem::size_of::<SessionMeta>()
            + self.events.capacity() * std::mem::size_of::<Event>()
            + (self.binge_next.capacity() + self.binge.iter().map(Vec::capacity).sum::<usize>())
                * std::mem::size_of::<Continuation>()
    }

    /// Notes whether a new session's member is sampled, and if so what its events need.
    pub fn set_meta(&mut self, slot: u32, meta: Option<SessionMeta>) {
        self.recorded_slots.set(slot, true);
        self.sampled_slots.set(slot, meta.is_some());
        if let Some(meta) = meta {
            let i = slot as usize;
            if self.meta.len() <= i {
                self.meta.resize(i + 1, SessionMeta::default());
            }
            self.meta[i] = meta;
        }
    }

    /// Files a member going on to their next episode, for its minute (from the next minute on: this minute's
    /// plays have started).
    pub fn push_binge(&mut self, c: Continuation, now: u32) {
        let minute = (c.due_s / 60).max(now + 1);
        if minute == now + 1 {
            self.binge_next.push(c);
        } else {
            self.binge[minute as usize % BINGE_RING].push(c);
        }
    }

    /// The members going on to their next episode in minute `now`, into `out` (emptied first). The next
    /// minute's list keeps its room; a ring bucket lets its room go (a ring of buckets each keeping its busiest
    /// minute's room would hold far more than is ever waiting).
    pub fn take_binge(&mut self, now: u32, out: &mut Vec<Continuation>) {
        out.clear();
        std::mem::swap(&mut self.binge_next, out);
        let bucket = std::mem::take(&mut self.binge[now as usize % BINGE_RING]);
        out.extend_from_slice(&bucket);
    }

    /// Whether a slot's session started while events were on.
    pub fn recorded(&self, slot: u32) -> bool {
        self.recorded_slots.get(slot)
    }

    /// A slot's events metadata, if its member is sampled.
    #[inline]
    pub fn sampled(&self, slot: u32) -> Option<SessionMeta> {
        self.sampled_slots.get(slot).then(|| self.meta[slot as usize])
    }

    /// The slot the `n`-th next `insert` fills, if that many are free (to prefetch it).
    pub fn free_slot(&self, n: usize) -> Option<&Session> {
        let i = self.free.len().checked_sub(n + 1)?;
        Some(&self.slots[self.free[i] as usize])
    }

    /// Files a new session on `account`, due to end at `session.end_minute()`; `now` is the current minute.
    pub fn insert(&mut self, mut session: Session, account: u32, now: u32) -> u32 {
        // Filed before it is stored, so its flag is written with it.
        let bucket = bucket_of(&session, now);
        session.flags |= IN_RING;
        let slot = match self.free.pop() {
            Some(s) => {
                session.generation = self.slots[s as usize].generation;
                self.slots[s as usize] = session;
                self.accounts[s as usize] = account;
                s
            }
            None => {
                self.slots.push(session);
                self.accounts.push(account);
                self.slots.len() as u32 - 1
            }
        };
        self.count += 1;
        self.pending.push((bucket, slot));
        slot
    }

    /// Files a session in no bucket into the bucket of its end, once `flush` runs.
    fn file(&mut self, slot: u32, now: u32) {
        let s = &mut self.slots[slot as usize];
        s.flags |= IN_RING;
        self.pending.push((bucket_of(s, now), slot));
    }

    /// Puts the filed sessions into their buckets. Runs before a bucket is taken; the play path calls it after
    /// a minute's plays.
    pub fn flush(&mut self) {
        const AHEAD: usize = 8;
        let pending = std::mem::take(&mut self.pending);
        for (i, &(bucket, slot)) in pending.iter().enumerate() {
            if let Some(&(ahead, _)) = pending.get(i + AHEAD)
                && let Some(tail) = self.ring[ahead as usize].last()
            {
                crate::prefetch::prefetch(tail);
            }
            let list = &mut self.ring[bucket as usize];
            if list.capacity() == 0 {
                list.reserve(self.ring_last[bucket as usize] as usize);
            }
            list.push(slot);
        }
        self.pending = pending;
        self.pending.clear();
    }

    /// Ends a session: its slot is free at once if it is in no bucket (it came from `take_ended`), else when
    /// its bucket comes round.
    pub fn remove(&mut self, slot: u32) {
        let s = &mut self.slots[slot as usize];
        s.generation = s.generation.wrapping_add(1);
        self.accounts[slot as usize] = FREE;
        self.count -= 1;
        if !s.in_ring() {
            self.free.push(slot);
        }
    }

    fn is_current(&self, slot: u32, generation: u8) -> bool {
        self.accounts[slot as usize] != FREE && self.slots[slot as usize].generation == generation
    }

    /// Notes that a session went below the rendition it started at.
    pub fn mark_degraded(&mut self, slot: u32) {
        self.degraded.push(entry(slot, self.slots[slot as usize].generation));
    }

    /// The live sessions below the rendition they started at, once each; drops entries that went stale or
    /// climbed back.
    pub fn take_degraded(&mut self, out: &mut Vec<u32>) {
        out.clear();
        let mut list = std::mem::take(&mut self.degraded);
        list.sort_unstable();
        list.dedup();
        list.retain(|&e| {
            let (slot, generation) = unpack(e);
            let s = &self.slots[slot as usize];
            let keep = self.is_current(slot, generation) && s.rendition < s.target;
            if keep {
                out.push(slot);
            }
            keep
        });
        self.degraded = list;
    }

    /// Hands `end` each session whose playback ended with minute `now` (its last minute), taken from the ring
    /// and in no bucket now, while its line is in cache; sessions pushed later by stalls are re-filed, and slots
    /// of sessions removed early are freed. The free list comes out as if those slots were freed before `end`
    /// removed any session (the order slots have always been reused in, so results do not change).
    pub fn take_ended(&mut self, now: u32, mut end: impl FnMut(&mut MetroSessions, u32)) {
        self.flush();
        let next = now + 1;
        let bucket = std::mem::take(&mut self.ring[next as usize % RING]);
        self.ring_last[next as usize % RING] = bucket.len() as u32;
        let first_freed = self.free.len();
        let mut released = std::mem::take(&mut self.released);
        for (i, &slot) in bucket.iter().enumerate() {
            if let Some(&ahead) = bucket.get(i + 8) {
                crate::prefetch::prefetch(&self.slots[ahead as usize]);
                crate::prefetch::prefetch(&self.accounts[ahead as usize]);
            }
            let s = &mut self.slots[slot as usize];
            s.flags &= !IN_RING;
            if self.accounts[slot as usize] == FREE {
                released.push(slot);
            } else if s.end_minute() <= next {
                end(self, slot);
            } else {
                self.file(slot, now);
            }
        }
        self.free.splice(first_freed..first_freed, released.drain(..));
        self.released = released;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(end_s: u32) -> Session {
        Session::new(0, 0, 0, 1, 0, end_s, 0, 0, 60, 100, false)
    }

    /// The sessions that ended with minute `now`, left in place.
    fn ended(m: &mut MetroSessions, now: u32) -> Vec<u32> {
        let mut out = Vec::new();
        m.take_ended(now, |_, slot| out.push(slot));
        out
    }

    #[test]
    fn sessions_end_in_their_minute_and_stale_entries_are_skipped() {
        let mut m = MetroSessions::default();
        let a = m.insert(session(3 * 60), 7, 0); // plays minutes 0, 1, 2
        let b = m.insert(session(60), 7, 0);
        let far = m.insert(session(10 * RING as u32 * 60), 7, 0);
        assert_eq!(ended(&mut m, 0), [b]);
        m.remove(b);
        // A stall pushes `a` a minute later: its old entry is re-filed.
        m.slots[a as usize].end_s += 60;
        for now in 1..4 {
            assert_eq!(ended(&mut m, now), if now == 3 { vec![a] } else { vec![] }, "minute {now}");
        }
        // A slot ended from the ring is free at once; one removed early waits for its bucket.
        m.remove(a);
        assert_eq!(m.accounts[a as usize], FREE);
        let c = m.insert(session(100 * 60), 7, 4);
        assert_eq!(c, a);
        let early = m.insert(session(50 * 60), 7, 4);
        m.remove(early);
        let after = m.insert(session(100 * 60), 7, 4);
        assert_ne!(after, early, "not reused before its bucket");
        let mut all = Vec::new();
        for now in 4..10 * RING as u32 + 1 {
            m.take_ended(now, |m, s| {
                all.push((now, s));
                m.remove(s);
            });
        }
        all.sort_unstable();
        let mut expected = vec![(99, c), (99, after), (10 * RING as u32 - 1, far)];
        expected.sort_unstable();
        assert_eq!(all, expected);
        assert_eq!(m.count, 0);
        assert!(m.free_slot(0).is_some(), "the early slot was freed when its bucket came round");
    }

    #[test]
    fn slots_freed_by_a_bucket_come_before_those_of_the_sessions_it_ends() {
        let mut m = MetroSessions::default();
        let ends = m.insert(session(60), 7, 0);
        let early = m.insert(session(60), 7, 0);
        m.remove(early);
        m.take_ended(0, |m, s| m.remove(s));
        // A stack: the last freed is the first taken.
        assert_eq!(m.insert(session(600), 7, 1), ends);
        assert_eq!(m.insert(session(600), 7, 1), early);
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

    #[test]
    fn degraded_sessions_are_listed_until_they_climb_back_or_end() {
        let mut m = MetroSessions::default();
        let a = m.insert(session(600), 1, 0);
        let b = m.insert(session(600), 1, 0);
        m.slots[a as usize].rendition = 0;
        m.mark_degraded(a);
        m.mark_degraded(a);
        m.slots[b as usize].rendition = 0;
        m.mark_degraded(b);
        let mut out = Vec::new();
        m.take_degraded(&mut out);
        assert_eq!(out, [a, b]);
        m.slots[a as usize].rendition = 1; // climbed back
        m.remove(b); // ended; its slot reused by a session at its target
        m.insert(session(600), 1, 0);
        m.take_degraded(&mut out);
        assert!(out.is_empty());
    }
}
