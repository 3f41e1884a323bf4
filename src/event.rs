//! Events: zeros of user functions `g(t, y)` located on the dense output.
//!
//! An [`Event`] is a function `g(t, y)`, a [`Direction`] (which sign changes
//! count) and a terminal flag. Add events with
//! [`Integrator::event`](crate::Integrator::event). After every accepted step
//! the driver:
//!
//! 1. evaluates `g` at `n` interior points of the step (`theta = k/(n+1)`,
//!    `k = 1..n`, from the stepper's dense output; `n` is
//!    [`Event::interior_samples`], default 3) and at the step's end, so two
//!    sign changes inside one step are seen as long as a sample falls between
//!    the two roots (roots closer together than `h/(n+1)` can still be
//!    missed);
//! 2. for every sign change between consecutive samples, locates the root
//!    with Brent's method (R. P. Brent, *Algorithms for Minimization without
//!    Derivatives*, 1973, ch. 4) on the dense output, to a bracket width of
//!    `4 eps |t| + time_tol` (default `time_tol = 0`: close to machine
//!    precision relative to `t`);
//! 3. records an [`EventRecord`] `{ index, t, y }` with
//!    `y` from the dense output, in time order;
//! 4. if a terminal event fired (or one reached its
//!    [`terminal_after`](Event::terminal_after) count), ends the solve at its
//!    (earliest) root with
//!    [`Status::TerminalEvent`](crate::Status::TerminalEvent): the last saved
//!    state is the interpolated state at the root;
//! 5. if an event with an [`action`](Event::action) fired, cuts the step at
//!    its (earliest) root, runs the action on the state there and restarts
//!    the solve from the changed state (see [`Event::action`] and
//!    `docs/stepping.md`).
//!
//! Edge cases, all with respect to the direction of integration (a rising
//! event fires where `g` goes from negative to positive *as the integration
//! proceeds*, also when integrating backward):
//!
//! - `g(t0, y0) = 0` does not fire; the sign after `t0` becomes the reference.
//! - `g = 0` exactly at a sample (a step end, say): an [`Direction::Either`]
//!   event fires once, there (any zero of `g` counts, so a tangential zero
//!   also fires once); the next non-zero sign becomes the new reference
//!   without a second firing. A [`Direction::Rising`] or
//!   [`Direction::Falling`] event waits for the next non-zero sample: if the
//!   sign changed in its direction it fires at the (last) zero sample,
//!   otherwise `g` only touched zero and nothing fires. A zero at a step's
//!   end is thus confirmed during the next step; a terminal event then ends
//!   the solve at that step end (the next step is undone). A zero at the
//!   very end of the span, with no later sample, does not fire.
//! - `g` must be finite: a NaN or infinite value (at a sample or during root
//!   finding) ends the solve with [`SolveError::NonFiniteEvent`] naming the
//!   event, rather than inventing sign changes.
//! - Monitors' projections happen before events are located, so the value at
//!   the step's end is `g` of the projected state: a projection that moves the
//!   state across `g = 0` is seen as a crossing (located at the step's end),
//!   never as two.

use crate::{EventRecord, Real, SolveError, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Which sign changes of `g` an event reports (along the direction of
/// integration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From negative to positive.
    Rising,
    /// From positive to negative.
    Falling,
    /// Both.
    Either,
}

type EventFn<'a, T, S> = Box<dyn FnMut(T, &S) -> T + Send + 'a>;
type ActionFn<'a, T, S> = Box<dyn FnMut(T, &mut S) + Send + 'a>;

/// An event function `g(t, y)`, the sign changes it reports, and whether it
/// stops the solve.
///
/// ```
/// use odestride::{Event, ExplicitRk, Integrator, Status};
/// // y' = -1 from y = 1: y crosses 0.25 (falling) at t = 0.75; stop there.
/// let sol = Integrator::new(ExplicitRk::dopri5())
///     .event(Event::new(|_t: f64, y: &f64| *y - 0.25).falling().terminal())
///     .solve(|_t: f64, _y: &f64, dy: &mut f64| *dy = -1.0, 0.0, 2.0, 1.0)
///     .unwrap();
/// assert_eq!(sol.status, Status::TerminalEvent { index: 0, t: sol.events[0].t });
/// assert!((sol.events[0].t - 0.75).abs() < 1e-15);
/// assert_eq!(sol.last_time(), sol.events[0].t);
/// ```
pub struct Event<'a, T, S> {
    g: EventFn<'a, T, S>,
    action: Option<ActionFn<'a, T, S>>,
    direction: Direction,
    terminal: bool,
    /// The occurrence that ends the solve ([`Event::terminal_after`]).
    stop_after: Option<usize>,
    samples: usize,
    time_tol: T,
}

