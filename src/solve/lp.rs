//! The network model as a linear program, solved by the pure-Rust simplex of good_lp's microlp
//! backend.
//!
//! This is the independent oracle for the [flow](super::flow) solver: it shares nothing with it but
//! the [`Network`], so agreement between the two on many instances is strong evidence both are right.
//! It is also the place where side constraints that a flow cannot express (hour budgets, pairings)
//! will be added later. It is not the fast path: a general LP is orders of magnitude slower than the
//! min-cost flow on the same network.
//!
//! # The model
//! A continuous `x(t,e)` in `[0, 1]` per arc, with
//! ```text
//! minimise   Σ c(t,e)·x(t,e) + Σ_t penalty(t)·(1 − Σ_e x(t,e)) + Σ_e Σ_k load(e,k)·y(e,k)
//! subject to Σ_e x(t,e) ≤ 1            for each ticket t
//!            Σ_t x(t,e) ≤ capacity(e)  for each engineer e (without load costs)
//!            Σ_k y(e,k) = Σ_t x(t,e)   for each engineer e (with load costs), y(e,k) in [0, 1]
//! ```
//! The `y(e,k)` are the engineer's load slots; since the load costs are non-decreasing the LP fills the
//! cheaper slots first, so `Σ_k load(e,k)·y(e,k)` is exactly the load cost of the engineer's ticket
//! count. The constraint matrix is a network matrix (source → ticket → engineer → slot → sink), hence
//! totally unimodular: every vertex of the polytope is integral, and a simplex method, which ends on a
//! vertex, returns a 0/1 assignment. That is why the backend is pinned to microlp (a simplex) rather than
//! left to good_lp's default, and why an interior-point backend would need a crossover first.
//!
//! After solving, `x > 0.5` is read as the assignment, [`Network::evaluate`] computes its objective
//! and checks its feasibility, and the result must match the LP's own objective; any disagreement is
//! reported as an error instead of a silently wrong answer.

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolutionStatus, SolverModel, Variable,
    variable,
};

use super::{Network, NetworkSolution};
use crate::{Error, ErrorKind};

