//! RMSprop, PyTorch's `torch.optim.RMSprop`.

use super::{buffer, check, check_dims, check_lr, lerp, OptimError, Optimizer};
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// RMSprop (Hinton's lecture 6e) with the semantics of `torch.optim.RMSprop`.
///
/// Per component, with `d = g + weight_decay * x`:
///
/// ```text
/// v = alpha * v + (1 - alpha) * d^2
/// centered:  m = lerp(m, d, 1 - alpha);  a = sqrt(v - m^2) + eps
/// otherwise: a = sqrt(v) + eps
/// momentum > 0:  b = momentum * b + d / a;  x = x - lr * b
/// otherwise:     x = x - lr * d / a
/// ```
///
/// `eps` is added *outside* the square root (default 1e-8); there is no bias
/// correction; all buffers start at zero.
///
/// [`RmsProp::optax`] selects optax's `optax.rmsprop` instead (optax 0.2.8,
/// `scale_by_rms` / `scale_by_stddev` with `eps_in_sqrt=True`, its default):
/// `alpha` (optax's `decay`) 0.9 and `eps` *inside* the root,
///
/// ```text
/// v = (1 - alpha) * d^2 + alpha * v
/// centered:  m = (1 - alpha) * d + alpha * m;  a = sqrt(v - m^2 + eps)
/// otherwise: a = sqrt(v + eps)
/// x = x - lr * d / a          (momentum: b = momentum * b + d / a; x = x - lr * b)
/// ```
///
/// ```
/// use odestride::optim::{Optimizer, RmsProp};
/// let mut opt = RmsProp::optax(0.01);
/// let mut x = 1.0_f64;
/// opt.step(&mut x, &2.0).unwrap(); // v = 0.1 * 4
/// assert!((x - (1.0 - 0.01 * 2.0 / (0.4_f64 + 1e-8).sqrt())).abs() < 1e-15);
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct RmsProp<T, S> {
    lr: T,
    alpha: T,
    eps: T,
    weight_decay: T,
    momentum: T,
    centered: bool,
    #[cfg_attr(feature = "serde", serde(default))]
    eps_in_sqrt: bool,
    sq: Option<S>,
    gavg: Option<S>,
    buf: Option<S>,
    t: usize,
}

impl<T: Real, S: State<T>> RmsProp<T, S> {
    /// RMSprop with PyTorch's defaults (`alpha = 0.99`, `eps = 1e-8`, no
    /// weight decay, no momentum, not centered).
    pub fn new(lr: T) -> Self {
        RmsProp {
            lr,
            alpha: T::lit(0.99),
            eps: T::lit(1e-8),
            weight_decay: T::zero(),
            momentum: T::zero(),
            centered: false,
            eps_in_sqrt: false,
            sq: None,
            gavg: None,
            buf: None,
            t: 0,
        }
    }
    /// optax's `optax.rmsprop(lr)`: `alpha = 0.9`, `eps = 1e-8` inside the
    /// square root.
    pub fn optax(lr: T) -> Self {
        Self::new(lr).alpha(T::lit(0.9)).eps_in_sqrt(true)
    }
    /// Put `eps` inside the square root, `sqrt(v + eps)` (optax), instead of
    /// `sqrt(v) + eps` (PyTorch, the default). With it the moment updates
    /// use optax's order of operations, `(1 - alpha) d^2 + alpha v`.
    pub fn eps_in_sqrt(mut self, on: bool) -> Self {
        self.eps_in_sqrt = on;
        self
    }
    /// Smoothing constant of the squared-gradient average (in [0, 1]).
    pub fn alpha(mut self, v: T) -> Self {
        self.alpha = v;
        self
    }
    /// Added to the root in the denominator (>= 0).
    pub fn eps(mut self, v: T) -> Self {
        self.eps = v;
        self
    }
    /// L2 penalty added to the gradient (>= 0).
    pub fn weight_decay(mut self, v: T) -> Self {
        self.weight_decay = v;
        self
    }
    /// Momentum factor (>= 0).
    pub fn momentum(mut self, v: T) -> Self {
        self.momentum = v;
        self
    }
    /// Normalise by the estimated variance `v - m^2` instead of `v`.
    pub fn centered(mut self, on: bool) -> Self {
        self.centered = on;
        self
    }
}