impl<T, S> core::fmt::Debug for Event<'_, T, S>
where
    T: core::fmt::Debug,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Event")
            .field("direction", &self.direction)
            .field("terminal", &self.terminal)
            .field("terminal_after", &self.stop_after)
            .field("action", &self.action.is_some())
            .field("interior_samples", &self.samples)
            .field("time_tol", &self.time_tol)
            .finish_non_exhaustive()
    }
}

impl<'a, T: Real, S: State<T>> Event<'a, T, S> {
    /// An event on the zeros of `g(t, y)`: both directions, not terminal,
    /// 3 interior samples per step, time tolerance close to machine precision.
    pub fn new(g: impl FnMut(T, &S) -> T + Send + 'a) -> Self {
        Event {
            g: Box::new(g),
            action: None,
            direction: Direction::Either,
            terminal: false,
            stop_after: None,
            samples: 3,
            time_tol: T::zero(),
        }
    }
    /// Report only sign changes from negative to positive.
    pub fn rising(mut self) -> Self {
        self.direction = Direction::Rising;
        self
    }
    /// Report only sign changes from positive to negative.
    pub fn falling(mut self) -> Self {
        self.direction = Direction::Falling;
        self
    }
    /// Sets the direction.
    pub fn direction(mut self, d: Direction) -> Self {
        self.direction = d;
        self
    }
    /// The first occurrence ends the solve (at the root, without running
    /// an [`action`](Event::action)). The same as `terminal_after(1)`.
    pub fn terminal(mut self) -> Self {
        self.terminal = true;
        self
    }
    /// The `n`-th occurrence ends the solve (`n >= 1`; `n = 0` fails the
    /// solve with [`SolveError::InvalidOption`]); the earlier ones are
    /// recorded and run the [`action`](Event::action), if any. Combined with
    /// [`terminal`](Event::terminal), the first occurrence ends the solve.
    ///
    /// ```
    /// use odestride::{Event, ExplicitRk, Integrator, Status};
    /// // y = sin t: the third rising zero is at t = 6 pi.
    /// let f = |_t: f64, y: &[f64; 2], dy: &mut [f64; 2]| {
    ///     dy[0] = y[1];
    ///     dy[1] = -y[0];
    /// };
    /// let sol = Integrator::new(ExplicitRk::dopri5())
    ///     .tol(1e-10)
    ///     .event(Event::new(|_t, y: &[f64; 2]| y[0]).rising().terminal_after(3))
    ///     .solve(f, 0.1, 100.0, [0.1f64.sin(), 0.1f64.cos()])
    ///     .unwrap();
    /// assert_eq!(sol.events.len(), 3);
    /// assert!((sol.last_time() - 6.0 * std::f64::consts::PI).abs() < 1e-8);
    /// assert!(matches!(sol.status, Status::TerminalEvent { index: 0, .. }));
    /// ```
    pub fn terminal_after(mut self, n: usize) -> Self {
        self.stop_after = Some(n);
        self
    }
    /// Changes the state at every occurrence (that does not end the solve):
    /// `action(t_root, &mut y)` receives the state at the root and may change
    /// it (a bounce, an impulsive burn). The solve then goes on from the
    /// root with the changed state: the stepper's stored stage and the
    /// step-size controller start afresh there, the monitors and detectors
    /// are restarted ([`Monitor::start`](crate::Monitor::start)), and the
    /// event functions take their reference signs from the new state, so
    /// the event that acted does not fire again at the same root. With
    /// [`SaveMode::EveryStep`](crate::SaveMode::EveryStep) the solution
    /// holds both states at the root, before and after; the dense output at
    /// the root gives the state after. The record in
    /// [`Solution::events`](crate::Solution::events) holds the state before.
    ///
    /// A change that moves another event's `g` across zero does not fire
    /// that event (its reference sign is taken after the change).
    ///
    /// ```
    /// use odestride::{Event, ExplicitRk, Integrator};
    /// // A ball dropped from height 1 (g = 9.81) bounces with restitution 0.5.
    /// let f = |_t: f64, y: &[f64; 2], dy: &mut [f64; 2]| {
    ///     dy[0] = y[1];
    ///     dy[1] = -9.81;
    /// };
    /// let floor = Event::new(|_t, y: &[f64; 2]| y[0])
    ///     .falling()
    ///     .action(|_t, y: &mut [f64; 2]| y[1] *= -0.5);
    /// let sol = Integrator::new(ExplicitRk::dopri5())
    ///     .tol(1e-10)
    ///     .event(floor)
    ///     .solve(f, 0.0, 1.0, [1.0, 0.0])
    ///     .unwrap();
    /// let t1 = (2.0f64 / 9.81).sqrt(); // first impact
    /// assert!((sol.events[0].t - t1).abs() < 1e-12);
    /// assert!((sol.events[1].t - 2.0 * t1).abs() < 1e-10); // 0.5 v up and back down
    /// ```
    pub fn action(mut self, action: impl FnMut(T, &mut S) + Send + 'a) -> Self {
        self.action = Some(Box::new(action));
        self
    }
    /// Runs the action (if any) on the state at a root.
    pub(crate) fn act(&mut self, t: T, y: &mut S) {
        if let Some(a) = self.action.as_mut() {
            a(t, y);
        }
    }
    /// Whether the `count`-th occurrence of this event stops the step: it
    /// ends the solve, or its action changes the state.
    fn stops(&self, count: usize) -> Option<bool> {
        let terminal = self.terminal || self.stop_after.is_some_and(|n| count >= n);
        if terminal {
            Some(true)
        } else if self.action.is_some() {
            Some(false)
        } else {
            None
        }
    }
    /// Number of interior points of every step at which `g` is sampled to
    /// catch two sign changes inside one step (0: only the step ends). At
    /// most [`MAX_INTERIOR_SAMPLES`]; a larger value fails the solve with
    /// [`SolveError::InvalidOption`].
    pub fn interior_samples(mut self, n: usize) -> Self {
        self.samples = n;
        self
    }
    /// An absolute time tolerance added to the default `4 eps |t|` bracket
    /// width of the root finder (negative, infinite or NaN values are
    /// ignored: the default applies).
    pub fn time_tol(mut self, tol: T) -> Self {
        self.time_tol = if tol > T::zero() && tol.is_finite() {
            tol
        } else {
            T::zero()
        };
        self
    }
    /// Whether the event is terminal.
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }
    /// The direction filter.
    pub fn get_direction(&self) -> Direction {
        self.direction
    }

    fn fires(&self, from: i8) -> bool {
        match self.direction {
            Direction::Either => true,
            Direction::Rising => from < 0,
            Direction::Falling => from > 0,
        }
    }
}

