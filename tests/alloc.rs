//! Zero heap allocations per step for stack states: a counting global
//! allocator shows that the number of allocations of a solve does not grow
//! with the number of steps when only the final state is saved.
mod common;
use common::*;
use odestride::{ExplicitRk, IController, Integrator, Options, PidController, SaveMode, StepController};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;
thread_local! {
    // Only allocations made by the measuring thread count (the test harness
    // allocates on its own threads).
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
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations and accepted steps of a Kepler solve over `periods` periods.
fn count<C: StepController<f64> + Clone>(
    mk: fn() -> ExplicitRk<f64, V4>,
    c: C,
    periods: f64,
) -> (usize, usize) {
    let mut integ = Integrator::new(mk())
        .controller(c)
        .options(Options::default().tol(1e-9).save(SaveMode::FinalOnly));
    let before = allocs();
    let sol = integ
        .solve(kepler, 0.0, periods * 2.0 * std::f64::consts::PI, kepler_y0(0.5))
        .unwrap();
    let after = allocs();
    (after - before, sol.stats.naccept)
}

// One test function: the counter is global, so the cases run one after the other.
#[test]
fn allocations_do_not_grow_with_the_number_of_steps() {
    type Mk = fn() -> ExplicitRk<f64, V4>;
    let methods: [(&str, Mk); 2] = [("DP5", ExplicitRk::dopri5), ("BS3", ExplicitRk::bs3)];
    for (name, mk) in methods {
        type Run = Box<dyn Fn(f64) -> (usize, usize)>;
        let cases: [(&str, Run); 3] = [
            (
                "PI",
                Box::new(move |p| count(mk, odestride::PiController::dopri5(), p)),
            ),
            ("I", Box::new(move |p| count(mk, IController::new(), p))),
            (
                "H312PID",
                Box::new(move |p| count(mk, PidController::h312pid(), p)),
            ),
        ];
        for (cname, run) in cases {
            let (a1, n1) = run(1.0);
            let (a10, n10) = run(10.0);
            println!("{name}/{cname}: {a1} allocations for {n1} steps, {a10} for {n10} steps");
            assert!(n10 > 5 * n1);
            assert_eq!(
                a1, a10,
                "{name}/{cname}: allocations grew with the number of steps"
            );
        }
    }
}
