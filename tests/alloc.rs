//! Zero heap allocations per step for stack states: a counting global
//! allocator shows that the number of allocations of a solve does not grow
//! with the number of steps when only the final state is saved.
//!
//! Every configuration is solved over a short span and a 10 times longer one
//! (Kepler, e = 0.5, over 1 and 10 periods, or the same idea on another
//! periodic problem); the two allocation counts must be equal while the long
//! run takes more than 5 times as many steps. Covered: every method
//! (`ExplicitRk` constructors, `StepDoubling`, the run-time `MethodStepper` for
//! every `Method`, the switching `AutoSwitch` switching both ways), every built-in controller, every monitor type, events, the
//! built-in detectors on and off, and `SVector`, array, scalar and
//! `state_struct!` states.
mod common;
use common::*;
use odestride::controller::Limiter;
use odestride::method::Method;
use odestride::monitor::{Candidate, Invariant, InvariantMonitor, Monitor, RelativisticMonitor, Verdict};
use odestride::{
    BlowUpConfig, Event, EventRecord, ExplicitRk, IController, Integrator, Options, PiController,
    PidController, SaveMode, State, Status, StepController, StepDoubling, Stepper, StiffnessConfig, System,
};
use std::alloc::{GlobalAlloc, Layout, System as SysAlloc};
use std::borrow::Cow;
use std::cell::Cell;
use std::f64::consts::TAU;