fn sgn<T: Real>(x: T) -> i8 {
    if x > T::zero() {
        1
    } else if x < T::zero() {
        -1
    } else {
        0
    }
}

/// The largest [`Event::interior_samples`] a solve accepts: every sample
/// costs an interpolation and an evaluation of `g` per step, and far fewer
/// already resolve any pair of roots a step can hold apart.
pub const MAX_INTERIOR_SAMPLES: usize = 10_000;

/// Checks the events' settings before a solve.
pub(crate) fn validate<T: Real, S: State<T>>(events: &[Event<'_, T, S>]) -> Result<(), SolveError> {
    for (i, e) in events.iter().enumerate() {
        if e.stop_after == Some(0) {
            return Err(SolveError::InvalidOption {
                name: format!("event {i}: terminal_after"),
                value: 0.0,
                hint: "the occurrence that ends the solve counts from 1 (terminal_after(1) ends it at the first)".into(),
            });
        }
        if e.samples > MAX_INTERIOR_SAMPLES {
            return Err(SolveError::InvalidOption {
                name: format!("event {i}: interior_samples"),
                value: e.samples as f64,
                hint: format!("at most {MAX_INTERIOR_SAMPLES} (to separate close roots, cap h_max instead)"),
            });
        }
    }
    Ok(())
}

fn finite_or_err<T: Real>(index: usize, t: T, g: T) -> Result<T, SolveError> {
    if g.is_finite() {
        Ok(g)
    } else {
        Err(SolveError::NonFiniteEvent {
            index,
            t: t.to_f64_lossy(),
            value: g.to_f64_lossy(),
        })
    }
}

/// Per-solve event state: the reference sign of every event, its value at
/// the current point, a zero sample waiting for the next sign, and a
/// reusable buffer of roots found in one step.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))
)]
pub(crate) struct Tracker<T> {
    sign: Vec<i8>,
    g_prev: Vec<T>,
    /// For a directional event: the time of the last sample where `g` was
    /// exactly 0 after a non-zero reference sign, until the next non-zero
    /// sample tells a crossing (fires there) from a touch (does not).
    pending: Vec<Option<T>>,
    #[cfg_attr(feature = "serde", serde(skip))]
    found: Vec<(T, usize)>,
    /// Occurrences of every event so far.
    pub(crate) counts: Vec<usize>,
    /// Event-function evaluations.
    pub(crate) ngev: usize,
}

