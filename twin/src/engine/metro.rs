//! One metro's minute: its sessions that need playing minute by minute (on a busy or failed server, or
//! switched down), its new plays, and the sessions whose last minute it was.

use crate::capacity::Capacity;
use crate::catalog::VideoId;
use crate::demand::{self, HourPopularity};
use crate::events::{self, Event, EventKind, Members, NO_FILE, NO_SITE, SessionMeta};
use crate::fleet::Fleet;
use crate::kpi::{self, COARSE_BINS, COARSE_FACTOR, HIST_BINS};
use crate::model::Model;
use crate::placement::{Placement, SiteSets};
use crate::prefetch::prefetch;
use crate::rng::{Rng, Stream, mix64, unit_pair};
use crate::session::{Continuation, MetroSessions, Session, Slot, kbps_minute_bytes};
use crate::steering::{Admission, Candidate, LIST_LEN, Target};
use crate::time::LocalClock;
use crate::world::{MetroId, SiteId};

use super::{Accounts, ApplianceHome, Book, Delta, OneIn, Worker};

/// Per-minute inputs shared read-only by the workers.
pub(crate) struct MinuteCtx<'a> {
    pub model: &'a Model,
    pub placement: &'a Placement,
    pub hour: &'a HourPopularity,
    pub minute: u64,
    pub local: &'a [LocalClock],
    pub capacity: &'a Capacity,
    pub accounts: Accounts,
    /// Per appliance, its site, its region and whether it is embedded in an ISP.
    pub homes: &'a [ApplianceHome],
    /// Metros with sessions that may be on a failed server (the minute's first half) or on a server where
    /// some stream gets less than it asks (its second half).
    pub scan: &'a [bool],
    /// Play arrivals are multiplied by this, per region (the world's scale times the region's).
    pub demand_scale: &'a [f64],
    /// The site whose offered requests are being recorded, if any.
    pub record: Option<SiteId>,
    /// Sites run as reactive caches: the requests offered to them are logged for their caches.
    pub reactive: &'a [bool],
    pub site_up: &'a [bool],
    /// One play in this many counts towards popularity (with this weight).
    pub popularity_sample: OneIn,
    /// The control plane as this minute's plays meet it.
    pub fleet: &'a Fleet,
    /// Members, and which are sampled, while events are on.
    pub members: Option<&'a Members>,
}

/// A play drawn, before it is steered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Draw {
    play: u64,
    /// Its client group, as an index among its metro's.
    metro_group: u8,
    device: u8,
    movie: bool,
    access_kbps: f32,
    /// The bits that draw its video, then the video and its duration.
    video_bits: u64,
    video: u32,
    duration_s: u32,
    /// A member going on to the next episode (its index among the minute's; its video is set), or `FRESH`.
    binge: u32,
}

/// Salts a play's hash for the member's own draws.
const INTENT_SALT: u64 = 0x6A09_E667_F3BC_C908;

/// The `Draw::binge` of a fresh arrival.
const FRESH: u32 = u32::MAX;

/// How many plays ahead the play path asks for the cache lines a play will read.
const PREFETCH_AHEAD: usize = 16;

/// How many distinct sets of its group's sites a play asks for ahead (a group reaches up to 4 in-ISP and 4 IXP
/// sites; those of one cluster mostly share their plan's sets).
const PROBED_SETS: usize = 4;

/// The books a stream is kept in: its server account and up to three of its member region's books.
#[derive(Clone, Copy)]
struct Books {
    server: usize,
    region: [usize; 3],
    n: usize,
}

impl Books {
    fn of(ctx: &MinuteCtx, region: usize, server: usize) -> Books {
        let acc = ctx.accounts;
        if server >= acc.appliances {
            return Books { server, region: [acc.book(Book::Origin, region), 0, 0], n: 1 };
        }
        let appliance = ctx.homes[server];
        let mut b = Books { server, region: [acc.book(Book::Edge, region), 0, 0], n: 1 };
        if appliance.embedded {
            b.region[b.n] = acc.book(Book::InIsp, region);
            b.n += 1;
        }
        if appliance.region as usize != region {
            b.region[b.n] = acc.book(Book::Transit, region);
            b.n += 1;
        }
        b
    }

    /// Adds (`sign` 1) or removes (−1) a stream at `rendition`, now (counting for this minute's bytes) or after
    /// the minute.
    fn change(&self, w: &mut Worker, ctx: &MinuteCtx, rendition: usize, sign: i64, now: bool) {
        let kbps = ctx.model.stream_kbps[rendition] as i64;
        let deltas = if now { &mut w.now } else { &mut w.after };
        let d = Delta { rate_kbps: (sign * kbps) as i32, sessions: sign as i32 };
        for &a in std::iter::once(&self.server).chain(&self.region[..self.n]) {
            deltas[a].rate_kbps += d.rate_kbps;
            deltas[a].sessions += d.sessions;
        }
        let index = (self.server * ctx.model.stream_kbps.len() + rendition) as u32;
        w.hist_changes.push(index << 1 | (sign < 0) as u32);
    }