struct Counting;
thread_local! {
    // Only allocations made by the measuring thread count (the test harness
    // allocates on its own threads, and other tests run on other threads).
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}
fn bump() {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}
fn allocs() -> usize {
    ALLOCS.with(|c| c.get())
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { SysAlloc.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { SysAlloc.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { SysAlloc.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What one measured solve did.
#[derive(Debug, Clone, Copy)]
struct Out {
    /// Heap allocations (and reallocations) during `solve`.
    allocs: usize,
    /// Accepted steps.
    steps: usize,
    /// Located events.
    events: usize,
    /// Monitor vetoes.
    vetoes: usize,
}

/// Solves `y' = f` on `[0, t_end]` and counts the allocations of `solve` alone
/// (building the integrator and its monitors is not part of the count).
fn solve<S, St, C, F>(mut integ: Integrator<'_, f64, S, St, C>, f: F, t_end: f64, y0: S) -> Out
where
    S: State<f64>,
    St: Stepper<f64, S>,
    C: StepController<f64>,
    F: System<f64, S>,
{
    let before = allocs();
    let res = integ.solve(f, 0.0, t_end, y0);
    let after = allocs();
    let sol = res.unwrap_or_else(|e| panic!("solve failed: {e}"));
    assert_eq!(sol.status, Status::Success);
    Out {
        allocs: after - before,
        steps: sol.stats.naccept,
        events: sol.events.len(),
        vetoes: sol.stats.nveto,
    }
}

/// Saves the final state only; room for the long low-order runs.
fn opts(tol: f64) -> Options<f64> {
    Options::default()
        .tol(tol)
        .save(SaveMode::FinalOnly)
        .max_steps(2_000_000)
}
fn fixed(h: f64) -> Options<f64> {
    opts(1e-6).fixed_step(h)
}

const E: f64 = 0.5;

/// Kepler over `periods` periods with the stepper's default PI controller.
fn kepler_default<St: Stepper<f64, V4>>(st: St, o: Options<f64>, periods: f64) -> Out {
    solve(
        Integrator::new(st).options(o),
        kepler,
        periods * TAU,
        kepler_y0(E),
    )
}
/// Kepler over `periods` periods with controller `c`.
fn kepler_ctrl<St: Stepper<f64, V4>, C: StepController<f64>>(
    st: St,
    c: C,
    o: Options<f64>,
    periods: f64,
) -> Out {
    solve(
        Integrator::new(st).controller(c).options(o),
        kepler,
        periods * TAU,
        kepler_y0(E),
    )
}

fn kepler_energy(_t: f64, y: &V4) -> f64 {
    0.5 * (y[2] * y[2] + y[3] * y[3]) - 1.0 / (y[0] * y[0] + y[1] * y[1]).sqrt()
}
fn kepler_energy_grad(_t: f64, y: &V4, g: &mut V4) {
    let r3 = (y[0] * y[0] + y[1] * y[1]).powf(1.5);
    g[0] = y[0] / r3;
    g[1] = y[1] / r3;
    g[2] = y[2];
    g[3] = y[3];
}
fn kepler_ang(_t: f64, y: &V4) -> f64 {
    y[0] * y[3] - y[1] * y[2]
}

/// Kepler on a plain array state.
fn kepler_arr(_t: f64, y: &[f64; 4], dy: &mut [f64; 4]) {
    let r3 = (y[0] * y[0] + y[1] * y[1]).powf(1.5);
    dy[0] = y[2];
    dy[1] = y[3];
    dy[2] = -y[0] / r3;
    dy[3] = -y[1] / r3;
}

/// Relativistic charge in a uniform magnetic field B e_z, units m = c = q = B
/// = 1, state (x, y, p_x, p_y): x' = p / gamma, p' = v x B. It gyrates at
/// constant speed with period 2 pi gamma.
fn gyro_momentum(_t: f64, y: &V4, dy: &mut V4) {
    let gamma = (1.0 + y[2] * y[2] + y[3] * y[3]).sqrt();
    let (vx, vy) = (y[2] / gamma, y[3] / gamma);
    dy[0] = vx;
    dy[1] = vy;
    dy[2] = vy;
    dy[3] = -vx;
}
/// The same particle with the velocity as state: v' = (v x B) / gamma.
fn gyro_velocity(_t: f64, y: &V4, dy: &mut V4) {
    let gamma = 1.0 / (1.0 - (y[2] * y[2] + y[3] * y[3])).sqrt();
    dy[0] = y[2];
    dy[1] = y[3];
    dy[2] = y[3] / gamma;
    dy[3] = -y[2] / gamma;
}
/// p = (0, 2): gamma = sqrt 5, |v| = 2/sqrt 5 ~ 0.894 c.
const GYRO_P: f64 = 2.0;
fn gyro_gamma() -> f64 {
    (1.0 + GYRO_P * GYRO_P).sqrt()
}
fn gyro_period() -> f64 {
    TAU * gyro_gamma()
}

/// A monitor that does nothing at all (every method defaulted but the name).
struct Silent;
impl Monitor<f64, V4> for Silent {
    fn name(&self) -> &str {
        "silent"
    }
}
/// A monitor that vetoes nothing and caps the step size.
struct Cap(f64);
impl Monitor<f64, V4> for Cap {
    fn name(&self) -> &str {
        "cap"
    }
    fn check(&mut self, _c: &Candidate<'_, f64, V4>) -> Verdict<f64> {
        Verdict::Accept
    }
    fn max_step(&self) -> Option<f64> {
        Some(self.0)
    }
}
/// A monitor that vetoes every step longer than a limit (with a static
/// reason), without capping: the controller keeps proposing longer steps,
/// so the number of vetoes grows with the number of steps.
struct SpeedLimit(f64);
impl Monitor<f64, V4> for SpeedLimit {
    fn name(&self) -> &str {
        "speed limit"
    }
    fn check(&mut self, c: &Candidate<'_, f64, V4>) -> Verdict<f64> {
        if c.h.abs() > self.0 {
            Verdict::Veto {
                factor: 0.5,
                reason: Cow::Borrowed("step too long"),
            }
        } else {
            Verdict::Accept
        }
    }
}

/// How the allocations of the long run may differ from the short run's.
#[derive(Clone, Copy, PartialEq)]
enum Growth {
    /// Not at all.
    None,
    /// Only by the amortised growth of the event-record list (saved output).
    EventRecords,
}

/// Allocations made by a `Vec<EventRecord<f64, V4>>` that `n` records are
/// pushed into, one by one, from empty (as the driver does).
fn record_vec_allocs(n: usize) -> usize {
    let before = allocs();
    let mut v: Vec<EventRecord<f64, V4>> = Vec::new();
    for i in 0..n {
        v.push(EventRecord {
            index: 0,
            t: i as f64,
            y: V4::zeros(),
        });
    }
    let after = allocs();
    drop(v);
    after - before
}

/// The cases, their results, and the failures.
#[derive(Default)]
struct Table {
    failures: Vec<String>,
    cases: usize,
}

impl Table {
    /// Runs `run` over 1 and 10 "periods" and checks the allocation counts.
    fn case(&mut self, name: &str, growth: Growth, run: &dyn Fn(f64) -> Out) {
        self.cases += 1;
        let s = run(1.0);
        let l = run(10.0);
        let mut extra = String::new();
        if s.vetoes + l.vetoes > 0 {
            extra += &format!("  vetoes {}/{}", s.vetoes, l.vetoes);
        }
        if s.events + l.events > 0 {
            extra += &format!("  events {}/{}", s.events, l.events);
        }
        println!(
            "{name:<50} {:>6} {:>6}  steps {:>7} {:>7}{extra}",
            s.allocs, l.allocs, s.steps, l.steps
        );
        // A veto allocates only the first time its "monitor: reason" key
        // enters `Stats::vetoes`: a case vetoes in both runs or in neither.
        if (s.vetoes == 0) != (l.vetoes == 0) {
            self.failures
                .push(format!("{name}: vetoes in one run only, retune the case"));
        }
        if l.steps <= 5 * s.steps {
            self.failures.push(format!(
                "{name}: the long run took {} steps, not > 5 x {}",
                l.steps, s.steps
            ));
        }
        let (a_s, a_l) = match growth {
            Growth::None => (s.allocs, l.allocs),
            Growth::EventRecords => {
                // Remove the event list's own growth; the rest must be equal.
                let (g_s, g_l) = (record_vec_allocs(s.events), record_vec_allocs(l.events));
                if s.allocs < g_s || l.allocs < g_l {
                    self.failures
                        .push(format!("{name}: fewer allocations than the event list needs"));
                }
                (s.allocs.saturating_sub(g_s), l.allocs.saturating_sub(g_l))
            }
        };
        if a_s != a_l {
            self.failures.push(format!(
                "{name}: {} allocations over {} steps, {} over {} steps",
                s.allocs, s.steps, l.allocs, l.steps
            ));
        }
    }
}

fn methods(t: &mut Table) {
    type Mk = fn() -> ExplicitRk<f64, V4>;
    let adaptive: [(&str, Mk); 9] = [
        ("dopri5", ExplicitRk::dopri5),
        ("bs3", ExplicitRk::bs3),
        ("dop853", ExplicitRk::dop853),
        ("tsit5", ExplicitRk::tsit5),
        ("vern6", ExplicitRk::vern6),
        ("vern7", ExplicitRk::vern7),
        ("vern9", ExplicitRk::vern9),
        ("rkf45", ExplicitRk::rkf45),
        ("cash_karp", ExplicitRk::cash_karp),
    ];
    for (name, mk) in adaptive {
        t.case(&format!("ExplicitRk::{name}"), Growth::None, &|p| {
            kepler_default(mk(), opts(1e-9), p)
        });
    }
    let fixed_step: [(&str, Mk, f64); 2] =
        [("euler", ExplicitRk::euler, 1e-3), ("rk4", ExplicitRk::rk4, 1e-2)];
    for (name, mk, h) in fixed_step {
        t.case(
            &format!("ExplicitRk::{name} fixed h = {h:e}"),
            Growth::None,
            &|p| kepler_default(mk(), fixed(h), p),
        );
    }

    type MkD = fn() -> StepDoubling<f64, V4>;
    let doubling: [(&str, MkD, f64); 5] = [
        ("euler", StepDoubling::euler, 1e-5),
        ("heun", StepDoubling::heun, 1e-7),
        ("midpoint", StepDoubling::midpoint, 1e-7),
        ("rk4", StepDoubling::rk4, 1e-9),
        (
            "rk4 extrapolated",
            || StepDoubling::rk4().with_extrapolation(true),
            1e-9,
        ),
    ];
    for (name, mk, tol) in doubling {
        t.case(&format!("StepDoubling::{name}"), Growth::None, &|p| {
            kepler_default(mk(), opts(tol), p)
        });
    }

    for m in Method::ALL {
        let o = if !m.is_adaptive() {
            fixed(if m.order() >= 4 { 1e-2 } else { 1e-3 })
        } else {
            opts(match m.order() {
                1 => 1e-5,
                2 => 1e-7,
                _ => 1e-9,
            })
        };
        t.case(&format!("MethodStepper {m}"), Growth::None, &|p| {
            kepler_default(m.stepper::<f64, V4>(), o.clone(), p)
        });
    }
}

fn controllers(t: &mut Table) {
    type Mk = fn() -> ExplicitRk<f64, V4>;
    let methods: [(&str, Mk); 3] = [
        ("DP5", ExplicitRk::dopri5),
        ("BS3", ExplicitRk::bs3),
        ("DOP853", ExplicitRk::dop853),
    ];
    for (mname, mk) in methods {
        let mut run =
            |cname: &str, c: &dyn Fn(f64) -> Out| t.case(&format!("{mname} / {cname}"), Growth::None, c);
        run("IController", &|p| {
            kepler_ctrl(mk(), IController::new(), opts(1e-9), p)
        });
        run("PiController::dopri5", &|p| {
            kepler_ctrl(mk(), PiController::dopri5(), opts(1e-9), p)
        });
        run("PiController::new(0.0)", &|p| {
            kepler_ctrl(mk(), PiController::new(0.0), opts(1e-9), p)
        });
        run("PidController::h211pi", &|p| {
            kepler_ctrl(mk(), PidController::h211pi(), opts(1e-9), p)
        });
        run("PidController::h211b(4)", &|p| {
            kepler_ctrl(mk(), PidController::h211b(4.0), opts(1e-9), p)
        });
        run("PidController::h312pid", &|p| {
            kepler_ctrl(mk(), PidController::h312pid(), opts(1e-9), p)
        });
        run("PidController::h312b(8)", &|p| {
            kepler_ctrl(mk(), PidController::h312b(8.0), opts(1e-9), p)
        });
        run("PidController::pi42", &|p| {
            kepler_ctrl(mk(), PidController::pi42(), opts(1e-9), p)
        });
        run("PidController::h110", &|p| {
            kepler_ctrl(mk(), PidController::h110(), opts(1e-9), p)
        });
        run("PidController::h211pi, atan limiter", &|p| {
            let c = PidController::h211pi().with_limiter(Limiter::Atan);
            kepler_ctrl(mk(), c, opts(1e-9), p)
        });
        run("Box<dyn StepController>", &|p| {
            let c: Box<dyn StepController<f64>> = Box::new(PidController::h312pid());
            kepler_ctrl(mk(), c, opts(1e-9), p)
        });
    }
}

/// Kepler with one monitor (built fresh for every solve).
fn kepler_mon<St: Stepper<f64, V4>>(
    st: St,
    m: impl Monitor<f64, V4> + Send,
    o: Options<f64>,
    periods: f64,
) -> Out {
    solve(
        Integrator::new(st).options(o).monitor(m),
        kepler,
        periods * TAU,
        kepler_y0(E),
    )
}

fn monitors(t: &mut Table) {
    type Mk = fn() -> ExplicitRk<f64, V4>;
    for (mname, mk) in [("DP5", ExplicitRk::dopri5 as Mk), ("BS3", ExplicitRk::bs3 as Mk)] {
        let tol = if mname == "BS3" { 1e-7 } else { 1e-9 };
        let mut run =
            |name: &str, c: &dyn Fn(f64) -> Out| t.case(&format!("{mname} / {name}"), Growth::None, c);
        // A budget tighter than the method's drift: vetoes all along the run.
        run("energy budget tol_total (vetoes)", &|p| {
            let m = InvariantMonitor::energy(kepler_energy, 1e-10);
            kepler_mon(mk(), m, opts(tol * 100.0), p)
        });
        run("energy budget tol_total, not paced", &|p| {
            let m = InvariantMonitor::new(
                Invariant::new("energy", kepler_energy)
                    .tol_total(1e-7)
                    .paced(false),
            );
            kepler_mon(mk(), m, opts(tol), p)
        });
        run("energy budget tol_step", &|p| {
            let m = InvariantMonitor::new(Invariant::new("energy", kepler_energy).tol_step(1e-12));
            kepler_mon(mk(), m, opts(tol * 100.0), p)
        });
        run("energy projection, gradient", &|p| {
            let inv = Invariant::new("energy", kepler_energy).gradient(kepler_energy_grad);
            kepler_mon(mk(), InvariantMonitor::new(inv).project(true), opts(tol), p)
        });
        run("energy projection, finite differences", &|p| {
            let inv = Invariant::new("energy", kepler_energy);
            kepler_mon(mk(), InvariantMonitor::new(inv).project(true), opts(tol), p)
        });
        run("energy + ang. momentum, budget + projection", &|p| {
            let m = InvariantMonitor::new(Invariant::new("energy", kepler_energy).tol_total(1e-8))
                .with(Invariant::new("angular momentum", kepler_ang))
                .project(true);
            kepler_mon(mk(), m, opts(tol), p)
        });
        run("user monitor, silent", &|p| {
            kepler_mon(mk(), Silent, opts(tol), p)
        });
        run("user monitor, max_step cap", &|p| {
            kepler_mon(mk(), Cap(0.02), opts(tol), p)
        });
        run("user monitor, vetoes long steps", &|p| {
            kepler_mon(mk(), SpeedLimit(0.02), opts(tol), p)
        });
        run("user monitor by &mut, three monitors", &|p| {
            let (mut a, mut b) = (Silent, Cap(0.05));
            let inv = Invariant::new("energy", kepler_energy).gradient(kepler_energy_grad);
            let integ = Integrator::new(mk())
                .options(opts(tol))
                .monitor(&mut a)
                .monitor(&mut b)
                .monitor(InvariantMonitor::new(inv).project(true));
            solve(integ, kepler, p * TAU, kepler_y0(E))
        });
        run("relativistic, momentum form", &|p| {
            let m = RelativisticMonitor::momentum(vec![2, 3], 1.0, 1.0).unwrap();
            let integ = Integrator::new(mk()).options(opts(tol)).monitor(m);
            solve(
                integ,
                gyro_momentum,
                p * gyro_period(),
                V4::new(1.0, 0.0, 0.0, GYRO_P),
            )
        });
        run("relativistic, velocity form", &|p| {
            let m = RelativisticMonitor::velocity(vec![2, 3], 1.0).unwrap();
            let integ = Integrator::new(mk()).options(opts(tol)).monitor(m);
            let v = GYRO_P / gyro_gamma();
            solve(integ, gyro_velocity, p * gyro_period(), V4::new(1.0, 0.0, 0.0, v))
        });
    }
    // A step doubler under a monitor that vetoes and projects.
    t.case(
        "StepDoubling::rk4 / energy budget + projection",
        Growth::None,
        &|p| {
            let m =
                InvariantMonitor::new(Invariant::new("energy", kepler_energy).tol_step(1e-12)).project(true);
            kepler_mon(StepDoubling::rk4(), m, opts(1e-8), p)
        },
    );
}

fn detectors(t: &mut Table) {
    type Mk = fn() -> ExplicitRk<f64, V4>;
    for (mname, mk) in [("DP5", ExplicitRk::dopri5 as Mk), ("BS3", ExplicitRk::bs3 as Mk)] {
        let mut run =
            |name: &str, c: &dyn Fn(f64) -> Out| t.case(&format!("{mname} / {name}"), Growth::None, c);
        let tol = if mname == "BS3" { 1e-7 } else { 1e-9 };
        run("detectors off", &|p| {
            let integ = Integrator::new(mk())
                .options(opts(tol))
                .detect_blowup(BlowUpConfig::off())
                .detect_stiffness(StiffnessConfig::off());
            solve(integ, kepler, p * TAU, kepler_y0(E))
        });
        run("blow-up detector off", &|p| {
            let integ = Integrator::new(mk())
                .options(opts(tol))
                .detect_blowup(BlowUpConfig::off());
            solve(integ, kepler, p * TAU, kepler_y0(E))
        });
        run("stiffness detector off", &|p| {
            let integ = Integrator::new(mk())
                .options(opts(tol))
                .detect_stiffness(StiffnessConfig::off());
            solve(integ, kepler, p * TAU, kepler_y0(E))
        });
        run("stiffness detector set to stop", &|p| {
            let integ = Integrator::new(mk())
                .options(opts(tol))
                .detect_stiffness(StiffnessConfig::default().stop(true));
            solve(integ, kepler, p * TAU, kepler_y0(E))
        });
        run("detectors off + projection", &|p| {
            let inv = Invariant::new("energy", kepler_energy).gradient(kepler_energy_grad);
            let integ = Integrator::new(mk())
                .options(opts(tol))
                .monitor(InvariantMonitor::new(inv).project(true))
                .detect_blowup(BlowUpConfig::off())
                .detect_stiffness(StiffnessConfig::off());
            solve(integ, kepler, p * TAU, kepler_y0(E))
        });
    }
}

/// Zero crossings of y2 (twice per revolution).
fn crossing(_t: f64, y: &V4) -> f64 {
    y[1]
}

/// An event that fires once, at t = 1 (located on the dense output like any
/// other): the number of events is held fixed while the steps grow.
fn fire_once() -> Event<'static, f64, V4> {
    Event::new(|t: f64, _y: &V4| t - 1.0)
}

fn events(t: &mut Table) {
    t.case("DP5 / event firing once", Growth::None, &|p| {
        let integ = Integrator::new(ExplicitRk::dopri5())
            .options(opts(1e-9))
            .event(fire_once());
        solve(integ, kepler, p * TAU, kepler_y0(E))
    });
    t.case("BS3 (Hermite dense) / event firing once", Growth::None, &|p| {
        let integ = Integrator::new(ExplicitRk::bs3())
            .options(opts(1e-7))
            .event(fire_once());
        solve(integ, kepler, p * TAU, kepler_y0(E))
    });
    t.case("Vern9 / event firing once, 10 samples", Growth::None, &|p| {
        let integ = Integrator::new(ExplicitRk::vern9())
            .options(opts(1e-9))
            .event(fire_once().interior_samples(10));
        solve(integ, kepler, p * TAU, kepler_y0(E))
    });
    t.case("StepDoubling::rk4 / event firing once", Growth::None, &|p| {
        let integ = Integrator::new(StepDoubling::rk4())
            .options(opts(1e-9))
            .event(fire_once());
        solve(integ, kepler, p * TAU, kepler_y0(E))
    });
    t.case("MethodStepper dop853 / event firing once", Growth::None, &|p| {
        let integ = Integrator::new(Method::Dop853.stepper::<f64, V4>())
            .options(opts(1e-9))
            .event(fire_once());
        solve(integ, kepler, p * TAU, kepler_y0(E))
    });
    t.case("DP5 / event that never fires", Growth::None, &|p| {
        let integ = Integrator::new(ExplicitRk::dopri5())
            .options(opts(1e-9))
            .event(Event::new(|_t: f64, y: &V4| y[0] - 10.0).terminal());
        solve(integ, kepler, p * TAU, kepler_y0(E))
    });
    t.case("DP5 / projection + event firing once", Growth::None, &|p| {
        let inv = Invariant::new("energy", kepler_energy).gradient(kepler_energy_grad);
        let integ = Integrator::new(ExplicitRk::dopri5())
            .options(opts(1e-9))
            .monitor(InvariantMonitor::new(inv).project(true))
            .event(fire_once());
        solve(integ, kepler, p * TAU, kepler_y0(E))
    });
    // Events that fire all along: only the record list (saved output) may grow.
    t.case("DP5 / y2 = 0 crossings (records)", Growth::EventRecords, &|p| {
        let integ = Integrator::new(ExplicitRk::dopri5())
            .options(opts(1e-9))
            .event(Event::new(crossing));
        solve(integ, kepler, p * TAU, kepler_y0(E))
    });
    t.case(
        "BS3 / y2 rising + falling (records)",
        Growth::EventRecords,
        &|p| {
            let integ = Integrator::new(ExplicitRk::bs3())
                .options(opts(1e-7))
                .event(Event::new(crossing).rising())
                .event(Event::new(crossing).falling());
            solve(integ, kepler, p * TAU, kepler_y0(E))
        },
    );
}

/// The Rosenbrock methods on ROBER (`SVector<f64, 3>`, the case)
/// with the analytic and the differenced Jacobian, on Van der Pol with an
/// event, and on a scalar state; `h_max` makes the long run 10 times longer.
fn implicit(t: &mut Table) {
    use odestride::problems::{Rober, VanDerPol};
    use odestride::Rosenbrock;
    type Mk3 = fn() -> Rosenbrock<f64, V3>;
    let ms: [(&str, Mk3); 3] = [
        ("rosenbrock23", Rosenbrock::rosenbrock23),
        ("rodas4", Rosenbrock::rodas4),
        ("rodas5p", Rosenbrock::rodas5p),
    ];
    let rober_opts = |p: f64| {
        Options::default()
            .rtol(1e-6)
            .atol_per_component(Rober.atol(1e-6).to_vec())
            .h_max(5e8 / (p * p))
            .save(SaveMode::FinalOnly)
    };
    for (name, mk) in ms {
        t.case(
            &format!("Rosenbrock::{name} / ROBER, analytic J"),
            Growth::None,
            &|p| {
                solve(
                    Integrator::new(mk()).options(rober_opts(p)),
                    Rober.system(),
                    1e11,
                    Rober.y0(),
                )
            },
        );
        t.case(
            &format!("Rosenbrock::{name} / ROBER, differenced J"),
            Growth::None,
            &|p| {
                solve(
                    Integrator::new(mk()).options(rober_opts(p)),
                    Rober::rhs,
                    1e11,
                    Rober.y0(),
                )
            },
        );
    }
    t.case(
        "Rosenbrock::rodas5p / VDPOL, event that never fires",
        Growth::None,
        &|p| {
            let integ = Integrator::new(Rosenbrock::rodas5p())
                .options(opts(1e-6))
                .event(Event::new(|_t: f64, y: &V2| y[0] + 5.0));
            solve(integ, VanDerPol.system(), 200.0 * p, VanDerPol.y0())
        },
    );
    t.case(
        "MethodStepper rodas4 / f64 scalar, Prothero-Robinson",
        Growth::None,
        &|p| {
            let f = |t: f64, y: &f64, dy: &mut f64| *dy = -1e6 * (*y - t.sin()) + t.cos();
            let integ = Integrator::new(Method::Rodas4.stepper::<f64, f64>()).options(opts(1e-8));
            solve(integ, f, p * TAU, 0.0)
        },
    );
}

/// The switching composite (`AutoSwitch`, `Method::Auto`) on Van der Pol with
/// a damping that sweeps 1 ... 1e5 ... 1 every 10 time units: both engines,
/// switches both ways in every period (more than the 64 recorded in the long
/// run), dense-output events across the switches; `SVector<f64, 2>`, and a
/// scalar stiff problem that switches once.
fn switching(t: &mut Table) {
    use odestride::stepper::AutoSwitch;
    fn vdp_mu(t: f64, y: &V2, dy: &mut V2) {
        let mu = 10f64.powf(2.5 * (1.0 - (TAU * t / 10.0).cos()));
        dy[0] = y[1];
        dy[1] = mu * ((1.0 - y[0] * y[0]) * y[1] - y[0]);
    }
    t.case(
        "AutoSwitch::auto / VdP mu(t), switching both ways",
        Growth::None,
        &|p| {
            let integ = Integrator::new(AutoSwitch::auto()).options(opts(1e-6));
            solve(integ, vdp_mu, 10.0 * p, V2::new(2.0, 0.0))
        },
    );
    t.case(
        "MethodStepper auto / VdP mu(t), event that never fires",
        Growth::None,
        &|p| {
            let integ = Integrator::new(Method::Auto.stepper::<f64, V2>())
                .options(opts(1e-8))
                .event(Event::new(|_t: f64, y: &V2| y[0] + 5.0));
            solve(integ, vdp_mu, 10.0 * p, V2::new(2.0, 0.0))
        },
    );
    t.case(
        "MethodStepper auto / f64 scalar, Prothero-Robinson",
        Growth::None,
        &|p| {
            let f = |t: f64, y: &f64, dy: &mut f64| *dy = -1e6 * (*y - t.sin()) + t.cos();
            let integ = Integrator::new(Method::Auto.stepper::<f64, f64>()).options(opts(1e-8));
            solve(integ, f, p * TAU, 0.0)
        },
    );
}

fn states(t: &mut Table) {
    t.case("DP5 / [f64; 4] state", Growth::None, &|p| {
        let integ = Integrator::new(ExplicitRk::dopri5()).options(opts(1e-9));
        let y0 = kepler_y0(E);
        solve(integ, kepler_arr, p * TAU, [y0[0], y0[1], y0[2], y0[3]])
    });
    t.case("Vern7 / [f64; 4] state, projection", Growth::None, &|p| {
        let energy = |_t: f64, y: &[f64; 4]| 0.5 * (y[2] * y[2] + y[3] * y[3]) - 1.0 / y[0].hypot(y[1]);
        let m = InvariantMonitor::new(Invariant::new("energy", energy)).project(true);
        let integ = Integrator::new(ExplicitRk::vern7())
            .options(opts(1e-9))
            .monitor(m);
        let y0 = kepler_y0(E);
        solve(integ, kepler_arr, p * TAU, [y0[0], y0[1], y0[2], y0[3]])
    });
    // A struct of named components (`state_struct!`): a stack state, with
    // explicit and Rosenbrock methods.
    odestride::state_struct! {
        struct Osc { x, v }
    }
    let osc = |_t: f64, y: &Osc, dy: &mut Osc| *dy = Osc::new(y.v(), -y.x());
    t.case("DP5 / state_struct! state", Growth::None, &|p| {
        let integ = Integrator::new(ExplicitRk::dopri5()).options(opts(1e-9));
        solve(integ, osc, p * TAU, Osc::new(1.0, 0.0))
    });
    t.case(
        "Rosenbrock::rodas5p / state_struct! state, differenced J",
        Growth::None,
        &|p| {
            let integ = Integrator::new(odestride::Rosenbrock::rodas5p()).options(opts(1e-7));
            solve(integ, osc, p * TAU, Osc::new(1.0, 0.0))
        },
    );
    // y' = cos t - (y - sin t): y = sin t.
    let scalar = |t: f64, y: &f64, dy: &mut f64| *dy = t.cos() - (*y - t.sin());
    t.case("DP5 / f64 scalar state", Growth::None, &|p| {
        let integ = Integrator::new(ExplicitRk::dopri5()).options(opts(1e-10));
        solve(integ, scalar, p * TAU, 0.0)
    });
    t.case("StepDoubling::heun / f64 scalar state", Growth::None, &|p| {
        let integ = Integrator::new(StepDoubling::heun()).options(opts(1e-8));
        solve(integ, scalar, p * TAU, 0.0)
    });
}

// One test function, so that the cases run one after the other and the
// table prints in one piece (the counter itself is per thread).
#[test]
fn allocations_do_not_grow_with_the_number_of_steps() {
    println!(
        "{:<50} {:>6} {:>6}  {:>13} {:>7}",
        "case (allocations, steps: 1 and 10 periods)", "short", "long", "steps short", "long"
    );
    let mut t = Table::default();
    methods(&mut t);
    controllers(&mut t);
    monitors(&mut t);
    detectors(&mut t);
    events(&mut t);
    states(&mut t);
    implicit(&mut t);
    switching(&mut t);
    println!("{} cases", t.cases);
    assert!(
        t.failures.is_empty(),
        "{} of {} cases failed:\n{}",
        t.failures.len(),
        t.cases,
        t.failures.join("\n")
    );
}