/// The occurrence that cut a step: it ends the solve (`terminal`) or runs
/// its event's action.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit<T> {
    pub(crate) index: usize,
    pub(crate) t: T,
    pub(crate) terminal: bool,
}

impl<T: Real> Tracker<T> {
    /// Evaluates every `g` at the initial point (no event fires at `t0`).
    pub(crate) fn start<S: State<T>>(
        events: &mut [Event<'_, T, S>],
        t0: T,
        y0: &S,
    ) -> Result<Self, SolveError> {
        let mut g_prev = Vec::with_capacity(events.len());
        let mut sign = Vec::with_capacity(events.len());
        for (i, e) in events.iter_mut().enumerate() {
            let g = finite_or_err(i, t0, (e.g)(t0, y0))?;
            g_prev.push(g);
            sign.push(sgn(g));
        }
        Ok(Tracker {
            sign,
            g_prev,
            pending: vec![None; events.len()],
            found: Vec::with_capacity(events.len()),
            counts: vec![0; events.len()],
            ngev: events.len(),
        })
    }

    /// Makes room for the roots of one step (after a checkpoint is read back).
    pub(crate) fn prepare(&mut self) {
        self.found = Vec::with_capacity(self.counts.len());
    }

    /// Takes the reference signs afresh at `(t, y)` after an action changed
    /// the state there. The event that acted (`fired`) sits on its zero, so
    /// its reference is the sign `g` takes just after the root: `g` at
    /// `(t + d, y + d f(t, y))` with `d = 1e-4 h` (an Euler probe; `probe`
    /// holds `f(t, y)` and is overwritten). Where that does not move `g`
    /// off zero, the reference is 0 (as at `t0`: the next non-zero sign
    /// becomes the reference without firing). Either way the event does not
    /// fire again at its own root, even when the next step is long enough
    /// to hold the whole next arc.
    pub(crate) fn restart<S: State<T>>(
        &mut self,
        events: &mut [Event<'_, T, S>],
        t: T,
        y: &S,
        fired: Option<usize>,
        h: T,
        probe: &mut S,
    ) -> Result<(), SolveError> {
        let d = T::lit(1e-4) * h;
        for (p, yi) in probe.as_mut_slice().iter_mut().zip(y.as_slice()) {
            *p = *yi + d * *p;
        }
        for (i, e) in events.iter_mut().enumerate() {
            let g = finite_or_err(i, t, (e.g)(t, y))?;
            self.ngev += 1;
            self.g_prev[i] = g;
            self.sign[i] = sgn(g);
            self.pending[i] = None;
            if Some(i) == fired {
                let gp = finite_or_err(i, t + d, (e.g)(t + d, probe))?;
                self.ngev += 1;
                self.sign[i] = if gp.abs() > g.abs() { sgn(gp) } else { 0 };
            }
        }
        Ok(())
    }

    /// Scans one accepted step `[t, t + h]` from `y_start` to `y_end`.
    ///
    /// `interp(theta, out)` writes the dense output at `t + theta h`. Found
    /// events are appended to `records` in time order; the return value is the
    /// first occurrence that ends the solve or acts ([`Hit`]), if any, and
    /// then `buf` holds the state at that root (`t_root` may be `t` itself: a zero at the previous
    /// step's end that this step showed to be a crossing).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn step<S: State<T>>(
        &mut self,
        events: &mut [Event<'_, T, S>],
        t: T,
        h: T,
        t_end: T,
        y_start: &S,
        y_end: &S,
        interp: &mut dyn FnMut(T, &mut S),
        buf: &mut S,
        records: &mut Vec<EventRecord<T, S>>,
    ) -> Result<Option<Hit<T>>, SolveError> {
        self.found.clear();
        for (i, ev) in events.iter_mut().enumerate() {
            let n = ev.samples;
            let (mut ta, mut ga) = (t, self.g_prev[i]);
            for k in 1..=n + 1 {
                let (tb, gb) = if k == n + 1 {
                    (t_end, (ev.g)(t_end, y_end))
                } else {
                    let theta = T::lit(k as f64) / T::lit((n + 1) as f64);
                    interp(theta, buf);
                    let tb = t + theta * h;
                    (tb, (ev.g)(tb, buf))
                };
                self.ngev += 1;
                let gb = finite_or_err(i, tb, gb)?;
                let s = self.sign[i];
                let sb = sgn(gb);
                if sb == 0 {
                    if s != 0 {
                        if ev.direction == Direction::Either {
                            // Any zero of g: fire once, here.
                            self.found.push((tb, i));
                            self.sign[i] = 0;
                        } else {
                            // Crossing or touch? The next non-zero sign says.
                            self.pending[i] = Some(tb);
                        }
                    }
                } else if s == 0 {
                    self.sign[i] = sb;
                } else if let Some(tz) = self.pending[i].take() {
                    if sb != s && ev.fires(s) {
                        self.found.push((tz, i));
                    }
                    self.sign[i] = sb;
                } else if sb != s {
                    // ga has sign s (a zero sample would be pending or have
                    // reset s to 0).
                    if ev.fires(s) {
                        let g = &mut ev.g;
                        let mut count = 0usize;
                        let mut bad: Option<(T, T)> = None;
                        let mut f = |x: T| {
                            count += 1;
                            let theta = (x - t) / h;
                            interp(theta, buf);
                            let v = g(x, buf);
                            if v.is_finite() {
                                v
                            } else {
                                // Stops Brent at once; reported below.
                                bad.get_or_insert((x, v));
                                T::zero()
                            }
                        };
                        let root = brent(&mut f, ta, ga, tb, gb, ev.time_tol);
                        self.ngev += count;
                        if let Some((x, v)) = bad {
                            finite_or_err(i, x, v)?;
                        }
                        self.found.push((root, i));
                    }
                    self.sign[i] = sb;
                }
                ta = tb;
                ga = gb;
            }
            self.g_prev[i] = ga;
        }
        if self.found.is_empty() {
            return Ok(None);
        }
        // Time order along the integration (sort_unstable: no allocation).
        let dir = if h > T::zero() { T::one() } else { -T::one() };
        self.found.sort_unstable_by(|a, b| {
            (a.0 * dir)
                .partial_cmp(&(b.0 * dir))
                .unwrap_or(core::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
        });
        let mut state_at = |tr: T, buf: &mut S| {
            if tr == t_end {
                buf.as_mut_slice().copy_from_slice(y_end.as_slice());
            } else if tr == t {
                buf.as_mut_slice().copy_from_slice(y_start.as_slice());
            } else {
                interp((tr - t) / h, buf);
            }
        };
        // Record in time order up to the first occurrence that ends the solve
        // or acts (and the others at that same time).
        let mut stop: Option<Hit<T>> = None;
        for &(tr, i) in self.found.iter() {
            if let Some(hit) = stop {
                if (tr - hit.t) * dir > T::zero() {
                    break;
                }
            }
            state_at(tr, buf);
            records.push(EventRecord {
                index: i,
                t: tr,
                y: buf.clone(),
            });
            self.counts[i] += 1;
            if stop.is_none() {
                if let Some(terminal) = events[i].stops(self.counts[i]) {
                    stop = Some(Hit {
                        index: i,
                        t: tr,
                        terminal,
                    });
                }
            }
        }
        if let Some(hit) = stop {
            // The last record written may be another event at the same
            // time; `buf` holds the state at the root either way.
            state_at(hit.t, buf);
        }
        Ok(stop)
    }
}

/// Brent's root finder on a bracket `[a, b]` with `f(a) f(b) < 0` (either
/// order of `a`, `b`). Stops when the bracket is narrower than
/// `4 eps |x| + xtol` (or after 200 evaluations, far more than the ~60 a
/// bisection of an `f64` interval can need).
pub(crate) fn brent<T: Real>(f: &mut dyn FnMut(T) -> T, a: T, fa: T, b: T, fb: T, xtol: T) -> T {
    let two = T::lit(2.0);
    let half = T::lit(0.5);
    let eps = T::epsilon();
    let (mut a, mut fa, mut b, mut fb) = (a, fa, b, fb);
    // c is the other end of the bracket around b.
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if (fb > T::zero()) == (fc > T::zero()) && fb != T::zero() && fc != T::zero() {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = two * eps * b.abs() + half * xtol;
        let m = half * (c - b);
        if m.abs() <= tol1 || fb == T::zero() {
            return b;
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            // Interpolation: secant (two points) or inverse quadratic (three).
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = two * m * s;
                q = T::one() - s;
            } else {
                let qa = fa / fc;
                let r = fb / fc;
                p = s * (two * m * qa * (qa - r) - (b - a) * (r - T::one()));
                q = (qa - T::one()) * (r - T::one()) * (s - T::one());
            }
            if p > T::zero() {
                q = -q;
            } else {
                p = -p;
            }
            // Accept the interpolated step only if it stays well inside the
            // bracket and shrinks faster than the step before last.
            if two * p < (T::lit(3.0) * m * q - (tol1 * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b;
        fa = fb;
        b = if d.abs() > tol1 {
            b + d
        } else if m > T::zero() {
            b + tol1
        } else {
            b - tol1
        };
        fb = f(b);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::brent;

    #[test]
    fn brent_finds_cos_root_to_machine_precision() {
        let mut n = 0;
        let mut f = |x: f64| {
            n += 1;
            x.cos()
        };
        let r = brent(&mut f, 1.0, 1f64.cos(), 2.0, 2f64.cos(), 0.0);
        assert!(
            (r - std::f64::consts::FRAC_PI_2).abs() <= 4.0 * f64::EPSILON * 2.0,
            "{r}"
        );
        assert!(n < 15, "{n} evaluations");
        // reversed bracket
        let mut g = |x: f64| x * x * x - 2.0;
        let r = brent(&mut g, 3.0, 25.0, 0.0, -2.0, 0.0);
        assert!((r - 2f64.cbrt()).abs() <= 1e-15, "{r}");
    }
}