    /// A rendition switch: the stream's bitrate changes, now or after the minute.
    fn switch(&self, w: &mut Worker, ctx: &MinuteCtx, from: usize, to: usize, now: bool) {
        self.change(w, ctx, from, -1, now);
        self.change(w, ctx, to, 1, now);
    }

    /// Books what a stream on a throttled server got this minute, and the shortfall against its bitrate.
    fn deliver(&self, w: &mut Worker, ctx: &MinuteCtx, delivered_bytes: u64, nominal_bytes: u64) {
        w.throttled_bytes[self.server] += delivered_bytes;
        for &a in &self.region[..self.n] {
            w.shortfall_bytes[a - ctx.accounts.servers()] += nominal_bytes - delivered_bytes;
        }
    }
}

/// What every event of a sampled play carries.
#[derive(Clone, Copy)]
struct Tag {
    member: u32,
    device: u8,
    region: u8,
    title: u32,
    video: u32,
    metro: u32,
}

impl Tag {
    fn event(&self, t_s: u32, kind: EventKind, file: u32, site: u32, value: f32) -> Event {
        let Tag { member, device, region, title, video, metro } = *self;
        Event { t_s, kind, member, device, region, title, video, file, site, metro, value, stall_s: 0.0 }
    }
}

/// The site behind a server account (None for the origin).
#[inline]
fn site_of(ctx: &MinuteCtx, account: usize) -> Option<SiteId> {
    (account < ctx.accounts.appliances).then(|| ctx.homes[account].site)
}

/// What the events of the session in `slot` carry (its member's tag, the file it plays and the site serving it),
/// if its member is sampled.
fn session_tag(
    ctx: &MinuteCtx,
    metro: usize,
    store: &MetroSessions,
    slot: Slot,
) -> Option<(SessionMeta, Tag, u32, u32)> {
    let meta = store.sampled(slot)?;
    let s = store.session(slot);
    let world = &ctx.model.world;
    let catalog = &ctx.model.catalog;
    let tag = Tag {
        member: meta.member,
        device: s.device,
        region: world.metros[metro].region.0,
        title: catalog.videos[s.video as usize].title.0,
        video: s.video,
        metro: metro as u32,
    };
    let file = catalog.file(VideoId(s.video), s.rendition as usize).0;
    Some((meta, tag, file, site_of(ctx, store.account(slot) as usize).map_or(NO_SITE, |s| s.0)))
}

/// An event of the session in `slot` now, if its member is sampled.
fn session_event(ctx: &MinuteCtx, metro: usize, store: &mut MetroSessions, slot: Slot, kind: EventKind, value: f32) {
    if let Some((_, tag, file, site)) = session_tag(ctx, metro, store, slot) {
        store.events.push(tag.event(ctx.minute as u32 * 60, kind, file, site, value));
    }
}

/// The first half of the metro's minute: sessions on failed servers move, switched-down ones climb back where
/// there is room, and new plays start. What every server's streams then get is worked out from who plays.
pub(crate) fn start_minute(ctx: &MinuteCtx, metro: usize, store: &mut MetroSessions, w: &mut Worker) {
    if ctx.scan[metro] {
        move_off_failed(ctx, metro, store, w);
    }
    climb_back(ctx, metro, store, w);
    start_plays(ctx, metro, store, w);
    apply_hist_changes(w);
}

/// The second half: sessions on servers where some stream gets less than it asks play their minute at their
/// share, and the sessions whose last minute this was end.
pub(crate) fn finish_minute(ctx: &MinuteCtx, metro: usize, store: &mut MetroSessions, w: &mut Worker) {
    if ctx.scan[metro] {
        play_busy(ctx, metro, store, w);
    }
    end_sessions(ctx, metro, store, w);
    apply_hist_changes(w);
}

/// Makes the half-minute's changes to the streams per server and rendition.
fn apply_hist_changes(w: &mut Worker) {
    for &c in &w.hist_changes {
        w.hist[(c >> 1) as usize] += 1 - 2 * (c & 1) as i32;
    }
    w.hist_changes.clear();
}

/// Whether the server account holds the video's file at `rendition` (the origin holds everything).
fn holds(ctx: &MinuteCtx, account: usize, video: u32, rendition: usize) -> bool {
    let Some(site) = site_of(ctx, account) else { return true };
    ctx.placement.holds(site, ctx.model.catalog.file(VideoId(video), rendition))
}