/// Solves `net` as an LP (see the [module docs](self)) and returns an optimal assignment.
///
/// Arcs to engineers of capacity 0 are left out of the model, and a network with no other arcs is
/// answered directly (every ticket unassigned) without calling the backend. Cost: one simplex solve on
/// `m` arc variables (plus up to `min(capacity, arcs)` slot variables per engineer with load costs) and
/// at most `n + engineers` rows; polynomial in practice but far slower than the flow solver.
///
/// # Errors
/// [`ErrorKind::LpSolver`] when the backend fails or stops before proving optimality, or when the
/// rounded assignment is infeasible or its objective differs from the LP objective (a fractional or
/// wrong LP answer).
///
/// # Examples
/// ```
/// use dispatchkit::solve::{Network, lp};
///
/// // Two tickets, one engineer who can take one of them: the one with the higher penalty wins.
/// let net = Network::new(vec![1], vec![10, 50], vec![(0, 0, 3), (1, 0, 4)]).unwrap();
/// let sol = lp::solve(&net).unwrap();
/// assert_eq!(sol.assignment, vec![None, Some(0)]);
/// assert_eq!(sol.objective, 10 + 4);
/// ```
pub fn solve(net: &Network) -> Result<NetworkSolution, Error> {
    let n = net.tickets();
    let engineers = net.engineers();
    let arc_engineer = net.arc_engineer();
    let arc_cost = net.arc_cost();

    // The penalties of all tickets are a constant; an arc then costs `c(t,e) − penalty(t)`.
    let penalty_total: i64 = (0..n).map(|t| net.penalty(t)).sum();

    let mut vars = ProblemVariables::new();
    // x variable of each arc, `None` for arcs to engineers of capacity 0.
    let mut x: Vec<Option<Variable>> = vec![None; arc_engineer.len()];
    let mut objective = Expression::with_capacity(arc_engineer.len());
    let mut ticket_rows = Vec::new();
    let mut engineer_sum: Vec<Expression> = vec![Expression::default(); engineers];
    let mut engineer_arcs = vec![0usize; engineers];
    for t in 0..n {
        let mut row = Expression::default();
        let mut used = 0usize;
        for a in net.arc_range(t) {
            let e = arc_engineer[a] as usize;
            if net.capacity(e) == 0 {
                continue;
            }
            let v = vars.add(variable().min(0).max(1));
            x[a] = Some(v);
            objective.add_mul((arc_cost[a] - net.penalty(t)) as f64, v);
            row.add_mul(1.0, v);
            engineer_sum[e].add_mul(1.0, v);
            engineer_arcs[e] += 1;
            used += 1;
        }
        // With a single arc the variable's own bound already says "at most once".
        if used > 1 {
            ticket_rows.push(row.leq(1.0));
        }
    }

    if vars.is_empty() {
        let assignment = vec![None; n];
        let objective = net.evaluate(&assignment)?;
        return Ok(NetworkSolution {
            assignment,
            objective,
        });
    }

    let mut engineer_rows = Vec::new();
    for (e, sum) in engineer_sum.into_iter().enumerate() {
        let arcs = engineer_arcs[e];
        if arcs == 0 {
            continue;
        }
        let capacity = net.capacity(e) as usize;
        match net.load_costs() {
            Some(load) => {
                // The engineer can never take more than `arcs` tickets, and with convex costs those
                // are the first (cheapest) slots, so only `min(capacity, arcs)` slots are needed. Their
                // count also enforces the capacity.
                let mut slots = Expression::with_capacity(capacity.min(arcs));
                for &cost in &load[e][..capacity.min(arcs)] {
                    let y = vars.add(variable().min(0).max(1));
                    objective.add_mul(cost as f64, y);
                    slots.add_mul(1.0, y);
                }
                engineer_rows.push(slots.eq(sum));
            }
            None if arcs > capacity => engineer_rows.push(sum.leq(capacity as f64)),
            None => {}
        }
    }

    // Pinned to microlp, a simplex method, so the optimum is a vertex and hence integral.
    let solution = vars
        .minimise(objective.clone())
        .using(good_lp::microlp)
        .with_all(ticket_rows)
        .with_all(engineer_rows)
        .solve()
        .map_err(|e| lp_error(backend_message(e)))?;
    if !matches!(solution.status(), SolutionStatus::Optimal) {
        return Err(lp_error(format!(
            "the backend stopped before proving optimality ({:?})",
            solution.status()
        )));
    }

    let mut assignment = vec![None; n];
    for (t, slot) in assignment.iter_mut().enumerate() {
        for a in net.arc_range(t) {
            if let Some(v) = x[a] {
                if solution.value(v) > 0.5 {
                    *slot = Some(arc_engineer[a]);
                }
            }
        }
    }
    let evaluated = net.evaluate(&assignment).map_err(|e| {
        lp_error(format!(
            "the rounded lp solution is not a feasible assignment: {e}"
        ))
    })?;

    // The LP objective without the constant. The check is on the part that varies, where f64 is
    // exact for any realistic instance; a slack of 1e-9 relative covers the simplex's rounding.
    let lp_value = solution.eval(&objective);
    let expected = (evaluated - penalty_total) as f64;
    if (lp_value - expected).abs() > 0.5_f64.max(1e-9 * expected.abs()) {
        return Err(lp_error(format!(
            "the lp objective {} differs from the rounded assignment's {evaluated}",
            lp_value + penalty_total as f64
        )));
    }
    Ok(NetworkSolution {
        assignment,
        objective: evaluated,
    })
}

fn lp_error(message: String) -> Error {
    ErrorKind::LpSolver { message }.into()
}