impl<T: Real, S: State<T>> Optimizer<T, S> for RmsProp<T, S> {
    fn name(&self) -> &str {
        match (self.centered, self.eps_in_sqrt) {
            (false, false) => "RMSprop",
            (true, false) => "RMSprop centered",
            (false, true) => "RMSprop (optax)",
            (true, true) => "RMSprop centered (optax)",
        }
    }
    fn lr(&self) -> T {
        self.lr
    }
    fn set_lr(&mut self, lr: T) {
        self.lr = lr;
    }
    fn steps(&self) -> usize {
        self.t
    }
    fn reset(&mut self) {
        self.sq = None;
        self.gavg = None;
        self.buf = None;
        self.t = 0;
    }
    fn step(&mut self, x: &mut S, grad: &S) -> Result<(), OptimError> {
        const N: &str = "RMSprop";
        let ge0 = "must be finite and >= 0";
        check_lr(N, self.lr)?;
        let a = self.alpha;
        check(
            N,
            "alpha",
            a,
            a >= T::zero() && a <= T::one(),
            "must lie in [0, 1]",
        )?;
        check(N, "eps", self.eps, self.eps >= T::zero(), ge0)?;
        check(
            N,
            "weight_decay",
            self.weight_decay,
            self.weight_decay >= T::zero(),
            ge0,
        )?;
        check(N, "momentum", self.momentum, self.momentum >= T::zero(), ge0)?;
        check_dims(x, grad, self.sq.as_ref())?;
        let (lr, eps, wd, mom) = (self.lr, self.eps, self.weight_decay, self.momentum);
        let one_m_a = T::one() - a;
        let optax = self.eps_in_sqrt;
        let n = x.dim();
        // Buffers of x's shape, made on the first step (no-ops afterwards).
        buffer(&mut self.sq, grad, T::zero());
        if self.centered {
            buffer(&mut self.gavg, grad, T::zero());
        }
        if mom > T::zero() {
            buffer(&mut self.buf, grad, T::zero());
        }
        for other in [self.gavg.as_ref(), self.buf.as_ref()].into_iter().flatten() {
            check_dims(x, grad, Some(other))?;
        }
        let xs = x.as_mut_slice();
        let gs = grad.as_slice();
        for i in 0..n {
            let mut d = gs[i];
            if wd != T::zero() {
                d = d + wd * xs[i];
            }
            let mut v = T::zero();
            if let Some(sq) = self.sq.as_mut() {
                let s = &mut sq.as_mut_slice()[i];
                *s = if optax {
                    one_m_a * (d * d) + a * *s
                } else {
                    *s * a + one_m_a * d * d
                };
                v = *s;
            }
            let var = match (self.centered, self.gavg.as_mut()) {
                (true, Some(ga)) => {
                    let m = &mut ga.as_mut_slice()[i];
                    *m = if optax {
                        one_m_a * d + a * *m
                    } else {
                        lerp(*m, d, one_m_a)
                    };
                    if optax {
                        v - *m * *m
                    } else {
                        v + (-*m) * *m
                    }
                }
                _ => v,
            };
            let avg = if optax {
                (var + eps).sqrt()
            } else {
                var.sqrt() + eps
            };
            match (mom > T::zero(), self.buf.as_mut()) {
                (true, Some(b)) => {
                    let bi = &mut b.as_mut_slice()[i];
                    *bi = *bi * mom + d / avg;
                    xs[i] = xs[i] + (-lr) * *bi;
                }
                _ => xs[i] = xs[i] + (-lr) * d / avg,
            }
        }
        self.t += 1;
        Ok(())
    }
}