/// Every session on a failed server moves to the next entry of its list.
fn move_off_failed(ctx: &MinuteCtx, metro: usize, store: &mut MetroSessions, w: &mut Worker) {
    store.visit_on(|account| ctx.capacity.down[account], |store, slot, _| failover(ctx, metro, slot, store, w));
}

/// Every session on a server where some stream gets less than it asks plays its minute at its share.
fn play_busy(ctx: &MinuteCtx, metro: usize, store: &mut MetroSessions, w: &mut Worker) {
    store.visit_on(
        |account| ctx.capacity.throttled[account],
        |store, slot, account| throttled_minute(ctx, metro, slot, account, store, w),
    );
}

/// A minute of a session on a server where it may get less than it asks: it gets its share; a shortfall drains
/// its buffer, then stalls it (and it gives up past its patience); it switches down to what it got.
fn throttled_minute(
    ctx: &MinuteCtx,
    metro: usize,
    slot: Slot,
    account: usize,
    store: &mut MetroSessions,
    w: &mut Worker,
) {
    let model = ctx.model;
    let minute = ctx.minute as u32;
    let region = model.world.metros[metro].region.0 as usize;
    let s = store.session_mut(slot);
    let rendition = s.rendition as usize;
    let kbps = model.stream_kbps[rendition];
    let books = Books::of(ctx, region, account);
    let delivered = ctx.capacity.delivered_kbps(account, kbps);
    // Minutes since it was last visited were full ones: its buffer refilled through them.
    let full_minutes = minute.saturating_sub(s.settled_minute(minute));
    let buffer_s = model.playback.refilled_buffer_s(s.buffer_s as f64, full_minutes);
    s.settle(minute, kbps);
    let (got, nominal) = (kbps_minute_bytes(delivered), kbps_minute_bytes(kbps));
    s.add_bytes(got);
    s.set_settled_minute(minute + 1);
    books.deliver(w, ctx, got, nominal);
    if delivered >= kbps {
        s.buffer_s = model.playback.refilled_buffer_s(buffer_s, 1) as u16;
        return;
    }
    let short = model.playback.short_minute(buffer_s, kbps, delivered);
    s.buffer_s = short.buffer_s as u16;
    let stall = short.stall_s.ceil() as u32;
    s.stalled_s = s.stalled_s.saturating_add(stall as u16);
    s.end_s += stall;
    w.regions[region].rebuffer_ms += stall as u64 * 1000;
    if stall > 0 {
        session_event(ctx, metro, store, slot, EventKind::Rebuffer, stall as f32 * 1000.0);
    }
    let s = store.session_mut(slot);
    if s.stalled_s > s.patience_s {
        // The member gives up: the stream ends after this minute.
        w.regions[region].stall_exits += 1;
        finish(ctx, metro, slot, store, w, minute + 1);
        return;
    }
    // Switch down to what the stream got, to a rendition the server holds.
    let device = &model.demand.devices[s.device as usize];
    let budget = model.playback.budget_kbps(delivered, device.max_kbps);
    let lowest = model.catalog.codec_renditions[device.codec].start as usize;
    let video = s.video;
    let mut to = model.catalog.rendition_at_most(device.codec, budget).min(rendition);
    while to > lowest && to < rendition && !holds(ctx, account, video, to) {
        to -= 1;
    }
    if to < rendition && holds(ctx, account, video, to) {
        books.switch(w, ctx, rendition, to, false);
        let was_at_target = s.rendition == s.target;
        s.rendition = to as u8;
        w.regions[region].switches_down += 1;
        session_event(ctx, metro, store, slot, EventKind::SwitchDown, model.stream_kbps[to] as f32);
        if was_at_target {
            store.mark_degraded(slot);
        }
    }
}

/// Sessions switched down refill their buffer, and climb back a rung at a time towards the rendition they
/// started at once it is full, where their server has room again (under nine tenths of the threshold) and holds
/// the rung.
fn climb_back(ctx: &MinuteCtx, metro: usize, store: &mut MetroSessions, w: &mut Worker) {
    let model = ctx.model;
    let cap = ctx.capacity;
    let minute = ctx.minute as u32;
    let region = model.world.metros[metro].region.0 as usize;
    let overload = model.scenario.policy.overload_utilization;
    let mut degraded = std::mem::take(&mut w.scratch);
    store.take_degraded(&mut degraded, |account| cap.throttled[account] || cap.down[account]);
    for &slot in &degraded {
        let account = store.account(slot) as usize;
        let s = store.session_mut(slot);
        let full = model.playback.full_buffer_s();
        if (s.buffer_s as f64) < full {
            // Refilled through the minutes since it was last visited (its bytes are settled to then).
            let minutes = minute.saturating_sub(s.settled_minute(minute)).max(1);
            s.buffer_s = model.playback.refilled_buffer_s(s.buffer_s as f64, minutes) as u16;
            s.settle(minute, model.stream_kbps[s.rendition as usize]);
            continue;
        }
        let rendition = s.rendition as usize;
        let up = rendition + 1;
        if s.rendition < s.target && cap.utilization[account] < 0.9 * overload && holds(ctx, account, s.video, up) {
            s.settle(minute, model.stream_kbps[rendition]);
            Books::of(ctx, region, account).switch(w, ctx, rendition, up, true);
            s.rendition = up as u8;
            w.regions[region].switches_up += 1;
            session_event(ctx, metro, store, slot, EventKind::SwitchUp, model.stream_kbps[up] as f32);
        }
    }
    w.scratch = degraded;
}