/// The backend's words, without good_lp's capitalised preamble.
fn backend_message(e: ResolutionError) -> String {
    match e {
        ResolutionError::Unbounded => "the lp is unbounded".to_string(),
        ResolutionError::Infeasible => "the lp is infeasible".to_string(),
        ResolutionError::Other(s) => s.to_string(),
        ResolutionError::Str(s) => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(capacity: Vec<u32>, penalty: Vec<i64>, arcs: Vec<(u32, u32, i64)>) -> Network {
        Network::new(capacity, penalty, arcs).unwrap()
    }

    #[test]
    fn empty_network_needs_no_backend() {
        let sol = solve(&net(vec![], vec![], vec![])).unwrap();
        assert_eq!(sol.assignment, Vec::<Option<u32>>::new());
        assert_eq!(sol.objective, 0);
    }

    #[test]
    fn tickets_without_arcs_pay_their_penalty() {
        let sol = solve(&net(vec![2], vec![7, 9], vec![])).unwrap();
        assert_eq!(sol.assignment, vec![None, None]);
        assert_eq!(sol.objective, 16);
    }

    #[test]
    fn arcs_to_engineers_without_capacity_are_ignored() {
        let sol = solve(&net(vec![0, 1], vec![100, 100], vec![(0, 0, 1), (1, 0, 1)])).unwrap();
        assert_eq!(sol.assignment, vec![None, None]);
        assert_eq!(sol.objective, 200);
    }

    #[test]
    fn finds_the_cheapest_perfect_assignment() {
        // Greedy on ticket 0 would take engineer 0 (cost 1) and force ticket 1 onto cost 10.
        let n = net(
            vec![1, 1],
            vec![100, 100],
            vec![(0, 0, 1), (0, 1, 2), (1, 0, 3), (1, 1, 10)],
        );
        let sol = solve(&n).unwrap();
        assert_eq!(sol.assignment, vec![Some(1), Some(0)]);
        assert_eq!(sol.objective, 5);
        assert_eq!(n.evaluate(&sol.assignment), Ok(5));
    }

    #[test]
    fn leaves_a_ticket_out_when_its_arc_costs_more_than_its_penalty() {
        let sol = solve(&net(vec![3], vec![5, 50], vec![(0, 0, 8), (1, 0, 8)])).unwrap();
        assert_eq!(sol.assignment, vec![None, Some(0)]);
        assert_eq!(sol.objective, 13);
    }

    #[test]
    fn capacity_is_respected() {
        let sol = solve(&net(
            vec![2],
            vec![10, 20, 30],
            vec![(0, 0, 0), (1, 0, 0), (2, 0, 0)],
        ))
        .unwrap();
        assert_eq!(sol.assignment, vec![None, Some(0), Some(0)]);
        assert_eq!(sol.objective, 10);
    }

    #[test]
    fn load_costs_spread_the_work() {
        // Engineer 0 is cheaper per arc, but its second ticket costs 20 more.
        let n = net(
            vec![2, 2],
            vec![100, 100],
            vec![(0, 0, 0), (0, 1, 5), (1, 0, 0), (1, 1, 5)],
        )
        .with_load_costs(vec![vec![0, 20], vec![0, 0]])
        .unwrap();
        let sol = solve(&n).unwrap();
        assert_eq!(sol.assigned(), 2);
        assert_eq!(sol.objective, 5);
        assert_eq!(n.evaluate(&sol.assignment), Ok(5));
    }

    #[test]
    fn negative_load_costs_can_pay_for_an_assignment() {
        // The arc alone costs more than the penalty; the first slot's bonus makes it worth it.
        let n = net(vec![1], vec![10], vec![(0, 0, 15)])
            .with_load_costs(vec![vec![-8]])
            .unwrap();
        let sol = solve(&n).unwrap();
        assert_eq!(sol.assignment, vec![Some(0)]);
        assert_eq!(sol.objective, 7);
    }

    #[test]
    fn load_costs_beyond_the_arcs_do_not_matter() {
        // Capacity 3 but a single arc: only the first slot is modelled.
        let n = net(vec![3], vec![40], vec![(0, 0, 1)])
            .with_load_costs(vec![vec![2, 50, 90]])
            .unwrap();
        let sol = solve(&n).unwrap();
        assert_eq!(sol.assignment, vec![Some(0)]);
        assert_eq!(sol.objective, 3);
    }

    #[test]
    fn large_costs_keep_their_precision() {
        let big = crate::solve::MAX_COST;
        let n = net(
            vec![1, 1],
            vec![big, big],
            vec![
                (0, 0, big - 1),
                (0, 1, big - 3),
                (1, 0, big - 2),
                (1, 1, big - 7),
            ],
        );
        let sol = solve(&n).unwrap();
        assert_eq!(sol.objective, n.evaluate(&sol.assignment).unwrap());
        assert_eq!(sol.objective, 2 * big - 1 - 7);
    }
}