/// Moves a session off a failed server to the next entry of its steering list (a site up and holding its
/// files, or the origin), counting the restart as a stall; ends it as a playback failure when its list has no
/// entry left.
fn failover(ctx: &MinuteCtx, metro: usize, slot: Slot, store: &mut MetroSessions, w: &mut Worker) {
    let model = ctx.model;
    let minute = ctx.minute as u32;
    let region = model.world.metros[metro].region.0 as usize;
    let old = store.account(slot) as usize;
    let s = store.session(slot);
    let rendition = s.rendition as usize;
    // No entry left on its list: the playback fails.
    let fail = |store: &mut MetroSessions, w: &mut Worker| {
        w.regions[region].playback_failures += 1;
        session_event(ctx, metro, store, slot, EventKind::PlaybackFailure, 0.0);
        Books::of(ctx, region, old).deliver(w, ctx, 0, kbps_minute_bytes(model.stream_kbps[rendition]));
        finish(ctx, metro, slot, store, w, minute);
    };
    if s.entries as usize >= LIST_LEN {
        fail(store, w);
        return;
    }
    let video = VideoId(s.video);
    let file = model.catalog.file(video, rendition);
    let audio = model.catalog.audio_file(video);
    let key = mix64((metro as u64) << 40 ^ (slot as u64) << 8 ^ minute as u64);
    let entry = model.steering.next(
        model.world.metro_group(metro, s.metro_group) as usize,
        s.candidate,
        file,
        audio,
        key,
        ctx.site_up,
        ctx.placement,
        &model.world.shapes,
    );
    let account = entry.appliance.map_or(ctx.accounts.metro_origin(metro), |a| a as usize);
    // The next entry is the origin, and it is down too.
    if ctx.capacity.down[account] {
        fail(store, w);
        return;
    }
    Books::of(ctx, region, old).change(w, ctx, rendition, -1, true);
    Books::of(ctx, region, account).change(w, ctx, rendition, 1, true);
    store.set_account(slot, account as u32);
    let s = store.session_mut(slot);
    s.settle(minute, model.stream_kbps[rendition]);
    s.candidate = entry.index;
    s.entries += 1;
    let device = &model.demand.devices[s.device as usize];
    let rtt = entry.candidate.rtt_ms as f64 + device.access_rtt_ms;
    let throughput = model.playback.path_kbps(s.access_100kbps as f64 * 100.0, rtt);
    let restart = model.playback.restart_s(rtt, model.stream_kbps[rendition], throughput).ceil() as u32;
    s.stalled_s = s.stalled_s.saturating_add(restart as u16);
    s.end_s += restart;
    w.regions[region].rebuffer_ms += restart as u64 * 1000;
    w.regions[region].failovers += 1;
    session_event(ctx, metro, store, slot, EventKind::Failover, restart as f32 * 1000.0);
}

/// Ends a session with minute `end_minute` as its first minute not played: its bytes are settled and its
/// stream leaves the books after this minute.
fn finish(ctx: &MinuteCtx, metro: usize, slot: Slot, store: &mut MetroSessions, w: &mut Worker, end_minute: u32) {
    end_events(ctx, metro, slot, store, end_minute);
    let region = ctx.model.world.metros[metro].region.0 as usize;
    let account = store.account(slot) as usize;
    let s = store.session_mut(slot);
    let rendition = s.rendition as usize;
    s.settle(end_minute, ctx.model.stream_kbps[rendition]);
    w.ended_bytes += s.bytes() as u128;
    Books::of(ctx, region, account).change(w, ctx, rendition, -1, false);
    store.remove(slot);
}

/// A sampled session's last events: its pauses and seeks, its stop with the seconds watched, and its completion
/// if it watched enough of the video.
fn end_events(ctx: &MinuteCtx, metro: usize, slot: Slot, store: &mut MetroSessions, end_minute: u32) {
    let Some((meta, tag, file, site)) = session_tag(ctx, metro, store, slot) else { return };
    let s = store.session(slot);
    let end_s = (end_minute * 60).min(s.end_s);
    let watched_s = end_s.saturating_sub(meta.start_s).saturating_sub(s.stalled_s as u32);
    let stall_s = s.stalled_s as f32 + meta.start_rebuffer_ms as f32 / 1000.0;
    let events = &mut store.events;
    events::interactions(&meta, watched_s, |t_s, kind, value| events.push(tag.event(t_s, kind, file, site, value)));
    events.push(Event { stall_s, ..tag.event(end_s, EventKind::Stop, file, site, watched_s as f32) });
    if watched_s as f64 >= events::COMPLETION_SHARE * meta.duration_s as f64 {
        events.push(tag.event(end_s, EventKind::Completion, file, site, watched_s as f32));
    }
}

/// Sessions whose last minute this was.
fn end_sessions(ctx: &MinuteCtx, metro: usize, store: &mut MetroSessions, w: &mut Worker) {
    let minute = ctx.minute as u32;
    store.take_ended(minute, |store, slot| {
        if store.session(slot).binges() {
            go_on(ctx, metro, slot, store);
        }
        finish(ctx, metro, slot, store, w, minute + 1);
    });
}

/// The member of a session that played its episode through goes on to the next: after the post-play
/// countdown, or after a break (`demand::AUTOPLAY_SHARE`, `AUTOPLAY_GAP_S`, `BREAK_GAP_S`).
fn go_on(ctx: &MinuteCtx, metro: usize, slot: Slot, store: &mut MetroSessions) {
    let s = store.session(slot);
    // Two draws from a hash of the session (a generator per continuation costs more than the rest of this).
    let key = (s.video as u64) << 32 ^ ctx.model.world.metro_group(metro, s.metro_group) as u64;
    let (u, v) = unit_pair(mix64(ctx.model.scenario.seed ^ mix64((metro as u64) << 32 ^ s.end_s as u64) ^ key));
    let autoplay = u < demand::AUTOPLAY_SHARE;
    let [lo, hi] = if autoplay { demand::AUTOPLAY_GAP_S } else { demand::BREAK_GAP_S };
    let gap_s = if autoplay { lo + (hi - lo) * v } else { lo * ((hi / lo).ln() * v).exp() };
    let next = Continuation {
        due_s: s.end_s + gap_s as u32,
        video: s.video + 1,
        metro_group: s.metro_group,
        device: s.device,
        access_100kbps: s.access_100kbps,
        autoplay,
        recorded: store.recorded(slot),
        member: store.sampled(slot).map(|m| m.member),
    };
    store.push_binge(next, ctx.minute as u32);
}

/// All plays the metro starts in the minute. They are drawn first, so the tables they land on (their video's
/// column, their first site's file set) can be asked for ahead of the steering that reads them.
fn start_plays(ctx: &MinuteCtx, metro: usize, store: &mut MetroSessions, w: &mut Worker) {
    let model = ctx.model;
    let world = &model.world;
    let catalog = &model.catalog;
    let m = &world.metros[metro];
    let seed = model.scenario.seed;
    let mut rng = Rng::new(seed, Stream::Sessions, &[metro as u64, ctx.minute]);
    let local = ctx.local[metro];
    let region = m.region.0 as usize;
    let arrivals = rng.poisson(model.demand.plays_per_minute(m.members, local) * ctx.demand_scale[region]);
    let now = ctx.minute as u32;
    let mut binging = std::mem::take(&mut w.binging);
    store.take_binge(now, &mut binging);
    let (groups, group_table) = &world.metro_groups[metro];
    if (arrivals == 0 && binging.is_empty()) || group_table.is_empty() {
        w.binging = binging;
        return;
    }
    let (movies, episodes) = (&ctx.hour.regions[region].movies, &ctx.hour.regions[region].episodes);
    let kinds = (movies.is_empty(), episodes.is_empty());

    let mut draws = std::mem::take(&mut w.draws);
    draws.clear();
    // Members going on to their next episode first; they stand in for as many fresh arrivals (now or, if
    // more than arrived, in the next minutes), so demand stays as calibrated.
    for c in &binging {
        prefetch(&catalog.videos[c.video as usize]);
    }
    for (seq, c) in (0u64..).zip(&binging) {
        draws.push(Draw {
            play: mix64(seed ^ mix64((metro as u64) << 32 ^ ctx.minute) ^ (seq << 1 | 1)),
            metro_group: c.metro_group,
            device: c.device,
            movie: false,
            access_kbps: c.access_100kbps as f32 * 100.0,
            video_bits: 0,
            video: c.video,
            duration_s: catalog.videos[c.video as usize].duration_s,
            binge: seq as u32,
        });
    }
    let binges = binging.len() as u64;
    let owed = store.binge_debt as u64 + binges;
    let fresh = if kinds == (true, true) { 0 } else { arrivals.saturating_sub(owed) };
    store.binge_debt = owed.saturating_sub(arrivals).min(u32::MAX as u64) as u32;
    // Continuations are all episodes: fresh plays are movies as often as makes the minute's plays movies at the
    // calibrated share.
    let movie_share = match kinds {
        (true, _) => 0.0,
        (false, true) => 1.0,
        (false, false) => {
            let share = model.demand.movie_play_share(local.weekend);
            (share * (fresh + binges) as f64 / fresh.max(1) as f64).min(1.0)
        }
    };
    for seq in 0..fresh {
        let metro_group = group_table.sample(&mut rng) as u8;
        let device = model.demand.device_table.sample(&mut rng) as usize;
        let d = &model.demand.devices[device];
        let access_kbps = d.access_kbps.sample(&mut rng).min(u16::MAX as f64 * 100.0) as f32;
        let movie = rng.f64() < movie_share;
        let video_bits = rng.next_u64();
        if movie {
            movies.prefetch(video_bits)
        } else {
            episodes.prefetch(video_bits)
        }
        let play = mix64(seed ^ mix64((metro as u64) << 32 ^ ctx.minute) ^ seq << 1);
        draws.push(Draw {
            play,
            metro_group,
            device: device as u8,
            movie,
            access_kbps,
            video_bits,
            video: 0,
            duration_s: 0,
            binge: FRESH,
        });
    }
    for d in draws.iter_mut().filter(|d| d.binge == FRESH) {
        (d.video, d.duration_s) =
            if d.movie { movies.sample_bits(d.video_bits) } else { episodes.sample_bits(d.video_bits) };
    }
    // Each play asks ahead, for the play `PREFETCH_AHEAD` after it, for its file's words in every distinct set
    // that its group's sites may test: a play not admitted at its first site, or whose file is not there, goes
    // on to the next, and a site with another plan (or another flash layout) reads other words. On the
    // Netflix-scale world a third of the steering calls go past their first site, and they read a set other than
    // the first site's about once per two calls: asked for the first site's alone, those reads missed.
    let sets: Vec<[Option<SiteSets>; PROBED_SETS]> =
        groups.iter().map(|&g| probed_sets(model.steering.candidates(g as usize), ctx.placement)).collect();
    let ask = |i: usize| {
        let Some(d) = draws.get(i) else { return };
        let audio = catalog.audio_file(VideoId(d.video));
        for probe in sets[d.metro_group as usize].iter().flatten() {
            probe.prefetch(audio);
        }
    };
    (0..PREFETCH_AHEAD).for_each(ask);
    let videos = catalog.videos.len();
    for (seq, d) in draws.iter().enumerate() {
        ask(seq + PREFETCH_AHEAD);
        // And for the popularity count of a play the sample takes.
        let sampled = draws.get(seq + PREFETCH_AHEAD).filter(|a| counts_popularity(ctx, a.play));
        if let Some(bytes) = sampled.and_then(|a| w.video_bytes.get(region * videos + a.video as usize)) {
            prefetch(bytes);
        }
        let binge = binging.get(d.binge as usize);
        start_play(ctx, metro, store, w, &mut rng, seq as u32, d, binge);
    }
    (w.draws, w.binging) = (draws, binging);
}

/// The distinct sets (up to `PROBED_SETS`, in their order) that steering may read at the sites among
/// `candidates`.
fn probed_sets<'a>(candidates: &[Candidate], placement: &'a Placement) -> [Option<SiteSets<'a>>; PROBED_SETS] {
    let mut probes = [None; PROBED_SETS];
    let mut n = 0;
    for c in candidates {
        let Target::Site(s) = c.target else { continue };
        let sets = placement.sets(s);
        if !probes[..n].iter().flatten().any(|seen: &SiteSets| seen.same(&sets)) {
            probes[n] = Some(sets);
            n += 1;
            if n == PROBED_SETS {
                break;
            }
        }
    }
    probes
}

/// Whether a play is one of the sample that popularity is counted from (`MinuteCtx::popularity_sample`).
#[inline]
fn counts_popularity(ctx: &MinuteCtx, play: u64) -> bool {
    ctx.popularity_sample.takes(play >> 17)
}

/// One play: steered to the highest rung its path carries, started (or abandoned), and filed as a session.
#[allow(clippy::too_many_arguments)]
fn start_play(
    ctx: &MinuteCtx,
    metro: usize,
    store: &mut MetroSessions,
    w: &mut Worker,
    rng: &mut Rng,
    seq: u32,
    d: &Draw,
    binge: Option<&Continuation>,
) {
    let model = ctx.model;
    let world = &model.world;
    let catalog = &model.catalog;
    let cap = ctx.capacity;
    let admission = Admission { site: &cap.admit_site, appliance: &cap.admit_appliance };
    let region = world.metros[metro].region.0 as usize;
    let (video, duration_s) = (d.video, d.duration_s);
    let (group, play) = (world.metro_group(metro, d.metro_group) as usize, d.play);
    let device = &model.demand.devices[d.device as usize];
    let access_kbps = d.access_kbps as f64;
    let audio = catalog.audio_file(VideoId(video));
    let candidates = model.steering.candidates(group);
    let minute = ctx.minute as u32;

    // A sampled member's play is tagged for its events (a continuation's member is the one who went on).
    // (A binge begun before events were on is taken up as a fresh play's member would be.)
    let member = match binge {
        Some(c) if c.recorded => ctx.members.and(c.member),
        _ => ctx.members.and_then(|m| m.sampled(metro, play)),
    };
    let tag = member.map(|member| Tag {
        member,
        device: d.device,
        region: region as u8,
        title: catalog.videos[video as usize].title.0,
        video,
        metro: metro as u32,
    });
    // A continuation is attempted when its countdown or break ends, which may be late in the minute before
    // (the twin starts it with this minute's plays, as it does every play of a minute).
    let t_s = match binge {
        Some(c) => c.due_s,
        None => minute * 60 + (play % 60) as u32,
    };
    if let Some(tag) = tag {
        // The post-play countdown starts the next episode with no browsing; after a break the member comes back
        // through the home page.
        if !binge.is_some_and(|c| c.autoplay) {
            crate::events::before_play(tag.member, t_s, |t, kind, value| {
                store.events.push(tag.event(t, kind, NO_FILE, NO_SITE, value))
            });
        }
        store.events.push(tag.event(t_s, EventKind::PlayAttempt, NO_FILE, NO_SITE, 0.0));
    }

    // The play calls to the control plane come first: one that times out fails the play.
    let (cp_region, cp_round_trips_ms) = ctx.fleet.route(metro);
    w.cp_plays[cp_region] += 1;
    let Some(api_ms) = ctx.fleet.play_calls_ms(cp_region, play) else {
        w.regions[region].plays += 1;
        w.regions[region].start_failures += 1;
        if let Some(tag) = tag {
            store.events.push(tag.event(t_s, EventKind::StartFailure, NO_FILE, NO_SITE, 0.0));
        }
        return;
    };

    // The rung the access link could carry from the nearest place, as a cache there would be asked for.
    let best_rtt = candidates[0].rtt_ms as f64 + device.access_rtt_ms;
    let ideal = catalog.rendition_at_most(
        device.codec,
        model.playback.budget_kbps(model.playback.path_kbps(access_kbps, best_rtt), device.max_kbps),
    );
    // The highest rung the path to where it is held can carry: steer for the ideal rung, and step down to what
    // the path allows until a place holding it can carry it.
    let lowest = catalog.codec_renditions[device.codec].start as usize;
    let mut rendition = ideal;
    let mut first = None;
    let (entry, account, rtt_ms, throughput) = loop {
        let file = catalog.file(VideoId(video), rendition);
        let entry = model.steering.steer(group, file, audio, play, &admission, ctx.placement, &world.shapes);
        first = first.or(Some(entry.offered));
        let account = entry.appliance.map_or(ctx.accounts.metro_origin(metro), |a| a as usize);
        let rtt_ms = entry.candidate.rtt_ms as f64 + device.access_rtt_ms;
        let throughput = model.playback.path_kbps(access_kbps, rtt_ms).min(cap.delivered_kbps(account, f64::MAX));
        let fits = catalog.rendition_at_most(device.codec, model.playback.budget_kbps(throughput, device.max_kbps));
        if fits >= rendition || rendition == lowest {
            break (entry, account, rtt_ms, throughput);
        }
        rendition = fits.min(rendition - 1);
    };
    let first = first.flatten();
    if let Some(s) = first {
        let file = catalog.file(VideoId(video), ideal).0;
        if Some(s) == ctx.record {
            w.recorded.push((metro as u32, seq, file));
        }
        if ctx.reactive[s.0 as usize] {
            w.reactive.push((s.0, metro as u32, seq, file));
            w.reactive.push((s.0, metro as u32, seq, audio.0));
        }
    }
    // A play no site can serve goes to its S3 origin; with the origin down it has nowhere to come from.
    if cap.down[account] {
        w.regions[region].plays += 1;
        w.regions[region].start_failures += 1;
        if let Some(tag) = tag {
            let file = catalog.file(VideoId(video), rendition).0;
            store.events.push(tag.event(t_s, EventKind::StartFailure, file, NO_SITE, 0.0));
        }
        return;
    }
    let stream_kbps = model.stream_kbps[rendition];
    let startup_ms = model.playback.startup_ms(
        cp_round_trips_ms + api_ms + model.scenario.playback.control_plane_round_trips * device.access_rtt_ms,
        rtt_ms,
        stream_kbps,
        throughput,
    );
    // The member's own draws (how much they watch, whether they go on) come from the play, not the minute's
    // stream: a what-if branch that serves the play differently keeps them, and so its binges.
    let intent = mix64(play ^ INTENT_SALT);
    let start = model.playback.start(rng, intent, startup_ms, stream_kbps, throughput, duration_s, d.movie);

    let counters = &mut w.regions[region];
    counters.plays += 1;
    let served_by = site_of(ctx, account);
    if let Some(site) = served_by {
        w.site_plays[site.0 as usize] += 1;
    }
    // A sampled play's first frame, or its exit before it.
    if let Some(tag) = tag {
        let (file, site) = (catalog.file(VideoId(video), rendition).0, served_by.map_or(NO_SITE, |s| s.0));
        let startup_ms = start.startup_ms as f32;
        if start.abandoned {
            store.events.push(tag.event(t_s, EventKind::ExitBeforeStart, file, site, startup_ms));
        } else {
            store.events.push(tag.event(t_s, EventKind::VideoStart, file, site, startup_ms));
            if start.rebuffer_ms > 0 {
                store.events.push(tag.event(t_s, EventKind::Rebuffer, file, site, start.rebuffer_ms as f32));
            }
        }
    }
    if start.abandoned {
        counters.ebvs += 1;
        return;
    }
    let bin = kpi::hist_bin(start.startup_ms);
    w.region_hist[region * HIST_BINS + bin] += 1;
    counters.startup_us += (start.startup_ms * 1000.0) as u64;
    if let Some(site) = served_by {
        w.site_hist[site.0 as usize * COARSE_BINS + bin / COARSE_FACTOR] += 1;
        w.started_kbps[account] += stream_kbps as i64;
    }
    counters.rebuffer_ms += start.rebuffer_ms;

    let planned_bytes = start.watch_minutes as u64 * kbps_minute_bytes(stream_kbps);
    // Popularity is counted from one play in `popularity_sample` (each weighing as many): a write per play into
    // a table of every (region, video) misses cache, and at hundreds of millions of plays a day a sample
    // measures popularity as well.
    if counts_popularity(ctx, play) {
        let n = ctx.popularity_sample.n;
        let videos = catalog.videos.len();
        let renditions = catalog.renditions.len();
        let video_kbps = catalog.renditions[rendition].kbps as f64;
        w.video_bytes[region * videos + video as usize] += planned_bytes * n;
        w.rendition_bytes[region * renditions + rendition] +=
            (planned_bytes as f64 * n as f64 * video_kbps / stream_kbps) as u64;
    }
    // Places reserved for ingest are the catalogue's last videos, one each.
    if let Some(k) = (video as usize).checked_sub(catalog.videos.len() - w.title_bytes.len()) {
        let b = &mut w.title_bytes[k];
        if served_by.is_some() {
            b.edge += planned_bytes;
        } else {
            b.origin += planned_bytes;
            b.by_origin[model.world.nearest_origin(MetroId(metro as u32))] += planned_bytes;
        }
    }
    if let Some(s) = first {
        w.site_offered_bytes[s.0 as usize] += planned_bytes;
        if served_by == Some(s) {
            w.site_hit_bytes[s.0 as usize] += planned_bytes;
        }
    }

    // A member who plays an episode through may go on to the next (`demand::BINGE_CONTINUE`).
    let binges = start.completes && ctx.hour.leads_on(video) && unit_pair(mix64(intent)).0 < demand::BINGE_CONTINUE;
    let session = Session::new(
        d.metro_group,
        video,
        d.device,
        rendition as u8,
        entry.index,
        (minute + start.watch_minutes) * 60,
        minute,
        model.playback.full_buffer_s() as u16,
        start.patience_s,
        (access_kbps / 100.0 + 0.5) as u16,
        binges,
    );
    Books::of(ctx, region, account).change(w, ctx, rendition, 1, true);
    let members = ctx.members.map(|_| {
        tag.map(|t| SessionMeta {
            member: t.member,
            start_s: t_s,
            duration_s,
            start_rebuffer_ms: start.rebuffer_ms.min(u32::MAX as u64) as u32,
        })
    });
    store.insert(session, account as u32, minute, members);
}
